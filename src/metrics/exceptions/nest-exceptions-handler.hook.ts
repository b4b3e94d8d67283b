/**
 * The one place the library reaches into Nest's internals. Keep every other use of them out of the
 * library, so that a Nest upgrade that moves one breaks this file and its spec, and nothing else.
 */
import type { ArgumentsHost } from '@nestjs/common';

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

/**
 * Thrown when Nest no longer has the internal this file relies on; its message names it, so a Nest
 * upgrade that moves it fails the spec with a message that says what to look for.
 */
export class NestInternalMovedError extends Error {
  override readonly name = 'NestInternalMovedError';
}

/**
 * Finds the prototype whose `next` Nest calls with each exception it hands to filters.
 * @throws NestInternalMovedError when the module, the class or the method is not where it was.
 */
export async function locateExceptionsHandler(): Promise<{ next: Next }> {
  const { module, member } = NEST_EXCEPTIONS_HANDLER;
  let exports: Record<string, unknown>;
  try {
    exports = (await import(module)) as Record<string, unknown>;
  } catch (error) {
    throw new NestInternalMovedError(
      `Nest internal ${module} cannot be imported: ${String(error)}`,
    );
  }
  const handler = exports.ExceptionsHandler;
  const prototype = typeof handler === 'function' ? (handler.prototype as { next?: unknown }) : {};
  // `next(exception, host)`: the listener reads both, so a changed signature counts as moved too.
  if (typeof prototype.next !== 'function' || prototype.next.length !== 2) {
    throw new NestInternalMovedError(
      `Nest internal ${member}(exception, host) is no longer exported by ${module}`,
    );
  }
  return prototype as { next: Next };
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
