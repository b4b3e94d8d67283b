import { Observable, type Subscription } from 'rxjs';

/**
 * Mirrors `source` and reports, once per subscription, how that subscription ended: `true` after an
 * error, `false` after completion or an unsubscription. Reporting from the teardown covers all three
 * endings, including a consumer that stops listening early. `onSubscribe` runs as each subscription
 * starts (where a lazy source starts its work) and returns the report; `run` wraps the subscription
 * to `source`, e.g. to keep an async context around it.
 */
export function observeSettlement<T>(
  source: Observable<T>,
  onSubscribe: () => (failed: boolean) => void,
  run: (subscribe: () => Subscription) => Subscription = (subscribe) => subscribe(),
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const settled = onSubscribe();
    let failed = false;
    const subscription = run(() =>
      source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          failed = true;
          subscriber.error(error);
        },
        complete: () => subscriber.complete(),
      }),
    );
    return () => {
      subscription.unsubscribe();
      settled(failed);
    };
  });
}
