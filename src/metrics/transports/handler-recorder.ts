/**
 * Times one invocation of a microservice or gateway handler and tells its outcome apart. Both
 * transports run handlers through a proxy that turns a thrown exception into a reply (RPC) or into
 * nothing at all (WebSockets) before the handler's caller sees it, so the exception is noted where the
 * proxy hands it to the exception filters, and matched to its invocation through async context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isObservable } from 'rxjs';
import { observeSettlement } from '../recording/observe-settlement.js';
import { exceptionTypeOf } from './http/request-state.js';
import type { MetricsService, Outcome } from '../metrics.service.js';
import { activeMetricsService } from '../decorators/active-metrics.js';

/** What a finished invocation reports to its transport. */
export interface HandlerOutcome {
  readonly outcome: Outcome;
  /** Class of the exception the handler threw, when the proxy saw one. */
  readonly exceptionType?: string;
  readonly durationSeconds: number;
}

interface Invocation {
  exception?: unknown;
  thrown: boolean;
}

const invocations = new AsyncLocalStorage<Invocation>();

/**
 * Notes the exception a handler threw, for the invocation running now; called from the transport's
 * proxy before its exception filters turn the exception into a reply. The first one wins.
 */
export function noteHandlerException(exception: unknown): void {
  const invocation = invocations.getStore();
  if (invocation && !invocation.thrown) {
    invocation.thrown = true;
    invocation.exception = exception;
  }
}

/**
 * Wraps `handler` so that each call reports its outcome to `record` with the active metrics service.
 * The returned function answers exactly what `handler` answers: the same value, the same rejection,
 * and an observable that emits the same notifications. A failing `record` is reported, never thrown.
 */
export function measureHandler<Args extends unknown[]>(
  handler: (...args: Args) => unknown,
  where: string,
  record: (service: MetricsService, result: HandlerOutcome) => void,
): (...args: Args) => unknown {
  return function measured(this: unknown, ...args: Args): unknown {
    const service = activeMetricsService();
    if (!service) return handler.apply(this, args);
    const invocation: Invocation = { thrown: false };
    const started = process.hrtime.bigint();
    const finish = (failed: boolean) => {
      try {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        record(service, {
          outcome: failed || invocation.thrown ? 'error' : 'success',
          exceptionType: invocation.thrown ? exceptionTypeOf(invocation.exception) : undefined,
          durationSeconds: seconds,
        });
      } catch (error) {
        service.errors.report(where, error);
      }
    };
    const settle = (value: unknown): unknown => {
      if (!isObservable(value)) {
        finish(false);
        return value;
      }
      return observeSettlement(
        value,
        () => finish,
        (subscribe) => invocations.run(invocation, subscribe),
      );
    };
    let result: unknown;
    try {
      result = invocations.run(invocation, () => handler.apply(this, args));
    } catch (error) {
      finish(true);
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(settle, (error: unknown) => {
        finish(true);
        throw error;
      });
    }
    return settle(result);
  };
}
