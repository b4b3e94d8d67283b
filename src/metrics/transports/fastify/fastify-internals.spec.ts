/**
 * Fails, naming the internal, when a Fastify upgrade moves what the library reaches into. When it
 * does, find where Fastify now keeps its hooks and change fastify-internals.ts alone.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import middie from '@fastify/middie';
import fastify, { type FastifyInstance } from 'fastify';
import { LOOPBACK } from '../../../../test/support/loopback.js';
import {
  FASTIFY_HOOK_INTERNALS,
  FASTIFY_ROUTE_CONTEXT_INTERNAL,
  FastifyInternalMovedError,
  MIDDIE_MIDDLEWARES_INTERNAL,
  addFirstOnRequestHook,
  assertRouteContextOn,
  locateOnRequestHooks,
  middieMountPathsOf,
  routeConfigOf,
} from './fastify-internals.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const internals = `${FASTIFY_HOOK_INTERNALS.hooks}, ${FASTIFY_HOOK_INTERNALS.children}, ${FASTIFY_ROUTE_CONTEXT_INTERNAL}`;

describe(`the Fastify internals the library reaches into: ${internals}`, () => {
  it('are still there', () => {
    // On failure the error's message names the internal that moved.
    expect(() => locateOnRequestHooks(fastify())).not.toThrow();
  });

  it('run the hook before middleware and hooks added earlier, in contexts created earlier too', async () => {
    app = fastify();
    const seen: string[] = [];
    await app.register(middie);
    app.use((_request, _response, next) => {
      seen.push('middleware');
      next();
    });
    app.addHook('onRequest', (_request, _reply, done) => {
      seen.push('earlier hook');
      done();
    });
    await app.register(async (child) => {
      child.get('/child', async () => 'child');
    });
    app.get('/things/:id', async () => 'thing');
    addFirstOnRequestHook(app, (request: { routeOptions: { url?: string } }, _reply, done) => {
      seen.push(`first: ${request.routeOptions.url}`);
      done();
    });

    const base = await app.listen({ host: LOOPBACK, port: 0 });
    expect(await (await fetch(`${base}/things/7`)).text()).toBe('thing');
    expect(seen).toEqual(['first: /things/:id', 'middleware', 'earlier hook']);
    seen.length = 0;
    expect(await (await fetch(`${base}/child`)).text()).toBe('child');
    expect(seen).toEqual(['first: /child', 'middleware', 'earlier hook']);
  });

  it('adds nothing and says what moved when the hooks are not where they were', () => {
    expect(() => addFirstOnRequestHook({}, () => undefined)).toThrow(FastifyInternalMovedError);
    expect(() => addFirstOnRequestHook({}, () => undefined)).toThrow(/fastify\.hooks/);
  });

  it("give each request its route's config, the object routeOptions.config returns", async () => {
    app = fastify();
    const seen: unknown[] = [];
    app.addHook('onResponse', (request, _reply, done) => {
      // On failure the error's message names the internal that moved.
      assertRouteContextOn(request);
      seen.push(
        routeConfigOf(request) === request.routeOptions.config,
        routeConfigOf(request)?.url,
      );
      done();
    });
    app.get('/things/:id', async () => 'thing');
    const base = await app.listen({ host: LOOPBACK, port: 0 });
    await fetch(`${base}/things/7`);
    await fetch(`${base}/things/8`);
    await fetch(`${base}/nowhere`);
    expect(seen).toEqual([true, '/things/:id', true, '/things/:id', true, undefined]);
  });

  it('fall back to the public routeOptions when a request holds no route context', () => {
    const config = { url: '/from-public-api' };
    expect(routeConfigOf({ routeOptions: { config } })).toBe(config);
    expect(() => assertRouteContextOn({})).toThrow(/fastify\.context/);
  });
});

describe(`the @fastify/middie internal the library reaches into: ${MIDDIE_MIDDLEWARES_INTERNAL}`, () => {
  const answer = (_request: unknown, response: { end(): void }) => response.end();

  it("keeps every middleware's mount path as the app passed it, with its plugin's prefix", async () => {
    app = fastify();
    await app.register(middie);
    app.use('/assets', answer);
    app.use(answer);
    app.use(['/a', '/b/'], answer);
    await app.register(
      async (child) => {
        child.use('/docs', answer);
      },
      { prefix: '/v2' },
    );
    await app.ready();
    // On failure the error's message names the internal that moved.
    const paths = middieMountPathsOf(app);
    expect(paths.filter((path) => typeof path !== 'function')).toEqual([
      '/assets',
      ['/a', '/b/'],
      // The child context copies its parent's list, then gets its own middleware.
      '/assets',
      ['/a', '/b/'],
      '/v2/docs',
    ]);
    // A middleware mounted without a path is kept as itself.
    expect(paths.filter((path) => path === answer)).toHaveLength(2);
  });

  it('hold no mount path where middie is not registered', async () => {
    app = fastify();
    await app.ready();
    expect(middieMountPathsOf(app)).toEqual([]);
  });

  it('say what moved when middie is registered but its list is not where it was', () => {
    const moved = { hasPlugin: (name: string) => name === '@fastify/middie' };
    expect(() => middieMountPathsOf(moved)).toThrow(FastifyInternalMovedError);
    expect(() => middieMountPathsOf(moved)).toThrow(/fastify-middie-middlewares/);
  });
});
