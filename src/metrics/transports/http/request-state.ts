import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the library keeps about one request, stored on its response object. */
export interface RequestState {
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** Bytes the socket had written before this response, to size responses that declare no length. */
  readonly socketBytesBefore: number;
  /** Class name of the exception that ended the request, set by the exception filter. */
  exceptionType?: string;
  /** Set for requests that must not be recorded, such as scrapes of the metrics endpoints. */
  unrecorded: boolean;
  /** The platform's own request object, where only it knows the route that answered (Fastify). */
  platformRequest: unknown;
  readonly finish: (response: ServerResponse, state: RequestState) => void;
}

export const REQUEST_STATE = Symbol('nestjs-instrumentator.requestState');

export type TrackedResponse = ServerResponse<IncomingMessage> & { [REQUEST_STATE]?: RequestState };

/** The state of a request from its response: Node's (Express's) or a platform's wrapper of it (Fastify's reply). */
export function requestStateOf(response: unknown): RequestState | undefined {
  const tracked = response as (TrackedResponse & { raw?: TrackedResponse }) | undefined;
  return tracked?.[REQUEST_STATE] ?? tracked?.raw?.[REQUEST_STATE];
}

/** Keeps a request out of every HTTP metric, including the in-progress gauge. */
export function markUnrecorded(response: unknown): void {
  const state = requestStateOf(response);
  if (state) state.unrecorded = true;
}

/** Remembers the exception that ended a request; the first one wins, so it is counted once. */
export function markException(response: unknown, exception: unknown): void {
  const state = requestStateOf(response);
  if (state && state.exceptionType === undefined) state.exceptionType = exceptionTypeOf(exception);
}

function exceptionTypeOf(exception: unknown): string {
  if (exception instanceof Error) return exception.constructor?.name || exception.name || 'Error';
  if (exception !== null && typeof exception === 'object') {
    return (exception as object).constructor?.name || 'Object';
  }
  // A thrown primitive: name its type, never its (possibly client-derived) value.
  return typeof exception;
}
