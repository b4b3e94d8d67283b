import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { ExemplarLabels } from '../../exemplars/trace-exemplars.js';

/** Whoever records a request when it ends: the tracker of the server that received it. */
export interface RequestRecorder {
  /** `delivered` is false for a response abandoned before it was sent. */
  finish(state: RequestState, delivered: boolean): void;
  /** A connection it watches closed; its queue has been emptied into `abandoned`, oldest first. */
  connectionClosed(socket: Socket, abandoned: RequestState | undefined): void;
}

/**
 * What the library keeps about one request while it is in flight. It is kept on the request's socket,
 * not on the response: a socket is reused by every request of a keep-alive connection, so the slot is
 * added to it once, where a property added to every response would cost each request an object shape
 * change.
 */
export interface RequestState {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** The request's method as labelled: a standard method, or the label of all others. */
  readonly method: string;
  /** The request's declared Content-Length, 0 when it declares none. */
  readonly requestSize: number;
  /** Bytes the socket had written before this response, to size responses that declare no length. */
  readonly socketBytesBefore: number;
  /** Class name of the exception that ended the request, noted where Nest hands it to filters. */
  exceptionType: string | undefined;
  /** The sampled span active when the request arrived, if any (HTTP instrumentations start it then). */
  readonly exemplar: ExemplarLabels | undefined;
  /** Set for requests that must not be recorded, such as scrapes of the metrics endpoints. */
  unrecorded: boolean;
  /** The platform's own request object, where only it knows the route that answered (Fastify). */
  platformRequest: unknown;
  readonly recorder: RequestRecorder;
  /** The request pipelined after this one on the same socket, answered after it. */
  next: RequestState | undefined;
}

const IN_FLIGHT = Symbol('nestjs-instrumentator.inFlight');
const WATCHED_BY = Symbol('nestjs-instrumentator.watchedBy');

/**
 * The state queued last, until it leaves its queue: what a platform hook that runs while its request
 * arrives (Fastify's `onRequest`) is looking for, found without the socket's queue.
 */
let newest: RequestState | undefined;

type TrackedSocket = Socket & { [IN_FLIGHT]?: RequestState; [WATCHED_BY]?: RequestRecorder };

/**
 * Marks `socket` as watched by `recorder`, which learns from the socket's `close` event of requests
 * that will never be answered. One listener, shared by every socket, is added once per connection.
 * @returns false when it already was.
 */
export function watchSocket(socket: Socket, recorder: RequestRecorder): boolean {
  const tracked = socket as TrackedSocket;
  const previous = tracked[WATCHED_BY];
  if (previous === recorder) return false;
  tracked[WATCHED_BY] = recorder;
  if (previous === undefined) socket.on('close', onWatchedSocketClose);
  return true;
}

/** Forgets the socket's requests and its watcher, when its recorder stops. */
export function unwatchSocket(socket: Socket): void {
  const tracked = socket as TrackedSocket;
  socket.removeListener('close', onWatchedSocketClose);
  tracked[WATCHED_BY] = undefined;
  tracked[IN_FLIGHT] = undefined;
  newest = undefined;
}

/** `this` is the socket, so no closure per connection. */
function onWatchedSocketClose(this: TrackedSocket): void {
  const recorder = this[WATCHED_BY];
  const abandoned = this[IN_FLIGHT];
  this[WATCHED_BY] = undefined;
  this[IN_FLIGHT] = undefined;
  // Not held past its connection (it may be among the abandoned).
  newest = undefined;
  recorder?.connectionClosed(this, abandoned);
}

function socketOf(response: ServerResponse): TrackedSocket | undefined {
  // A finished response has let go of its socket; its request still holds it.
  return (response.req?.socket ?? undefined) as TrackedSocket | undefined;
}

/**
 * Adds a request to its socket's queue. HTTP/1.1 answers a connection's requests in the order they
 * came, so the queue is one request long unless the client pipelines.
 */
export function enqueueRequest(socket: Socket, state: RequestState): void {
  newest = state;
  const tracked = socket as TrackedSocket;
  let last = tracked[IN_FLIGHT];
  if (last === undefined) {
    tracked[IN_FLIGHT] = state;
    return;
  }
  while (last.next !== undefined) last = last.next;
  last.next = state;
}

/** Takes the state of `response` out of its socket's queue, if it is there. */
export function dequeueRequest(socket: Socket, response: ServerResponse): RequestState | undefined {
  const tracked = socket as TrackedSocket;
  let state = tracked[IN_FLIGHT];
  if (state === undefined) return undefined;
  if (state.response === response) {
    tracked[IN_FLIGHT] = state.next;
    if (newest === state) newest = undefined;
    return state;
  }
  for (let previous = state; (state = previous.next) !== undefined; previous = state) {
    if (state.response === response) {
      previous.next = state.next;
      if (newest === state) newest = undefined;
      return state;
    }
  }
  return undefined;
}

/** The requests in flight on `socket`, oldest first. */
export function* requestsOn(socket: Socket): Generator<RequestState> {
  for (let state = (socket as TrackedSocket)[IN_FLIGHT]; state; state = state.next) yield state;
}

/**
 * The Node response behind what a platform hands to filters and controllers: Express's `res` is one
 * itself, a Fastify reply holds it as `raw`. Anything else (an RPC or WebSocket context) has none.
 */
export function nodeResponseOf(response: unknown): ServerResponse | undefined {
  if (response instanceof ServerResponse) return response;
  const raw =
    typeof response === 'object' && response !== null ? Reflect.get(response, 'raw') : undefined;
  return raw instanceof ServerResponse ? raw : undefined;
}

/** The state of the request a Node response answers, while it is in flight. */
export function stateOfNodeResponse(response: ServerResponse): RequestState | undefined {
  for (let state = socketOf(response)?.[IN_FLIGHT]; state; state = state.next) {
    if (state.response === response) return state;
  }
  return undefined;
}

/**
 * {@link stateOfNodeResponse} for a hook that runs as its request arrives, in the same call as the
 * tracker's `request` listener: the state just queued is then the one, and the identity check makes
 * that safe whatever ran in between; any other response is looked up on its socket.
 */
export function stateOfArrivingResponse(response: ServerResponse): RequestState | undefined {
  return newest !== undefined && newest.response === response
    ? newest
    : stateOfNodeResponse(response);
}

/** The state of the request a platform's response answers, while it is in flight. */
export function requestStateOf(response: unknown): RequestState | undefined {
  const nodeResponse = nodeResponseOf(response);
  return nodeResponse && stateOfNodeResponse(nodeResponse);
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

/** The class name counted in `exception_type`, by every transport; for a thrown primitive, its type, never its value. */
export function exceptionTypeOf(exception: unknown): string {
  if (exception instanceof Error) return exception.constructor?.name || exception.name || 'Error';
  if (exception !== null && typeof exception === 'object') {
    return (exception as object).constructor?.name || 'Object';
  }
  // A thrown primitive: name its type, never its (possibly client-derived) value.
  return typeof exception;
}
