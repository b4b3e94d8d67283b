/**
 * Every exception that ends an HTTP request is counted once, by class, with the final status, whoever
 * handles it, and the app's answer stays byte for byte what it is without the library.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { connect } from 'node:net';
import request from 'supertest';
import { createExceptionsApp } from './fixtures/exceptions-app.js';
import { labelValues, sumOf } from './support/exposition.js';
import { LOOPBACK, listenAppOnLoopback } from './support/loopback.js';
import { PLATFORMS } from './support/platforms.js';
import { FAST_POLL, pollUntil } from './support/poll.js';

interface Case {
  /** Who throws and who answers. */
  name: string;
  path: string;
  endpoint: string;
  exceptionType: string;
  status: number;
  /** The body the app's own handling answers with, to show which filter answered. */
  body: unknown;
  /** A header line the answering filter adds. */
  header?: string;
}

const CASES: Case[] = [
  {
    name: 'a handler, answered by a method-level filter',
    path: '/filters/method',
    endpoint: '/filters/method',
    exceptionType: 'MethodScopedError',
    status: 422,
    body: { error: 'method', reason: 'method-scoped' },
  },
  {
    name: 'a handler, answered by a controller-level filter',
    path: '/controller-filter',
    endpoint: '/controller-filter',
    exceptionType: 'ControllerScopedError',
    status: 409,
    body: { error: 'controller', reason: 'controller-scoped' },
  },
  {
    name: 'a handler, answered by an app-level filter',
    path: '/filters/app',
    endpoint: '/filters/app',
    exceptionType: 'AppScopedError',
    status: 410,
    body: { error: 'app', reason: 'app-scoped' },
  },
  {
    name: 'a handler, answered by a catch-all filter that extends BaseExceptionFilter',
    path: '/base-catch-all/7',
    endpoint: '/base-catch-all/:id',
    exceptionType: 'RangeError',
    status: 503,
    body: { error: 'base catch-all', reason: 'RangeError: out of range' },
  },
  {
    name: 'a guard, answered by the app-wide catch-all',
    path: '/pipeline/guard',
    endpoint: '/pipeline/guard',
    exceptionType: 'ForbiddenException',
    status: 403,
    body: { error: 'ForbiddenException', status: 403 },
  },
  {
    name: 'a pipe, answered by the app-wide catch-all',
    path: '/pipeline/pipe/seven',
    endpoint: '/pipeline/pipe/:id',
    exceptionType: 'BadRequestException',
    status: 400,
    body: { error: 'BadRequestException', status: 400 },
  },
  {
    name: 'an interceptor, answered by the app-wide catch-all',
    path: '/pipeline/interceptor',
    endpoint: '/pipeline/interceptor',
    exceptionType: 'InterceptorError',
    status: 500,
    body: { error: 'InterceptorError', status: 500 },
  },
  {
    name: 'a middleware, answered by the app-wide catch-all',
    path: '/pipeline/middleware',
    // Nest's middleware runs before the platform has run the route: on Express it is mounted ahead
    // of the router, on Fastify it runs in an `onRequest` hook. The request is still labelled with
    // the route that would have answered it, on both.
    endpoint: '/pipeline/middleware',
    exceptionType: 'MiddlewareError',
    status: 500,
    body: { error: 'MiddlewareError', status: 500 },
  },
  {
    name: 'a middleware of a parameterized route, answered by the app-wide catch-all',
    path: '/pipeline/behind/7',
    endpoint: '/pipeline/behind/:id',
    exceptionType: 'MiddlewareError',
    status: 500,
    body: { error: 'MiddlewareError', status: 500 },
  },
  {
    name: 'a handler, answered by the app-wide catch-all',
    path: '/pipeline/handler',
    endpoint: '/pipeline/handler',
    exceptionType: 'TypeError',
    status: 500,
    body: { error: 'TypeError', status: 500 },
  },
  {
    name: 'the router for an unknown path, answered by the app-wide catch-all',
    path: '/nowhere',
    endpoint: '<unmatched>',
    exceptionType: 'NotFoundException',
    status: 404,
    body: { error: 'NotFoundException', status: 404 },
  },
  {
    name: 'a handler, rethrown by a method-level filter and answered by the app-wide catch-all',
    path: '/filters/rethrown',
    endpoint: '/filters/rethrown',
    exceptionType: 'RethrownError',
    status: 500,
    body: { error: 'RethrownError', status: 500 },
  },
  {
    // The request failed with the handler's exception; the filter's own is how it was answered.
    name: 'a handler, turned into another exception by a method-level filter',
    path: '/filters/converted',
    endpoint: '/filters/converted',
    exceptionType: 'ConvertedError',
    status: 503,
    body: { error: 'ServiceUnavailableException', status: 503 },
  },
  {
    name: 'a handler, passed by a method-level filter to BaseExceptionFilter',
    path: '/filters/delegated',
    endpoint: '/filters/delegated',
    exceptionType: 'DelegatedError',
    status: 500,
    body: { statusCode: 500, message: 'Internal server error' },
    header: 'x-delegated: yes',
  },
];

/**
 * Sends `GET path` on a connection of its own and returns every byte of the answer, status line and
 * headers included, without the `Date` header (the one line that differs by the second it is sent).
 */
function rawAnswer(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, LOOPBACK, () => {
      socket.end(`GET ${path} HTTP/1.1\r\nHost: ${LOOPBACK}:${port}\r\nConnection: close\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () =>
      resolve(
        Buffer.concat(chunks)
          .toString('latin1')
          .replace(/^Date: .*\r\n/im, ''),
      ),
    );
  });
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** The `http_exceptions_total` sample lines of an exposition, exactly as Prometheus reads them. */
function exceptionLines(text: string): string[] {
  return text.split('\n').filter((line) => /^http_exceptions_total[{ ]/.test(line));
}

/** The response's `close` lands a tick after the client has its answer; wait for it to be counted. */
function scrapeOnceCounted(app: INestApplication, requests: number): Promise<string> {
  const scrape = async () => (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
  return pollUntil(
    `${requests} requests to be counted`,
    async () => {
      const text = await scrape();
      return sumOf(text, 'http_requests_total') === requests ? text : undefined;
    },
    FAST_POLL,
  );
}

describe.each(PLATFORMS)('exceptions on %s', (platform) => {
  let bare: INestApplication;
  let barePort: number;

  beforeAll(async () => {
    bare = await createExceptionsApp({ platform, withMetrics: false });
    barePort = portOf(await listenAppOnLoopback(bare));
  });
  afterAll(() => bare.close());

  describe.each(CASES)('thrown by $name', (testCase) => {
    let app: INestApplication;
    let expected: string;
    let actual: string;

    beforeAll(async () => {
      app = await createExceptionsApp({ platform, withMetrics: true });
      const port = portOf(await listenAppOnLoopback(app));
      expected = await rawAnswer(barePort, testCase.path);
      actual = await rawAnswer(port, testCase.path);
    });
    afterAll(() => app.close());

    it('answers byte for byte as the app does without the library', () => {
      expect(actual).toBe(expected);
      // The app's own handling answered, as the case says.
      const [head, body] = actual.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${testCase.status} `));
      expect(JSON.parse(body)).toEqual(testCase.body);
      if (testCase.header) expect(head.split('\r\n')).toContain(testCase.header);
    });

    it(`counts ${testCase.exceptionType} once, with the final status`, async () => {
      const { endpoint } = testCase;
      const text = await scrapeOnceCounted(app, 1);
      expect(exceptionLines(text)).toEqual([
        `http_exceptions_total{exception_type="${testCase.exceptionType}",method="GET",` +
          `endpoint="${endpoint}",status_code="${testCase.status}"} 1`,
      ]);
      // The request itself is labelled alike.
      expect(labelValues(text, 'http_requests_total', 'endpoint')).toEqual([endpoint]);
    });
  });
});
