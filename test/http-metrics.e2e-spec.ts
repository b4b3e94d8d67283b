import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Catch,
  Module,
  type ArgumentsHost,
  type ExceptionFilter,
  type HttpServer,
  type INestApplication,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import http from 'node:http';
import request from 'supertest';
import { createFixture, gate, type Fixture } from './fixtures/fixture-app.js';
import { labelValues, samplesOf, sumOf, valueOf } from './support/exposition.js';
import { requestFresh } from './support/fresh-request.js';
import { closeServer, listenOnLoopback } from './support/loopback.js';
import { PLATFORMS, type Platform } from './support/platforms.js';
import { pollUntil } from './support/poll.js';

const REQUESTS = 'http_requests_total';
const IN_PROGRESS = 'http_requests_in_progress';
const DURATION_COUNT = 'http_request_duration_seconds_count';
const EXCEPTIONS = 'http_exceptions_total';

let fixture: Fixture | undefined;
afterEach(async () => {
  gate.releaseAll();
  await fixture?.close();
  fixture = undefined;
});

async function versionedFixture(
  platform: Platform,
  extra: Parameters<typeof createFixture>[0] = {},
) {
  fixture = await createFixture({
    platform,
    globalPrefix: 'api',
    keepMetricsAtRoot: true,
    versioned: true,
    ...extra,
  });
  return { fixture, http: request(fixture.app.getHttpServer()) };
}

/** A reply of either platform, as a route registered on the platform itself gets it. */
type AnyReply =
  { code(status: number): { send(): void } } | { status(status: number): { end(): void } };

/**
 * Polls the exposition until `ready` holds; the response `close` event lands a tick after the
 * client sees the end. Should it never hold, the latest scrape comes back for the assertions to
 * show.
 */
function scrapeUntil(f: Fixture, ready: (text: string) => boolean): Promise<string> {
  return pollUntil(
    'the exposition to be ready',
    async () => {
      const text = await f.scrape();
      return ready(text) ? text : undefined;
    },
    { attempts: 200, intervalMs: 10 },
  ).catch(() => f.scrape());
}

/**
 * A middleware in front of the routes that answers with the status in `x-answer-with`, as a cache or
 * an auth check would: Express runs it before routing, Fastify in a request hook.
 */
function useAnsweringMiddleware(app: INestApplication): void {
  app.use((req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => {
    const status = Number(req.headers['x-answer-with']);
    if (!status) return next();
    res.statusCode = status;
    res.end('from the middleware');
  });
}

/** A Nest middleware that answers every request for a path no controller serves, as a docs page would. */
@Module({})
class DocsMiddlewareModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply((_req: http.IncomingMessage, res: http.ServerResponse) => res.end('docs'))
      .forRoutes('docs');
  }
}

describe.each(PLATFORMS)('HTTP request metrics on %s', (platform) => {
  it('labels each response by route template with prefix and version, never by raw path or query', async () => {
    const { fixture, http } = await versionedFixture(platform);
    await http.get('/api/v1/things/1?q=secret').expect(200);
    await http.get('/api/v1/things/2').expect(200);
    await http.get('/api/v1/things/3?token=abc').expect(200);

    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 3);
    expect(
      valueOf(text, REQUESTS, {
        method: 'GET',
        endpoint: '/api/v1/things/:id',
        status_code: '200',
      }),
    ).toBe(3);
    expect(labelValues(text, REQUESTS, 'endpoint')).toEqual(['/api/v1/things/:id']);
    expect(valueOf(text, DURATION_COUNT, { method: 'GET', endpoint: '/api/v1/things/:id' })).toBe(
      3,
    );
    expect(text).not.toContain('secret');
    expect(text).not.toContain('/api/v1/things/1');
  });

  it('counts every kind of ending exactly once, with the status the client saw', async () => {
    const { fixture, http } = await versionedFixture(platform);
    await http.get('/api/v1/things/1').expect(200);
    await http.get('/api/v1/things/1/missing').expect(404);
    await http.get('/api/v1/things/1/crash').expect(500);
    await http.get('/api/v1/things/1/guarded').expect(403);
    await http.get('/api/v1/things/not-a-number').expect(400);
    await http.post('/api/v1/things').send({}).expect(400);
    await http.post('/api/v1/things').send({ name: 'x' }).expect(201);
    await http.get('/no/such/route/42').expect(404);
    await http.get('/another/random/path?x=1').expect(404);

    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 9);
    const count = (endpoint: string, status: string, method = 'GET') =>
      valueOf(text, REQUESTS, { method, endpoint, status_code: status });
    expect(count('/api/v1/things/:id', '200')).toBe(1);
    expect(count('/api/v1/things/:id/missing', '404')).toBe(1);
    expect(count('/api/v1/things/:id/crash', '500')).toBe(1);
    expect(count('/api/v1/things/:id/guarded', '403')).toBe(1);
    expect(count('/api/v1/things/:id', '400')).toBe(1);
    expect(count('/api/v1/things', '400', 'POST')).toBe(1);
    expect(count('/api/v1/things', '201', 'POST')).toBe(1);
    expect(count('<unmatched>', '404')).toBe(2);
    expect(sumOf(text, REQUESTS)).toBe(9);
    expect(sumOf(text, DURATION_COUNT)).toBe(9);
    expect(labelValues(text, REQUESTS, 'endpoint')).toEqual([
      '/api/v1/things',
      '/api/v1/things/:id',
      '/api/v1/things/:id/crash',
      '/api/v1/things/:id/guarded',
      '/api/v1/things/:id/missing',
      '<unmatched>',
    ]);
  });

  it('counts paths Nest answers with its own not-found routes as <unmatched>', async () => {
    const { fixture, http } = await versionedFixture(platform);
    await http.get('/api/v1/nothing/here').expect(404);
    await http.get('/api/zzz').expect(404);
    await http.post('/metrics').expect(404);
    await http.delete('/metrics/custom').expect(404);
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 4);
    expect(labelValues(text, REQUESTS, 'endpoint')).toEqual(['<unmatched>']);
    expect(
      valueOf(text, REQUESTS, { method: 'GET', endpoint: '<unmatched>', status_code: '404' }),
    ).toBe(2);
    expect(
      valueOf(text, REQUESTS, { method: 'POST', endpoint: '<unmatched>', status_code: '404' }),
    ).toBe(1);
    expect(
      valueOf(text, REQUESTS, { method: 'DELETE', endpoint: '<unmatched>', status_code: '404' }),
    ).toBe(1);
  });

  it('counts a body the parser refuses once under its route, and a URL the router cannot decode as <unmatched>', async () => {
    const { fixture, http } = await versionedFixture(platform);
    const postJson = (path: string, body: string, status: number) =>
      http.post(path).set('content-type', 'application/json').send(body).expect(status);
    await postJson('/api/v1/things', '{"name":', 400);
    // Over both platforms' default body limits (Express 100 kB, Fastify 1 MB).
    await postJson('/api/v1/things', JSON.stringify({ name: 'x'.repeat(1_100_000) }), 413);
    // Both platforms parse the body of a request for an unknown path, too; no route would answer it.
    await postJson('/api/v1/nowhere', '{"name":', 400);
    await http.get('/api/v1/things/%E0%A4%A').expect(400);
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 4);
    // Express parses bodies before routing and Fastify after, but both count the route that would
    // have answered: the request was meant for it.
    const expected = [
      { method: 'POST', endpoint: '/api/v1/things', status_code: '400' },
      { method: 'POST', endpoint: '/api/v1/things', status_code: '413' },
      { method: 'POST', endpoint: '<unmatched>', status_code: '400' },
      { method: 'GET', endpoint: '<unmatched>', status_code: '400' },
    ];
    for (const labels of expected)
      expect([labels, valueOf(text, REQUESTS, labels)]).toEqual([labels, 1]);
    expect(labelValues(text, REQUESTS, 'endpoint')).toEqual(['/api/v1/things', '<unmatched>']);
    expect(sumOf(text, REQUESTS)).toBe(4);
    expect(sumOf(text, DURATION_COUNT)).toBe(4);
    // The class is the one Nest hands the app's filters, which differs: Nest turns body-parser's
    // SyntaxError into a BadRequestException on Express, and Fastify's own error into an
    // HttpException. Both turn the over-limit error into an HttpException.
    const malformed = platform === 'express' ? 'BadRequestException' : 'HttpException';
    expect(
      valueOf(text, EXCEPTIONS, {
        exception_type: malformed,
        method: 'POST',
        endpoint: '/api/v1/things',
        status_code: '400',
      }),
    ).toBe(1);
    expect(
      valueOf(text, EXCEPTIONS, {
        exception_type: 'HttpException',
        method: 'POST',
        endpoint: '/api/v1/things',
        status_code: '413',
      }),
    ).toBe(1);
  });

  it('labels a response that a middleware answered ahead of the route with that route', async () => {
    const { fixture, http } = await versionedFixture(platform, {
      configure: useAnsweringMiddleware,
    });
    await http.get('/api/v1/things/1').set('x-answer-with', '200').expect(200);
    await http.get('/api/v1/things/2').set('x-answer-with', '403').expect(403);
    await http.get('/api/v1/nowhere').set('x-answer-with', '200').expect(200);
    await http.get('/api/v1/things/3').set('x-answer-with', '404').expect(404);
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 4);
    expect(
      valueOf(text, REQUESTS, {
        method: 'GET',
        endpoint: '/api/v1/things/:id',
        status_code: '200',
      }),
    ).toBe(1);
    expect(
      valueOf(text, REQUESTS, {
        method: 'GET',
        endpoint: '/api/v1/things/:id',
        status_code: '403',
      }),
    ).toBe(1);
    // No route would have answered it: the middleware at the root did.
    expect(
      valueOf(text, REQUESTS, { method: 'GET', endpoint: '<middleware>', status_code: '200' }),
    ).toBe(1);
    // Fastify has matched the route; Express never looks a 404 up, as it cannot tell this one from a
    // 404 for a path nothing serves.
    const answered404 = platform === 'fastify' ? '/api/v1/things/:id' : '<unmatched>';
    expect(
      valueOf(text, REQUESTS, { method: 'GET', endpoint: answered404, status_code: '404' }),
    ).toBe(1);
    expect(sumOf(text, REQUESTS)).toBe(4);
  });

  it('labels a middleware mounted at a literal path by that path, whatever status it answers, never by URL', async () => {
    const { fixture, http } = await versionedFixture(platform, {
      configure: (app) => {
        // As static files are served: a file it has, or a 404 of its own.
        app.use('/assets', (req: http.IncomingMessage, res: http.ServerResponse) => {
          res.statusCode = req.url?.startsWith('/app.js') ? 200 : 404;
          res.end();
        });
        app.use('/files/:owner', (_req: http.IncomingMessage, res: http.ServerResponse) =>
          res.end('file'),
        );
        app.use((req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => {
          if (req.url?.startsWith('/root-answered')) res.end('root');
          else next();
        });
      },
    });
    await http.get('/assets/app.js').expect(200);
    await http.get('/ASSETS/app.js?v=secret').expect(200);
    await http.get('/assets/secret-missing.css').expect(404);
    await http.get('/files/alice/secret.txt').expect(200);
    await http.get('/root-answered/secret').expect(200);
    await http.get('/no/such/secret').expect(404);
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 6);
    expect(samplesOf(text, REQUESTS).map(({ labels, value }) => [labels, value])).toEqual([
      [{ method: 'GET', endpoint: '/assets', status_code: '200' }, 2],
      [{ method: 'GET', endpoint: '/assets', status_code: '404' }, 1],
      [{ method: 'GET', endpoint: '<middleware>', status_code: '200' }, 2],
      [{ method: 'GET', endpoint: '<unmatched>', status_code: '404' }, 1],
    ]);
    expect(text).not.toContain('secret');
  });

  it("labels a Nest middleware that answers a path no route serves by its route's path", async () => {
    fixture = await createFixture({
      platform,
      globalPrefix: 'api',
      keepMetricsAtRoot: true,
      imports: [DocsMiddlewareModule],
    });
    const http = request(fixture.app.getHttpServer());
    await http.get('/api/docs').expect(200);
    await http.get('/api/DOCS').expect(200);
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 2);
    expect(samplesOf(text, REQUESTS).map(({ labels, value }) => [labels, value])).toEqual([
      [{ method: 'GET', endpoint: '/api/docs', status_code: '200' }, 2],
    ]);
  });

  it('counts a CORS preflight under the handler that answered it, never by URL', async () => {
    const { fixture, http } = await versionedFixture(platform, {
      configure: (app) => app.enableCors({ origin: 'https://app.example' }),
    });
    await http
      .options('/api/v1/things/1')
      .set('origin', 'https://app.example')
      .set('access-control-request-method', 'GET')
      .expect(204);
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 1);
    // The CORS handler answered it, not a route of the app: Express's cors middleware, or the hook of
    // @fastify/cors, which adds an `OPTIONS *` route only so that Fastify routes preflights.
    expect(samplesOf(text, REQUESTS).map(({ labels, value }) => [labels, value])).toEqual([
      [{ method: 'OPTIONS', endpoint: '<middleware>', status_code: '204' }, 1],
    ]);
  });

  it("counts an app's own catch-all OPTIONS route under its template, not as a CORS preflight", async () => {
    // Registered on the platform itself, as an app without enableCors() may do to answer every
    // OPTIONS request; on Fastify its path is `*`, the path of @fastify/cors's route too.
    const catchAll = platform === 'fastify' ? '*' : '/*splat';
    const { fixture, http } = await versionedFixture(platform, {
      configure: (app) => {
        const instance = app.getHttpAdapter().getInstance() as {
          options(path: string, handler: (request: unknown, reply: AnyReply) => void): void;
        };
        instance.options(catchAll, (_request, reply) =>
          'code' in reply ? reply.code(204).send() : reply.status(204).end(),
        );
      },
    });
    await http.options('/api/v1/things/1').expect(204);
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 1);
    expect(samplesOf(text, REQUESTS).map(({ labels, value }) => [labels, value])).toEqual([
      [{ method: 'OPTIONS', endpoint: catchAll, status_code: '204' }, 1],
    ]);
  });

  it('counts each exception once by class, with method, endpoint and final status', async () => {
    const { fixture, http } = await versionedFixture(platform);
    await http.get('/api/v1/things/1/missing').expect(404);
    await http.get('/api/v1/things/1/crash').expect(500);
    await http.get('/api/v1/things/1/crash').expect(500);
    await http.get('/api/v1/things/1/guarded').expect(403);
    await http.get('/api/v1/things/1').expect(200);

    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 5);
    expect(
      valueOf(text, EXCEPTIONS, {
        exception_type: 'NotFoundException',
        endpoint: '/api/v1/things/:id/missing',
        status_code: '404',
        method: 'GET',
      }),
    ).toBe(1);
    expect(
      valueOf(text, EXCEPTIONS, {
        exception_type: 'TypeError',
        endpoint: '/api/v1/things/:id/crash',
        status_code: '500',
      }),
    ).toBe(2);
    expect(
      valueOf(text, EXCEPTIONS, {
        exception_type: 'ForbiddenException',
        endpoint: '/api/v1/things/:id/guarded',
        status_code: '403',
      }),
    ).toBe(1);
    expect(sumOf(text, EXCEPTIONS)).toBe(4);
  });

  it('answers exceptions exactly as Nest does without the module', async () => {
    const bare = await createFixture({
      platform,
      metrics: { enabled: false },
      globalPrefix: 'api',
      versioned: true,
    });
    const { http } = await versionedFixture(platform);
    try {
      for (const path of [
        '/api/v1/things/1/missing',
        '/api/v1/things/1/crash',
        '/api/v1/things/1/guarded',
        '/api/v1/things/x',
      ]) {
        const expected = await request(bare.app.getHttpServer()).get(path);
        const actual = await http.get(path);
        expect(actual.status).toBe(expected.status);
        expect(actual.body).toEqual(expected.body);
        expect(actual.headers['content-type']).toBe(expected.headers['content-type']);
        expect(actual.headers['content-length']).toBe(expected.headers['content-length']);
      }
    } finally {
      await bare.close();
    }
  });

  it('leaves exception filters of the app itself in charge', async () => {
    @Catch(TypeError)
    class TeapotFilter implements ExceptionFilter {
      constructor(private readonly adapter: HttpServer) {}
      catch(_exception: TypeError, host: ArgumentsHost) {
        this.adapter.reply(host.switchToHttp().getResponse(), { teapot: true }, 418);
      }
    }
    const { fixture, http } = await versionedFixture(platform, {
      configure: (app) => app.useGlobalFilters(new TeapotFilter(app.getHttpAdapter())),
    });
    const response = await http.get('/api/v1/things/1/crash').expect(418);
    expect(response.body).toEqual({ teapot: true });
    await http.get('/api/v1/things/1/missing').expect(404);

    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 2);
    expect(
      valueOf(text, REQUESTS, { endpoint: '/api/v1/things/:id/crash', status_code: '418' }),
    ).toBe(1);
    // The app's filter answered the TypeError; it is counted all the same, with the status it chose.
    expect(valueOf(text, EXCEPTIONS, { exception_type: 'TypeError', status_code: '418' })).toBe(1);
    expect(valueOf(text, EXCEPTIONS, { exception_type: 'NotFoundException' })).toBe(1);
    expect(sumOf(text, EXCEPTIONS)).toBe(2);
  });

  it('counts streamed responses once, when they end, with the bytes sent', async () => {
    const { fixture, http } = await versionedFixture(platform);
    const file = await http
      .get('/api/v1/things/1/file')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks).toString()));
      })
      .expect(200);
    expect(file.body).toBe('a'.repeat(1000) + 'b'.repeat(500));
    expect(file.headers['content-length']).toBeUndefined();
    const events = await http.get('/api/v1/things/1/events').expect(200);
    expect(events.text.match(/^data: /gm)).toHaveLength(3);

    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 2);
    expect(
      valueOf(text, REQUESTS, { endpoint: '/api/v1/things/:id/file', status_code: '200' }),
    ).toBe(1);
    expect(
      valueOf(text, REQUESTS, { endpoint: '/api/v1/things/:id/events', status_code: '200' }),
    ).toBe(1);
    expect(
      valueOf(text, 'http_response_size_bytes_count', { endpoint: '/api/v1/things/:id/file' }),
    ).toBe(1);
    // Chunked: the body plus its chunk framing, measured on the socket.
    const fileBytes = valueOf(text, 'http_response_size_bytes_sum', {
      endpoint: '/api/v1/things/:id/file',
    })!;
    expect(fileBytes).toBeGreaterThanOrEqual(1500);
    expect(fileBytes).toBeLessThan(1600);
  });

  it('records declared request and response sizes exactly', async () => {
    const { fixture, http } = await versionedFixture(platform);
    const body = JSON.stringify({ name: 'sized' });
    const response = await http
      .post('/api/v1/things')
      .set('content-type', 'application/json')
      .send(body)
      .expect(201);
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 1);
    expect(
      valueOf(text, 'http_request_size_bytes_sum', { method: 'POST', endpoint: '/api/v1/things' }),
    ).toBe(body.length);
    expect(
      valueOf(text, 'http_response_size_bytes_sum', { method: 'POST', endpoint: '/api/v1/things' }),
    ).toBe(Number(response.headers['content-length']));
    expect(
      valueOf(text, 'http_request_size_bytes_bucket', {
        method: 'POST',
        endpoint: '/api/v1/things',
        le: '64',
      }),
    ).toBe(1);
  });

  it('tracks requests in progress and returns to 0 after normal and aborted requests', async () => {
    const { fixture } = await versionedFixture(platform);
    const server = fixture.app.getHttpServer() as http.Server;
    const port = await listenOnLoopback(server);
    const slow = { method: 'GET', endpoint: '/api/v1/things/:id/slow' };

    const completed = fetch(`http://127.0.0.1:${port}/api/v1/things/1/slow`);
    const aborted = http.get(`http://127.0.0.1:${port}/api/v1/things/2/slow`);
    aborted.on('error', () => undefined);
    while (gate.arrived < 2) await new Promise((resolve) => setTimeout(resolve, 5));

    const during = await fixture.scrape();
    expect(valueOf(during, IN_PROGRESS, slow)).toBe(2);
    expect(valueOf(during, IN_PROGRESS, { endpoint: '/metrics' })).toBeUndefined();

    aborted.destroy();
    const afterAbort = await scrapeUntil(fixture, (t) => valueOf(t, IN_PROGRESS, slow) === 1);
    expect(valueOf(afterAbort, IN_PROGRESS, slow)).toBe(1);
    expect(valueOf(afterAbort, REQUESTS, { ...slow, status_code: '499' })).toBe(1);

    gate.releaseAll();
    expect((await completed).status).toBe(200);
    const after = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 2);
    expect(valueOf(after, IN_PROGRESS, slow)).toBe(0);
    expect(valueOf(after, REQUESTS, { ...slow, status_code: '200' })).toBe(1);
    expect(valueOf(after, REQUESTS, { ...slow, status_code: '499' })).toBe(1);
    expect(sumOf(after, IN_PROGRESS)).toBe(0);
    await closeServer(server);
  });

  it('records non-standard methods as _OTHER', async () => {
    const { fixture } = await versionedFixture(platform);
    const server = fixture.app.getHttpServer() as http.Server;
    const port = await listenOnLoopback(server);
    for (const method of ['PROPFIND', 'MKCOL', 'PURGE']) {
      await requestFresh(`http://127.0.0.1:${port}/api/v1/things/1`, { method });
    }
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 3);
    expect(labelValues(text, REQUESTS, 'method')).toEqual(['_OTHER']);
    expect(
      valueOf(text, REQUESTS, { method: '_OTHER', endpoint: '<unmatched>', status_code: '404' }),
    ).toBe(3);
    await closeServer(server);
  });

  it('does not record the metrics endpoints or excluded paths', async () => {
    const { fixture, http } = await versionedFixture(platform, {
      metrics: {
        excludePaths: ['/api/v1/things/:id/missing', /^\/api\/v1\/things\/\d+\/file$/, '/no/such'],
      },
      configure: useAnsweringMiddleware,
    });
    await http.get('/metrics').expect(200);
    await http.get('/metrics/custom').expect(200);
    await http.get('/api/v1/things/1/missing').expect(404);
    // Answered before the excluded route runs, but meant for it.
    await http.get('/api/v1/things/2/missing').set('x-answer-with', '403').expect(403);
    await http.get('/api/v1/things/1/file').expect(200);
    await http.get('/no/such').expect(404);
    await http.get('/api/v1/things/1').expect(200);

    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 1);
    expect(sumOf(text, REQUESTS)).toBe(1);
    expect(valueOf(text, REQUESTS, { endpoint: '/api/v1/things/:id', status_code: '200' })).toBe(1);
    expect(sumOf(text, EXCEPTIONS)).toBe(0);
  });

  it('groups status codes into classes when asked', async () => {
    const { fixture, http } = await versionedFixture(platform, {
      metrics: { groupStatusCodes: true },
    });
    await http.get('/api/v1/things/1').expect(200);
    await http.post('/api/v1/things').send({ name: 'a' }).expect(201);
    await http.get('/api/v1/things/1/crash').expect(500);
    await http.get('/nowhere').expect(404);
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 4);
    expect(labelValues(text, REQUESTS, 'status_code')).toEqual(['2xx', '4xx', '5xx']);
    expect(
      valueOf(text, REQUESTS, {
        method: 'GET',
        endpoint: '/api/v1/things/:id',
        status_code: '2xx',
      }),
    ).toBe(1);
    expect(valueOf(text, EXCEPTIONS, { exception_type: 'TypeError', status_code: '5xx' })).toBe(1);
  });

  it('serves the endpoints under the global prefix unless excluded from it', async () => {
    fixture = await createFixture({ platform, globalPrefix: 'api' });
    await request(fixture.app.getHttpServer()).get('/metrics').expect(404);
    const text = await fixture.scrape('/api/metrics');
    expect(text).toContain('# TYPE http_requests_total counter');
    await request(fixture.app.getHttpServer()).get('/api/metrics/custom').expect(200);
  });

  it('keeps a single in-progress series when inProgressLabels is false', async () => {
    const { fixture, http } = await versionedFixture(platform, {
      metrics: { inProgressLabels: false },
    });
    await http.get('/api/v1/things/1').expect(200);
    const text = await scrapeUntil(fixture, (t) => sumOf(t, REQUESTS) === 1);
    expect(valueOf(text, IN_PROGRESS, {})).toBe(0);
    expect(text).toMatch(/^http_requests_in_progress 0$/m);
  });
});
