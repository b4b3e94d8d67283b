import { afterEach, describe, expect, it } from '@jest/globals';
import { createClient } from 'graphql-ws';
import mercurius from 'mercurius';
import { request as httpRequest, type Server, type ServerResponse } from 'node:http';
import request from 'supertest';
import WebSocket from 'ws';
import {
  ANONYMOUS_OPERATION,
  INVALID_OPERATION,
  MIDDLEWARE_ENDPOINT,
  MetricsModule,
  MetricsService,
  UNMATCHED_ENDPOINT,
  type MetricsSummary,
} from '../src/metrics/index.js';
import { createFixture } from './fixtures/fixture-app.js';
import {
  GRAPHQL_SETUPS,
  createGraphqlFixture,
  heldShelf,
  type GraphqlFixture,
  type GraphqlFixtureOptions,
} from './fixtures/graphql-app.js';
import { labelValues, samplesOf, sumOf, valueOf } from './support/exposition.js';
import type { Platform } from './support/platforms.js';
import {
  LOOPBACK,
  closeServer,
  listenAppOnLoopback,
  listenOnLoopback,
} from './support/loopback.js';
import { pollUntil } from './support/poll.js';
import { describeWithBinary, runBinary } from './support/promtool.js';

const OPERATIONS = 'graphql_operations_total';
const DURATION_COUNT = 'graphql_operation_duration_seconds_count';
const EXCEPTIONS = 'graphql_exceptions_total';
const RESOLVER_COUNT = 'graphql_resolver_duration_seconds_count';
const REQUESTS = 'http_requests_total';

let fixture: GraphqlFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function startOn(platform: Platform, options: GraphqlFixtureOptions = {}) {
  fixture = await createGraphqlFixture({ platform, ...options });
  return fixture;
}

/** The response `close` event, which ends the HTTP count, lands a tick after the client sees the end. */
function scrapeWhen(f: GraphqlFixture, httpRequests: number): Promise<string> {
  return pollUntil(
    'every HTTP response to be counted',
    async () => {
      const text = await f.scrape();
      return sumOf(text, REQUESTS) === httpRequests ? text : undefined;
    },
    { attempts: 200, intervalMs: 10 },
  ).catch(() => f.scrape());
}

/** Exactly these series of `family`, in any order: operations of one request may end in any order. */
function expectSeries(
  text: string,
  family: string,
  expected: Array<[labels: Record<string, string>, value: number]>,
): void {
  for (const [labels, value] of expected)
    expect([labels, valueOf(text, family, labels)]).toEqual([labels, value]);
  expect(samplesOf(text, family)).toHaveLength(expected.length);
}

const operation = (type: string, name: string, status: string) => ({
  operation_type: type,
  operation_name: name,
  status,
});

describe.each(GRAPHQL_SETUPS)('GraphQL over %s on %s', (driver, platform) => {
  const start = (options: GraphqlFixtureOptions = {}) => startOn(platform, { driver, ...options });

  describe('HTTP labels', () => {
    it('labels GraphQL requests with the GraphQL path and keeps <unmatched> for real 404s', async () => {
      const f = await start();
      await f.post({ query: '{ books { id } }' }).expect(200);
      await f.post({ query: '{ books ' }).expect(400);
      // Express matches paths case-insensitively and answers it; Fastify's router does not (404).
      // Either way the label is one the app wrote, never the client's casing.
      const otherCasing = platform === 'express' ? 200 : 404;
      await request(f.app.getHttpServer())
        .post('/GraphQL')
        .send({ query: '{ books { id } }' })
        .expect(otherCasing);
      await request(f.app.getHttpServer()).get('/no-such-page').expect(404);

      const text = await scrapeWhen(f, 4);
      expect(
        valueOf(text, REQUESTS, { method: 'POST', endpoint: '/graphql', status_code: '200' }),
      ).toBe(otherCasing === 200 ? 2 : 1);
      expect(
        valueOf(text, REQUESTS, {
          method: 'POST',
          endpoint: UNMATCHED_ENDPOINT,
          status_code: '404',
        }),
      ).toBe(otherCasing === 404 ? 1 : undefined);
      expect(
        valueOf(text, REQUESTS, { method: 'POST', endpoint: '/graphql', status_code: '400' }),
      ).toBe(1);
      expect(
        valueOf(text, REQUESTS, {
          method: 'GET',
          endpoint: UNMATCHED_ENDPOINT,
          status_code: '404',
        }),
      ).toBe(1);
      expect(labelValues(text, REQUESTS, 'endpoint')).toEqual(['/graphql', UNMATCHED_ENDPOINT]);
      expect(text).not.toContain('GraphQL"');
    });

    it('puts the global prefix in the GraphQL endpoint label', async () => {
      const f = await start({ globalPrefix: 'api' });
      await f.post({ query: '{ books { id } }' }).expect(200);
      const text = await scrapeWhen(f, 1);
      expect(labelValues(text, REQUESTS, 'endpoint')).toEqual(['/api/graphql']);
    });

    it('labels other middleware by its mount path, or <middleware> at the root, never by URL', async () => {
      const f = await start({
        configure: (app) => {
          const adapter = app.getHttpAdapter();
          adapter.use('/assets', (_req: unknown, res: { end(body: string): void }) =>
            res.end('asset'),
          );
          adapter.use(
            (req: { url: string }, res: { end(body: string): void }, next: () => void) => {
              if (req.url.startsWith('/root-answered')) res.end('root');
              else next();
            },
          );
        },
      });
      const http = request(f.app.getHttpServer());
      await http.get('/assets/app.js').expect(200);
      await http.get('/assets/deep/secret-name.css').expect(200);
      await http.get('/root-answered/secret-path').expect(200);
      await http.get('/missing').expect(404);

      const text = await scrapeWhen(f, 4);
      const expected = { '/assets': 2, [MIDDLEWARE_ENDPOINT]: 1, [UNMATCHED_ENDPOINT]: 1 };
      const counted = samplesOf(text, REQUESTS).map(({ labels, value }) => [labels, value]);
      expect(counted).toEqual(
        Object.entries(expected).map(([endpoint, count]) => [
          { method: 'GET', endpoint, status_code: endpoint === UNMATCHED_ENDPOINT ? '404' : '200' },
          count,
        ]),
      );
      expect(text).not.toContain('secret');
    });
  });

  describe('operation metrics', () => {
    it('counts each operation by type, name and outcome, with exact counts', async () => {
      const f = await start();
      await f.post({ query: 'query Shelf { books { id title } }' }).expect(200);
      await f.post({ query: 'query Shelf { books { id } }' }).expect(200);
      await f.post({ query: '{ books { id } }' }).expect(200);
      await f.post({ query: 'mutation Shelve { addBook(title: "Ulysses") { id } }' }).expect(200);
      // A resolver that throws a class of the app's own, and one that throws a Nest HttpException.
      await f.post({ query: 'query Empty { emptyShelf { id } }' }).expect(200);
      await f.post({ query: 'query Missing { book(id: 99) { id } }' }).expect(200);
      // Validation and syntax errors.
      await f.post({ query: 'query Broken { nope }' }).expect(400);
      await f.post({ query: 'query Cut { books ' }).expect(400);
      // Two aliased fields are one operation; one of them fails.
      await f
        .post({ query: 'query Pair { first: book(id: 1) { id } second: book(id: 42) { id } }' })
        .expect(200);
      // A batch is one HTTP request holding one operation per entry.
      await f
        .post([{ query: 'query Shelf { books { id } }' }, { query: '{ book(id: 2) { title } }' }])
        .expect(200);

      const text = await scrapeWhen(f, 10);
      const expected: Array<[Record<string, string>, number]> = [
        [operation('query', 'Shelf', 'success'), 3],
        [operation('query', ANONYMOUS_OPERATION, 'success'), 2],
        [operation('mutation', 'Shelve', 'success'), 1],
        [operation('query', 'Empty', 'error'), 1],
        [operation('query', 'Missing', 'error'), 1],
        [operation('query', 'Broken', 'error'), 1],
        [operation(INVALID_OPERATION, INVALID_OPERATION, 'error'), 1],
        [operation('query', 'Pair', 'error'), 1],
      ];
      for (const [labels, count] of expected) expect(valueOf(text, OPERATIONS, labels)).toBe(count);
      expect(samplesOf(text, OPERATIONS)).toHaveLength(expected.length);
      expect(sumOf(text, OPERATIONS)).toBe(11);
      expect(sumOf(text, DURATION_COUNT)).toBe(11);
      expect(
        valueOf(text, DURATION_COUNT, { operation_type: 'query', operation_name: 'Shelf' }),
      ).toBe(3);

      const exception = (type: string, name: string) => ({
        exception_type: type,
        operation_type: 'query',
        operation_name: name,
      });
      expect(valueOf(text, EXCEPTIONS, exception('ShelfEmptyError', 'Empty'))).toBe(1);
      expect(valueOf(text, EXCEPTIONS, exception('NotFoundException', 'Missing'))).toBe(1);
      expect(valueOf(text, EXCEPTIONS, exception('NotFoundException', 'Pair'))).toBe(1);
      // Validation and syntax errors are not exceptions a resolver threw.
      expect(samplesOf(text, EXCEPTIONS)).toHaveLength(3);

      // The HTTP metrics for the GraphQL path stay one series per status, as for any route.
      expect(
        valueOf(text, REQUESTS, { method: 'POST', endpoint: '/graphql', status_code: '200' }),
      ).toBe(8);
      expect(
        valueOf(text, REQUESTS, { method: 'POST', endpoint: '/graphql', status_code: '400' }),
      ).toBe(2);
    });

    it('measures a GraphQLModule registered with forRootAsync, with MetricsModule.forRootAsync', async () => {
      const f = await start({
        asyncGraphql: true,
        metricsModule: MetricsModule.forRootAsync({ useFactory: async () => ({}) }),
      });
      await f.post({ query: 'query Shelf { books { id } }' }).expect(200);
      await f.post({ query: '{ emptyShelf { id } }' }).expect(200);
      const text = await scrapeWhen(f, 2);
      expect(valueOf(text, OPERATIONS, operation('query', 'Shelf', 'success'))).toBe(1);
      expect(valueOf(text, OPERATIONS, operation('query', ANONYMOUS_OPERATION, 'error'))).toBe(1);
      expect(labelValues(text, REQUESTS, 'endpoint')).toEqual(['/graphql']);
    });

    it('records the decorators called inside resolvers', async () => {
      const f = await start();
      await f.post({ query: '{ books { id } }' }).expect(200);
      await f.post({ query: '{ books { id } }' }).expect(200);
      await f.post({ query: 'mutation { addBook(title: "Ulysses") { id } }' }).expect(200);
      const text = await scrapeWhen(f, 3);
      const db = 'database_operations_total';
      expect(valueOf(text, db, { operation: 'select', table: 'books', status: 'success' })).toBe(2);
      expect(valueOf(text, db, { operation: 'insert', table: 'books', status: 'success' })).toBe(1);
    });

    it('times only the resolvers the app declares, and only when asked to', async () => {
      const f = await start({ metrics: { graphqlResolverDuration: true } });
      await f.post({ query: '{ books { id title author { name } } }' }).expect(200);
      await f.post({ query: '{ book(id: 1) { id } }' }).expect(200);
      const text = await scrapeWhen(f, 2);
      expect(valueOf(text, RESOLVER_COUNT, { parent_type: 'Query', field: 'books' })).toBe(1);
      expect(valueOf(text, RESOLVER_COUNT, { parent_type: 'Query', field: 'book' })).toBe(1);
      // One call per book on the shelf: Nest's property resolvers (id, title, name) are never timed.
      expect(valueOf(text, RESOLVER_COUNT, { parent_type: 'Book', field: 'author' })).toBe(2);
      expect(samplesOf(text, RESOLVER_COUNT)).toHaveLength(3);

      await fixture?.close();
      const plain = await start();
      await plain.post({ query: '{ books { id } }' }).expect(200);
      expect(await scrapeWhen(plain, 1)).not.toContain('graphql_resolver_duration_seconds');
    });

    it('registers no GraphQL metric and no summary section in an app without GraphQL', async () => {
      const plain = await createFixture({ platform });
      try {
        expect(await plain.scrape()).not.toContain('graphql_');
        const summary = (
          await request(plain.app.getHttpServer()).get('/metrics/custom').expect(200)
        ).body as MetricsSummary;
        expect(summary.graphql).toBeUndefined();
      } finally {
        await plain.close();
      }
    });

    it('reports a graphql section in /metrics/custom that agrees with /metrics', async () => {
      const f = await start();
      await f.post({ query: 'query Shelf { books { id } }' }).expect(200);
      await f.post({ query: 'query Shelf { books { id } }' }).expect(200);
      await f.post({ query: 'query Empty { emptyShelf { id } }' }).expect(200);
      await f.post({ query: '{ nope }' }).expect(400);
      const text = await scrapeWhen(f, 4);
      const summary = (await request(f.app.getHttpServer()).get('/metrics/custom').expect(200))
        .body as MetricsSummary;
      expect(summary.graphql).toEqual({
        operations_total: sumOf(text, OPERATIONS),
        errors_total: sumOf(text, OPERATIONS, { status: 'error' }),
        error_rate: 2 / 4,
        busiest_operations: [
          {
            operation_type: 'query',
            operation_name: 'Shelf',
            count: 2,
            errors: 0,
            avg_duration_seconds: expect.any(Number),
          },
          {
            operation_type: 'query',
            operation_name: ANONYMOUS_OPERATION,
            count: 1,
            errors: 1,
            avg_duration_seconds: expect.any(Number),
          },
          {
            operation_type: 'query',
            operation_name: 'Empty',
            count: 1,
            errors: 1,
            avg_duration_seconds: expect.any(Number),
          },
        ],
        exceptions: { ShelfEmptyError: 1 },
      });
      expect(summary.graphql?.operations_total).toBe(4);
      const shelfSum = valueOf(text, 'graphql_operation_duration_seconds_sum', {
        operation_type: 'query',
        operation_name: 'Shelf',
      });
      expect(summary.graphql?.busiest_operations[0].avg_duration_seconds).toBeCloseTo(
        (shelfSum ?? NaN) / 2,
        12,
      );
    });
  });

  describe('operations the client names, batches that partly fail', () => {
    it('labels the operation the client names in a document that holds several', async () => {
      const f = await start();
      const document =
        'query First { books { id } } mutation Second { addBook(title: "Kim") { id } }';
      await f.post({ query: document, operationName: 'Second' }).expect(200);
      await f.post({ query: document, operationName: 'First' }).expect(200);
      // A name the document does not hold selects no operation.
      const unknown = await f.post({ query: document, operationName: 'Third' });
      const text = await scrapeWhen(f, 3);
      expectSeries(text, OPERATIONS, [
        [operation('mutation', 'Second', 'success'), 1],
        [operation('query', 'First', 'success'), 1],
        [operation(INVALID_OPERATION, INVALID_OPERATION, 'error'), 1],
      ]);
      // Apollo refuses it before it runs; Mercurius runs it, and graphql-js answers the error.
      expect(unknown.status).toBe(driver === 'apollo' ? 400 : 200);
    });

    it('counts each operation of a batch apart, the ones that fail before they run too', async () => {
      const f = await start();
      const response = await f.post([
        { query: 'query Shelf { books { id } }' },
        { query: 'query Cut { books ' },
        { query: 'query Broken { nope }' },
        { query: 'query Empty { emptyShelf { id } }' },
        { query: 'query Shelf { books { title } }' },
      ]);
      const text = await scrapeWhen(f, 1);
      expectSeries(text, OPERATIONS, [
        [operation('query', 'Shelf', 'success'), 2],
        [operation(INVALID_OPERATION, INVALID_OPERATION, 'error'), 1],
        [operation('query', 'Broken', 'error'), 1],
        [operation('query', 'Empty', 'error'), 1],
      ]);
      expect(sumOf(text, DURATION_COUNT)).toBe(5);
      expect(samplesOf(text, EXCEPTIONS).map(({ labels, value }) => [labels, value])).toEqual([
        [
          { exception_type: 'ShelfEmptyError', operation_type: 'query', operation_name: 'Empty' },
          1,
        ],
      ]);
      expect(response.status).toBe(200);
      expect(
        valueOf(text, REQUESTS, { method: 'POST', endpoint: '/graphql', status_code: '200' }),
      ).toBe(1);
    });
  });

  it('counts an operation whose client left while it ran once, when it resolves', async () => {
    const f = await start();
    const server = f.app.getHttpServer() as Server;
    const port = await listenOnLoopback(server);
    try {
      const body = JSON.stringify({ query: 'query Held { heldBooks { id } }' });
      const left = httpRequest(`http://${LOOPBACK}:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      left.on('error', () => undefined);
      left.end(body);
      await pollUntil('the resolver to run', async () =>
        heldShelf.arrived === 1 ? true : undefined,
      );
      left.destroy();
      await pollUntil('the abandoned request to be counted', async () =>
        valueOf(await f.scrape(), REQUESTS, { status_code: '499' }) === 1 ? true : undefined,
      );
      expect(samplesOf(await f.scrape(), OPERATIONS)).toHaveLength(0);

      heldShelf.releaseAll();
      const text = await pollUntil('the operation to be counted', async () => {
        const current = await f.scrape();
        return sumOf(current, OPERATIONS) === 1 ? current : undefined;
      });
      expectSeries(text, OPERATIONS, [[operation('query', 'Held', 'success'), 1]]);
    } finally {
      heldShelf.releaseAll();
      heldShelf.arrived = 0;
      await closeServer(server);
    }
  });

  describe('instrumentation stays out of the way', () => {
    it("runs the app's own Apollo plugins or Mercurius hooks and leaves its options as they were", async () => {
      const seen: string[] = [];
      const requestDidStart = async () => void seen.push('request');
      const plugins = [{ requestDidStart }];
      const hooks = { preParsing: requestDidStart };
      const f = await start({ graphql: driver === 'apollo' ? { plugins } : { hooks } });
      await f.post({ query: 'query Shelf { books { id } }' }).expect(200);
      expect(seen).toEqual(['request']);
      expect(plugins).toEqual([{ requestDidStart }]);
      expect(hooks).toEqual({ preParsing: requestDidStart });
      const text = await scrapeWhen(f, 1);
      expect(valueOf(text, OPERATIONS, operation('query', 'Shelf', 'success'))).toBe(1);
    });

    it('keeps counting operations when excludePaths drops the HTTP series of /graphql', async () => {
      const f = await start({ metrics: { excludePaths: ['/graphql'] } });
      await f.post({ query: 'query Shelf { books { id } }' }).expect(200);
      const text = await pollUntil('the operation to be counted', async () => {
        const current = await f.scrape();
        return sumOf(current, OPERATIONS) === 1 ? current : undefined;
      });
      expect(valueOf(text, OPERATIONS, operation('query', 'Shelf', 'success'))).toBe(1);
      expect(samplesOf(text, REQUESTS)).toHaveLength(0);
    });

    it('answers every operation unchanged and adds nothing when metrics are disabled', async () => {
      const f = await start({ metrics: { enabled: false } });
      const response = await f.post({ query: '{ book(id: 1) { id title } }' }).expect(200);
      expect(response.body).toEqual({ data: { book: { id: 1, title: 'Dune' } } });
      await f.post({ query: '{ emptyShelf { id } }' }).expect(200);
      await request(f.app.getHttpServer()).get('/metrics').expect(404);
      const { registry } = f.app.get(MetricsService);
      expect(registry.getSingleMetric(OPERATIONS)).toBeUndefined();
    });
  });

  describeWithBinary('promtool', 'apt-get install prometheus', 'exposition', (promtool) => {
    it('passes promtool check metrics with every GraphQL metric present', async () => {
      const f = await start({ metrics: { graphqlResolverDuration: true } });
      await f.post({ query: 'query Shelf { books { id author { name } } }' }).expect(200);
      await f.post({ query: '{ emptyShelf { id } }' }).expect(200);
      await f.post({ query: '{ books ' }).expect(400);
      const text = await scrapeWhen(f, 3);
      for (const family of [OPERATIONS, DURATION_COUNT, EXCEPTIONS, RESOLVER_COUNT]) {
        expect(samplesOf(text, family).length).toBeGreaterThan(0);
      }
      const result = runBinary(promtool, ['check', 'metrics'], { input: text });
      expect(result.output).toBe('');
      expect(result.status).toBe(0);
    });
  });
});

describe("GraphQL over mercurius on fastify: Mercurius' own options", () => {
  const start = (options: GraphqlFixtureOptions = {}) =>
    startOn('fastify', { driver: 'mercurius', ...options });

  it("answers with the app's own error formatter and still counts what resolvers threw", async () => {
    const formatted: unknown[] = [];
    const errorFormatter: typeof mercurius.defaultErrorFormatter = (execution, context) => {
      formatted.push(execution.errors.map((error) => error.message));
      const { statusCode, response } = mercurius.defaultErrorFormatter(execution, context);
      const errors = response.errors?.map((error) => ({ ...error, message: 'hidden' }));
      return { statusCode, response: { ...response, errors } };
    };
    const f = await start({ graphql: { errorFormatter } });
    const response = await f.post({ query: 'query Empty { emptyShelf { id } }' }).expect(200);
    expect(response.body).toMatchObject({ data: null, errors: [{ message: 'hidden' }] });
    await f.post({ query: 'query Shelf { books { id } }' }).expect(200);
    expect(formatted).toEqual([['the shelf is empty']]);
    const text = await scrapeWhen(f, 2);
    expectSeries(text, OPERATIONS, [
      [operation('query', 'Empty', 'error'), 1],
      [operation('query', 'Shelf', 'success'), 1],
    ]);
    expectSeries(text, EXCEPTIONS, [
      [{ exception_type: 'ShelfEmptyError', operation_type: 'query', operation_name: 'Empty' }, 1],
    ]);
  });

  it('counts operations sent with GET, and a mutation over GET that Mercurius refuses', async () => {
    const f = await start();
    const http = request(f.app.getHttpServer());
    const document = 'query First { books { id } } query Second { book(id: 1) { id } }';
    await http.get('/graphql').query({ query: document, operationName: 'Second' }).expect(200);
    await http
      .get('/graphql')
      .query({ query: 'mutation Shelve { addBook(title: "Kim") { id } }' })
      .expect(405);
    const text = await scrapeWhen(f, 2);
    expectSeries(text, OPERATIONS, [
      [operation('query', 'Second', 'success'), 1],
      [operation('mutation', 'Shelve', 'error'), 1],
    ]);
    const get = { method: 'GET', endpoint: '/graphql' };
    expectSeries(text, REQUESTS, [
      [{ ...get, status_code: '200' }, 1],
      [{ ...get, status_code: '405' }, 1],
    ]);
    expect(text).not.toContain('Kim');
  });

  it("counts operations that fail before they run when the app's errorHandler answers them", async () => {
    const f = await start({
      graphql: {
        errorHandler: (
          _error: unknown,
          _request: unknown,
          reply: { code(status: number): { send(body: unknown): void } },
        ) => reply.code(418).send({ refused: true }),
      },
    });
    await f.post({ query: 'query Cut { books ' }).expect(418);
    await f.post({ query: 'query Broken { nope }' }).expect(418);
    const text = await scrapeWhen(f, 2);
    expectSeries(text, OPERATIONS, [
      [operation(INVALID_OPERATION, INVALID_OPERATION, 'error'), 1],
      [operation('query', 'Broken', 'error'), 1],
    ]);
    expect(samplesOf(text, EXCEPTIONS)).toHaveLength(0);
  });

  it('counts every operation of a large batch, and listens to its response once', async () => {
    const closeListeners: number[] = [];
    const f = await start({
      configure: (app) => {
        const fastify = app.getHttpAdapter().getInstance() as {
          addHook(
            name: 'onResponse',
            hook: (request: { url: string }, reply: { raw: ServerResponse }) => Promise<void>,
          ): void;
        };
        fastify.addHook('onResponse', async (request, reply) => {
          if (request.url === '/graphql') closeListeners.push(reply.raw.listenerCount('close'));
        });
      },
    });
    await f.post({ query: 'query Shelf { books { id } }' }).expect(200);
    const batch = Array.from({ length: 25 }, (_, index) => ({
      query: index % 5 === 4 ? 'query Broken { nope }' : 'query Shelf { books { id } }',
    }));
    await f.post(batch).expect(200);
    const text = await scrapeWhen(f, 2);
    expectSeries(text, OPERATIONS, [
      [operation('query', 'Shelf', 'success'), 21],
      [operation('query', 'Broken', 'error'), 5],
    ]);
    // As many listeners for 25 operations as for one: Node warns of a leak past 10.
    expect(closeListeners).toHaveLength(2);
    expect(closeListeners[1]).toBe(closeListeners[0]);
  });

  it('serves subscriptions over WebSocket as before, and leaves them out', async () => {
    const f = await start({ graphql: { subscription: true } });
    const url = `${(await listenAppOnLoopback(f.app)).replace('http', 'ws')}/graphql`;
    const graphqlWs = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      const results: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        graphqlWs.subscribe(
          { query: 'subscription Tour { shelfTour { id } }' },
          { next: (result) => results.push(result), error: reject, complete: resolve },
        );
      });
      expect(results).toEqual([
        { data: { shelfTour: { id: 1 } } },
        { data: { shelfTour: { id: 2 } } },
      ]);
    } finally {
      await graphqlWs.dispose();
    }
    await f.post({ query: 'query Shelf { books { id } }' }).expect(200);
    const text = await scrapeWhen(f, 1);
    expectSeries(text, OPERATIONS, [[operation('query', 'Shelf', 'success'), 1]]);
  });

  it('leaves out operations the app runs itself with app.graphql(), which no HTTP reply carries', async () => {
    const f = await start();
    const fastify = f.app.getHttpAdapter().getInstance() as {
      graphql(source: string): Promise<unknown>;
    };
    await expect(fastify.graphql('query Shelf { books { id } }')).resolves.toEqual({
      data: { books: [{ id: 1 }, { id: 2 }] },
    });
    await f.post({ query: 'query Shelf { books { id } }' }).expect(200);
    const text = await scrapeWhen(f, 1);
    expectSeries(text, OPERATIONS, [[operation('query', 'Shelf', 'success'), 1]]);
  });
});
