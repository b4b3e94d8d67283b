/**
 * The one place the library reads Node's own (underscored) fields of `net` and `http` objects, on the
 * per-request path where the public getters cost more than the request can afford. Keep every other
 * use of them out of the library, so that a Node upgrade that moves one breaks this file and its
 * spec, and nothing else. Each read falls back to the public API when the field is not there.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What the library reads, named in the spec's title and in its failures. */
export const NODE_HTTP_INTERNALS = {
  bytesDispatched: 'net.Socket#_bytesDispatched, the bytes handed to the OS so far',
  headerBlock: 'http.ServerResponse#_header, the header block as sent',
} as const;

type SocketInternals = Socket & { _bytesDispatched?: unknown };

/**
 * The bytes written to `socket` so far, as `socket.bytesWritten` counts them. That getter adds the
 * chunks still queued in the socket to `_bytesDispatched`, and to walk them it copies the queue into
 * a new array, on every call. With nothing queued or in flight (`writableLength` is 0, as between the
 * requests of a keep-alive connection) the two are equal, so the copy is skipped; otherwise the
 * getter counts, so the figure is exact either way.
 */
export function socketBytesWritten(socket: Socket): number {
  const dispatched = (socket as SocketInternals)._bytesDispatched;
  if (typeof dispatched === 'number' && socket.writableLength === 0) return dispatched;
  return socket.bytesWritten ?? 0;
}

/**
 * The status line and headers of `response` exactly as Node wrote them, once it has; `undefined`
 * before. Node keeps them as one latin1 string until the response is done with.
 */
export function headerBlockOf(response: ServerResponse): string | undefined {
  const block = (response as ServerResponse & { _header?: unknown })._header;
  return typeof block === 'string' ? block : undefined;
}
