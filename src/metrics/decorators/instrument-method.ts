import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Observable, isObservable } from 'rxjs';
import type { MetricsService } from '../metrics.service.js';
import { activeMetricsService } from './active-metrics.js';

/** How a decorated call ended: what it returned (or emitted last), or what it threw. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface CallRecorder {
  /** Called as the method is invoked (an Observable: as it is subscribed). */
  started?(metrics: MetricsService): void;
  /** Called once the call has ended: returned, settled, completed or errored. */
  ended(metrics: MetricsService, outcome: CallOutcome, elapsedSeconds: number): void;
}

/**
 * Builds a method decorator that times each call and hands its outcome to `recorder`.
 *
 * The wrapper keeps what callers and Nest rely on: `this`, arguments, the return value (a promise
 * still resolves to the same value, an Observable still emits the same items) and any thrown error;
 * the method's `name`; and every reflect-metadata entry already on the method, which is where
 * `@Get()`, `@UseGuards()` and `SetMetadata` keep their data. Recording is skipped when no
 * MetricsModule is running, and a failure while recording is logged, never thrown.
 */
export function instrumentMethod(decoratorName: string, recorder: CallRecorder): MethodDecorator {
  return (target, propertyKey, descriptor: PropertyDescriptor) => {
    const original: unknown = descriptor?.value;
    if (typeof original !== 'function') {
      const owner = (target as { constructor?: { name?: string } }).constructor?.name ?? 'class';
      throw new TypeError(
        `@${decoratorName} can only decorate a method; ${owner}.${String(propertyKey)} is not one`,
      );
    }
    const method = original as (...args: unknown[]) => unknown;

    const instrumented = function (this: unknown, ...args: unknown[]): unknown {
      const metrics = activeMetricsService();
      if (!metrics) return method.apply(this, args);
      safely(metrics, decoratorName, () => recorder.started?.(metrics));
      const startedAt = performance.now();
      let result: unknown;
      try {
        result = method.apply(this, args);
      } catch (error) {
        end(metrics, { ok: false, error }, startedAt);
        throw error;
      }
      if (isThenable(result)) {
        return result.then(
          (value) => {
            end(metrics, { ok: true, value }, startedAt);
            return value;
          },
          (error: unknown) => {
            end(metrics, { ok: false, error }, startedAt);
            throw error;
          },
        );
      }
      if (isObservable(result)) return observeStream(metrics, result);
      end(metrics, { ok: true, value: result }, startedAt);
      return result;
    };

    const end = (metrics: MetricsService, outcome: CallOutcome, startedAt: number) =>
      safely(metrics, decoratorName, () =>
        recorder.ended(metrics, outcome, (performance.now() - startedAt) / 1000),
      );

    // An Observable is lazy: time it from subscription, record when it completes or errors.
    const observeStream = (metrics: MetricsService, source: Observable<unknown>) =>
      new Observable<unknown>((subscriber) => {
        const subscribedAt = performance.now();
        let last: unknown;
        return source.subscribe({
          next: (value) => {
            last = value;
            subscriber.next(value);
          },
          error: (error: unknown) => {
            end(metrics, { ok: false, error }, subscribedAt);
            subscriber.error(error);
          },
          complete: () => {
            end(metrics, { ok: true, value: last }, subscribedAt);
            subscriber.complete();
          },
        });
      });

    copyMethodIdentity(method, instrumented);
    descriptor.value = instrumented;
    return descriptor;
  };
}

/** Copies the metadata and `name` that other decorators and Nest read from a method onto its wrapper. */
export function copyMethodIdentity(source: object, target: object): void {
  for (const key of Reflect.getOwnMetadataKeys(source)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, source), target);
  }
  Object.defineProperty(target, 'name', {
    value: (source as { name?: string }).name,
    configurable: true,
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function safely(metrics: MetricsService, decoratorName: string, record: () => void): void {
  try {
    record();
  } catch (error) {
    metrics.errors.report(`@${decoratorName}`, error);
  }
}
