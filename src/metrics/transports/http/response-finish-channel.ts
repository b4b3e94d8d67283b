import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { publisherChannel } from '../publisher-channel.js';
import { dequeueRequest } from './request-state.js';

/**
 * Node publishes here when a server response has been handed to the socket in full, for every
 * `node:http` and `node:https` server in the process. Listening here instead of to each response's
 * `close` event spares every request a listener of its own.
 */
const responseFinishChannel = publisherChannel('http.server.response.finish');

interface ResponseFinishMessage {
  readonly socket: Socket;
  readonly response: ServerResponse;
}

let watchers = 0;

/** One subscriber for every tracker: the request's state says which tracker records it. */
function onResponseFinish(message: unknown): void {
  const { socket, response } = message as ResponseFinishMessage;
  const state = dequeueRequest(socket, response);
  if (state) state.recorder.finish(state, true);
}

/**
 * Starts recording finished responses of tracked requests; the returned function stops it. The
 * channel is subscribed while at least one tracker watches it.
 */
export function watchFinishedResponses(): () => void {
  if (watchers++ === 0) responseFinishChannel.subscribe(onResponseFinish);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--watchers === 0) responseFinishChannel.unsubscribe(onResponseFinish);
  };
}
