import type { ArgumentsHost } from '@nestjs/common';
import { markException } from '../transports/http/request-state.js';
import { InstrumentationErrors } from '../recording/instrumentation-errors.js';
import { listenToExceptionsHandedToFilters } from './nest-exceptions-handler.hook.js';

/** One for the process: the listener serves every app in it, so its failures are logged once. */
const listenerErrors = new InstrumentationErrors();

/**
 * Notes each exception Nest hands to HTTP exception filters on its request, before any filter (the
 * app's own included) sees it, so the HTTP tracker counts it when the response ends, once, with the
 * final status. The first exception of a request wins: one a filter rethrows, or that a filter
 * extending `BaseExceptionFilter` passes on, reaches Nest again but is not counted again.
 * @internal
 */
export function markHttpException(exception: unknown, host: ArgumentsHost): void {
  try {
    // RPC, WebSocket and GraphQL contexts have no HTTP response to mark.
    if (host.getType() === 'http') markException(host.getArgByIndex(1), exception);
  } catch (error) {
    listenerErrors.report('the HTTP exception hook', error);
  }
}

/**
 * Starts counting `http_exceptions_total` for every app in the process; requests that no enabled
 * module tracks are left alone. Should Nest have moved its internal, it says so once and the app runs
 * on without exception counts.
 */
export async function countHttpExceptions(errors: InstrumentationErrors): Promise<void> {
  try {
    await listenToExceptionsHandedToFilters(markHttpException);
  } catch (error) {
    errors.report('the HTTP exception hook (http_exceptions_total stays at 0)', error);
  }
}
