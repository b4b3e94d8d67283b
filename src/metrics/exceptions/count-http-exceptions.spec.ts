import { describe, expect, it } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { enqueueRequest, type RequestState } from '../transports/http/request-state.js';
import { markHttpException } from './count-http-exceptions.js';

/** A Node response as the HTTP tracker leaves it: its request's state queued on its socket. */
function trackedResponse(): { response: ServerResponse; state: RequestState } {
  const socket = new Socket();
  const request = new IncomingMessage(socket);
  const response = new ServerResponse(request);
  const state: RequestState = {
    request,
    response,
    startedAt: 0,
    method: 'GET',
    requestSize: 0,
    socketBytesBefore: 0,
    exceptionType: undefined,
    exemplar: undefined,
    unrecorded: false,
    platformRequest: undefined,
    recorder: { finish: () => undefined, connectionClosed: () => undefined },
    next: undefined,
  };
  enqueueRequest(socket, state);
  return { response, state };
}

function hostOf(type: string, ...args: unknown[]): ArgumentsHost {
  return {
    getType: () => type,
    getArgs: () => args,
    getArgByIndex: (index: number) => args[index],
  } as unknown as ArgumentsHost;
}

describe('markHttpException', () => {
  it('marks an Express response, which is the Node response itself', () => {
    const { response, state } = trackedResponse();
    markHttpException(new RangeError('x'), hostOf('http', {}, response));
    expect(state.exceptionType).toBe('RangeError');
  });

  it('marks the Node response behind a Fastify reply', () => {
    const { response, state } = trackedResponse();
    const reply = { raw: response, statusCode: 200 };
    markHttpException(new SyntaxError('x'), hostOf('http', {}, reply));
    expect(state.exceptionType).toBe('SyntaxError');
  });

  it('keeps the first exception of a request', () => {
    const { response, state } = trackedResponse();
    markHttpException(new RangeError('first'), hostOf('http', {}, response));
    markHttpException(new TypeError('second'), hostOf('http', {}, response));
    expect(state.exceptionType).toBe('RangeError');
  });

  it('leaves RPC, WebSocket and GraphQL contexts alone without throwing', () => {
    const { response, state } = trackedResponse();
    expect(() => {
      markHttpException(
        new Error('rpc'),
        hostOf('rpc', { pattern: 'sum' }, { getPattern: () => 'sum' }),
      );
      markHttpException(new Error('ws'), hostOf('ws', { send: () => undefined }, 'payload'));
      markHttpException(new Error('graphql'), hostOf('graphql', undefined, {}, {}, {}));
      // Even one whose arguments hold a tracked response: only HTTP requests are counted here.
      markHttpException(new Error('rpc'), hostOf('rpc', {}, response));
    }).not.toThrow();
    expect(state.exceptionType).toBeUndefined();
  });

  it('leaves an HTTP context without a tracked response alone', () => {
    expect(() => {
      markHttpException(new Error('x'), hostOf('http', {}, undefined));
      markHttpException(new Error('x'), hostOf('http', {}, { raw: 'not a response' }));
      markHttpException(
        new Error('x'),
        hostOf('http', {}, new ServerResponse(new IncomingMessage(new Socket()))),
      );
    }).not.toThrow();
  });
});
