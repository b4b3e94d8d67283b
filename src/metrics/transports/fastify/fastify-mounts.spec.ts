import { afterEach, describe, expect, it, jest } from '@jest/globals';
import middie from '@fastify/middie';
import { Logger } from '@nestjs/common';
import fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOOPBACK } from '../../../../test/support/loopback.js';
import { MIDDLEWARE_ENDPOINT, UNMATCHED_ENDPOINT } from '../../metrics.constants.js';
import { MountedMiddlewareEndpoints } from '../http/mounted-middleware-endpoint.js';
import { FastifyMiddlewareMounts } from './fastify-mounts.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  jest.restoreAllMocks();
  await app?.close();
  app = undefined;
});

const answer = (_request: IncomingMessage, response: ServerResponse) => response.end('answered');

/**
 * A Fastify app with middleware mounted as an app mounts it, whose responses are labelled as the
 * tracker labels a response no route answered: by the Node request, once it has ended.
 */
async function labelledApp(
  options: FastifyServerOptions = {},
): Promise<{ base: string; labels: string[] }> {
  app = fastify(options);
  await app.register(middie);
  app.use('/assets', answer);
  app.use('/files/:owner', answer);
  app.use('/passes', (_request: IncomingMessage, _response: ServerResponse, next: () => void) =>
    next(),
  );
  app.use((request: IncomingMessage, response: ServerResponse, next: () => void) => {
    if (request.url?.startsWith('/root-answered')) response.end('root');
    else next();
  });
  app.get('/things/:id', async () => 'thing');
  const mounts = new FastifyMiddlewareMounts();
  const endpoints = new MountedMiddlewareEndpoints(mounts);
  const labels: string[] = [];
  app.addHook('onResponse', (request, reply, done) => {
    labels.push(endpoints.endpointOf(request.raw, reply.statusCode));
    done();
  });
  await app.ready();
  mounts.attach(app);
  return { base: await app.listen({ host: LOOPBACK, port: 0 }), labels };
}

async function statusOf(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

describe('MountedMiddlewareEndpoints on Fastify', () => {
  it('names a literal mount by the path the app registered, whatever casing or tail the client sent', async () => {
    const { base, labels } = await labelledApp();
    for (const path of ['/assets/app.js', '/ASSETS/deep/x.css?v=1', '/assets', '/assets/'])
      expect([path, await statusOf(base + path)]).toEqual([path, 200]);
    expect(labels).toEqual(['/assets', '/assets', '/assets', '/assets']);
  });

  it('finds the mount where Fastify is told to ignore trailing and duplicate slashes', async () => {
    const { base, labels } = await labelledApp({
      routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    });
    for (const path of ['/assets/app.js/', '/assets//app.js', '/assets//'])
      expect([path, await statusOf(base + path)]).toEqual([path, 200]);
    expect(labels).toEqual(['/assets', '/assets', '/assets']);
  });

  it('never puts client text from a parameterized mount in the label, and tells root middleware by the status', async () => {
    const { base, labels } = await labelledApp();
    expect(await statusOf(`${base}/files/alice/secret.txt`)).toBe(200);
    expect(await statusOf(`${base}/root-answered/secret`)).toBe(200);
    expect(await statusOf(`${base}/passes/on`)).toBe(404);
    expect(await statusOf(`${base}/nowhere`)).toBe(404);
    expect(labels).toEqual([
      MIDDLEWARE_ENDPOINT,
      MIDDLEWARE_ENDPOINT,
      UNMATCHED_ENDPOINT,
      UNMATCHED_ENDPOINT,
    ]);
  });

  it('counts every mounted middleware as <middleware>, and says so once, when middie moved its list', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const mounts = new FastifyMiddlewareMounts();
    mounts.attach({ hasPlugin: () => true });
    const endpoints = new MountedMiddlewareEndpoints(mounts);
    const answeredAtAssets = { url: '/app.js', originalUrl: '/assets/app.js' };
    expect(endpoints.endpointOf(answeredAtAssets, 200)).toBe(MIDDLEWARE_ENDPOINT);
    expect(endpoints.endpointOf({ url: '/x', originalUrl: '/other/x' }, 200)).toBe(
      MIDDLEWARE_ENDPOINT,
    );
    expect(warn.mock.calls).toEqual([[expect.stringMatching(/fastify-middie-middlewares/)]]);
  });
});
