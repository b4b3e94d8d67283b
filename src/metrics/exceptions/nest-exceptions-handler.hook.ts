/**
 * The one place the library reaches into @nestjs/core's internals. Keep every other use of them out of
 * the library, so that a Nest upgrade that moves one breaks this file and its spec, and nothing else.
 * Each transport package has a file like it (`transports/<transport>/nest-<package>-internals.ts`).
 */
import type { ArgumentsHost } from '@nestjs/common';
import { locatePrototype, NestInternalMovedError } from '../transports/nest-internal.js';

/**
 * Nest hands every exception of an HTTP route, middleware, not-found or error handler to the app's
 * filters through `ExceptionsHandler#next(exception, host)`, before any filter runs and whichever one
 * answers. OpenTelemetry and Sentry wrap the filters' `catch` methods instead; that sees only the
 * filters they wrap, while this sees each exception once per hand-over, whatever filter handles it.
 */
export const NEST_EXCEPTIONS_HANDLER = {
  module: '@nestjs/core/exceptions/exceptions-handler.js',
  member: 'ExceptionsHandler.prototype.next',
} as const;

/** Told about every exception Nest hands to HTTP exception filters, before they see it. */
export type ExceptionListener = (exception: unknown, host: ArgumentsHost) => void;

type Next = (this: unknown, exception: unknown, host: ArgumentsHost) => unknown;

/**
 * The wrapped `next` carries its listeners under a `Symbol.for` key, so a second copy of the library
 * in the process adds to them instead of wrapping again.
 */
const LISTENERS = Symbol.for('nestjs-instrumentator.exceptionListeners');

type WrappedNext = Next & { [LISTENERS]?: Set<ExceptionListener> };

export { NestInternalMovedError };

/**
 * Finds the prototype whose `next` Nest calls with each exception it hands to filters.
 * @throws NestInternalMovedError when the module, the class or the method is not where it was; a
 * changed signature counts as moved too, as the listener reads both arguments.
 */
export async function locateExceptionsHandler(): Promise<{ next: Next }> {
  return locatePrototype<{ next: Next }>([
    {
      module: NEST_EXCEPTIONS_HANDLER.module,
      className: 'ExceptionsHandler',
      method: 'next',
      arity: 2,
    },
  ]);
}

/**
 * Calls `listener` with every exception Nest hands to HTTP exception filters, from now on and in every
 * app of the process. Adding the same listener again changes nothing. The listener must not throw;
 * should it, Nest still answers as it would have without it.
 * @throws NestInternalMovedError when Nest no longer has the internal (see `locateExceptionsHandler`).
 */
export async function listenToExceptionsHandedToFilters(
  listener: ExceptionListener,
): Promise<void> {
  const prototype = await locateExceptionsHandler();
  const existing = (prototype.next as WrappedNext)[LISTENERS];
  if (existing) {
    existing.add(listener);
    return;
  }
  const original = prototype.next;
  const listeners = new Set<ExceptionListener>([listener]);
  const next: WrappedNext = function next(this: unknown, exception: unknown, host: ArgumentsHost) {
    for (const notify of listeners) {
      try {
        notify(exception, host);
      } catch {
        // Instrumentation never changes how Nest answers; listeners report their own failures.
      }
    }
    return original.call(this, exception, host);
  };
  Object.defineProperty(next, LISTENERS, { value: listeners });
  prototype.next = next;
}
