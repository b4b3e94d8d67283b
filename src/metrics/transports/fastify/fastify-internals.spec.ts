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
  addFirstOnRequestHook,
  assertRouteContextOn,
  locateOnRequestHooks,
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
