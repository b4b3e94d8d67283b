import { afterEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { createFixture, type Fixture } from './fixtures/fixture-app.js';
import { parseExposition, sumOf, valueOf } from './support/exposition.js';
import { requestFresh } from './support/fresh-request.js';
import { closeServer, listenOnLoopback } from './support/loopback.js';
import { describeWithBinary, runBinary } from './support/promtool.js';
import { RecordingLogger } from './support/recording-logger.js';
import { PLATFORMS, type Platform } from './support/platforms.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';
/** What a Prometheus 2.x server sends when it scrapes. */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function withTraffic(platform: Platform, options: Parameters<typeof createFixture>[0] = {}) {
  fixture = await createFixture({ platform, ...options });
  const http = request(fixture.app.getHttpServer());
  await http.get('/things/1').expect(200);
  await http.get('/things/1/crash').expect(500);
  await http.get('/missing').expect(404);
  return { fixture, http };
}

describe.each(PLATFORMS)('on %s', (platform) => {
  describe('/metrics exposition', () => {
    it('serves the classic text format by default', async () => {
      const { http } = await withTraffic(platform);
      const response = await http.get('/metrics').expect(200);
      expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.text).toMatch(/^# HELP http_requests_total /m);
      expect(response.text).toMatch(/^# TYPE http_requests_total counter$/m);
      expect(response.text).not.toContain('# EOF');
    });

    it('serves OpenMetrics when the scraper prefers it, as Prometheus does', async () => {
      const { http } = await withTraffic(platform);
      for (const accept of [OPENMETRICS, PROMETHEUS_ACCEPT]) {
        const response = await http.get('/metrics').set('Accept', accept).expect(200);
        expect(response.headers['content-type']).toBe(
          'application/openmetrics-text; version=1.0.0; charset=utf-8',
        );
        expect(response.text).toMatch(/^# TYPE http_requests counter$/m);
        expect(response.text).toMatch(
          /^http_requests_total\{method="GET",endpoint="\/things\/:id",status_code="200"\} 1$/m,
        );
        expect(response.text.endsWith('# EOF\n')).toBe(true);
      }
      const textFirst = await http
        .get('/metrics')
        .set('Accept', 'text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5');
      expect(textFirst.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    });

    it('keeps _total on counters in the text format after an OpenMetrics scrape', async () => {
      const { http } = await withTraffic(platform);
      await http.get('/metrics').set('Accept', OPENMETRICS).expect(200);
      const text = (await http.get('/metrics').expect(200)).text;
      expect(text).toMatch(/^# TYPE http_requests_total counter$/m);
      expect(text).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
      expect(text).not.toMatch(/^# TYPE http_requests counter$/m);
      expect(
        valueOf(text, 'http_requests_total', { endpoint: '/things/:id', status_code: '200' }),
      ).toBe(1);
    });

    it('compresses with gzip when the client accepts it, and not when it refuses it', async () => {
      const { fixture, http } = await withTraffic(platform);
      const server = fixture.app.getHttpServer() as Server;
      const port = await listenOnLoopback(server);
      try {
        const url = `http://127.0.0.1:${port}/metrics`;
        const raw = await requestFresh(url, { headers: { 'accept-encoding': 'gzip, deflate' } });
        expect(raw.headers['content-encoding']).toBe('gzip');
        expect(raw.headers.vary).toBe('Accept, Accept-Encoding');
        expect(gunzipSync(raw.rawBody).toString()).toContain('# TYPE http_requests_total counter');
        const plain = await requestFresh(url, {
          headers: { 'accept-encoding': 'gzip;q=0, identity' },
        });
        expect(plain.headers['content-encoding']).toBeUndefined();
        expect(plain.rawBody.toString()).toContain('# TYPE http_requests_total counter');
      } finally {
        await closeServer(server);
      }
      await http.get('/metrics').expect(200);
    });

    it('applies the prefix and default labels to every series', async () => {
      const { http } = await withTraffic(platform, {
        metrics: { prefix: 'shop_', defaultLabels: { team: 'shop' } },
      });
      const text = (await http.get('/metrics').expect(200)).text;
      const samples = parseExposition(text);
      expect(samples.length).toBeGreaterThan(50);
      expect(samples.filter((sample) => !sample.name.startsWith('shop_'))).toEqual([]);
      expect(samples.filter((sample) => sample.labels.team !== 'shop')).toEqual([]);
      expect(
        valueOf(text, 'shop_http_requests_total', { endpoint: '/things/:id', status_code: '200' }),
      ).toBe(1);
    });

    it('answers HEAD with the headers of GET and no body', async () => {
      const { fixture } = await withTraffic(platform);
      const server = fixture.app.getHttpServer() as Server;
      const port = await listenOnLoopback(server);
      try {
        for (const [path, type] of [
          ['/metrics', 'text/plain; version=0.0.4; charset=utf-8'],
          ['/metrics/custom', 'application/json; charset=utf-8'],
        ]) {
          const head = await requestFresh(`http://127.0.0.1:${port}${path}`, { method: 'HEAD' });
          expect(head.status).toBe(200);
          expect(head.headers['content-type']).toBe(type);
          expect(head.headers['cache-control']).toBe('no-store');
          expect(head.rawBody.length).toBe(0);
        }
      } finally {
        await closeServer(server);
      }
    });

    it('serves custom paths, and nothing on the default ones', async () => {
      const { http } = await withTraffic(platform, {
        metrics: { path: 'ops/prometheus', customPath: '/ops/summary' },
      });
      const text = (await http.get('/ops/prometheus').expect(200)).text;
      expect(
        valueOf(text, 'http_requests_total', { endpoint: '/things/:id', status_code: '200' }),
      ).toBe(1);
      expect((await http.get('/ops/summary').expect(200)).body.http.requests_total).toBe(3);
      await http.get('/metrics').expect(404);
      await http.get('/metrics/custom').expect(404);
    });

    it('logs nothing at error level while serving scrapes', async () => {
      const logger = new RecordingLogger();
      fixture = await createFixture({ platform, configure: (app) => app.useLogger(logger) });
      const http = request(fixture.app.getHttpServer());
      await http.get('/metrics').expect(200);
      await http
        .get('/metrics')
        .set('Accept', OPENMETRICS)
        .set('Accept-Encoding', 'gzip')
        .expect(200);
      await http.get('/metrics/custom').expect(200);
      await http.head('/metrics').expect(200);
      expect(logger.errors).toEqual([]);
    });
  });

  describe('endpoint protection', () => {
    it('asks for a bearer token with 401 and WWW-Authenticate, and accepts the right one', async () => {
      fixture = await createFixture({
        platform,
        metrics: { auth: { bearerToken: 's3cret-token' } },
      });
      const http = request(fixture.app.getHttpServer());
      for (const path of ['/metrics', '/metrics/custom']) {
        const missing = await http.get(path).expect(401);
        expect(missing.headers['www-authenticate']).toBe('Bearer realm="metrics"');
        expect(missing.body).toEqual({ message: 'Unauthorized', statusCode: 401 });
        await http.get(path).set('Authorization', 'Bearer wrong').expect(401);
        await http.get(path).set('Authorization', 'Bearer s3cret-token-and-more').expect(401);
        await http.get(path).set('Authorization', 'Basic czNjcmV0LXRva2Vu').expect(401);
        await http.get(path).set('Authorization', 'Bearer s3cret-token').expect(200);
        await http.get(path).set('Authorization', 'bearer s3cret-token').expect(200);
      }
    });

    it('accepts HTTP Basic credentials when configured with a user name and password', async () => {
      fixture = await createFixture({
        platform,
        metrics: { auth: { username: 'prometheus', password: 'p4ss:word' } },
      });
      const http = request(fixture.app.getHttpServer());
      const missing = await http.get('/metrics').expect(401);
      expect(missing.headers['www-authenticate']).toBe('Basic realm="metrics", charset="UTF-8"');
      await http.get('/metrics').auth('prometheus', 'wrong').expect(401);
      await http.get('/metrics').auth('other', 'p4ss:word').expect(401);
      await http.get('/metrics').set('Authorization', 'Basic !!!not-base64').expect(401);
      await http.get('/metrics').auth('prometheus', 'p4ss:word').expect(200);
    });

    it('does not count rejected scrapes as traffic', async () => {
      fixture = await createFixture({ platform, metrics: { auth: { bearerToken: 'token' } } });
      const http = request(fixture.app.getHttpServer());
      await http.get('/metrics').expect(401);
      const text = (await http.get('/metrics').set('Authorization', 'Bearer token').expect(200))
        .text;
      expect(sumOf(text, 'http_requests_total')).toBe(0);
    });
  });

  describe('/metrics/custom', () => {
    it('agrees with /metrics taken at the same moment', async () => {
      const { fixture, http } = await withTraffic(platform);
      await http.get('/things/2').expect(200);
      await http.get('/things/3/missing').expect(404);
      let text = '';
      for (let attempt = 0; attempt < 50 && sumOf(text, 'http_requests_total') !== 5; attempt++) {
        text = await fixture.scrape();
      }
      const summary = (await http.get('/metrics/custom').expect(200)).body;
      expect(summary.http.requests_total).toBe(sumOf(text, 'http_requests_total'));
      expect(summary.http.requests_total).toBe(5);
      expect(summary.http.by_status_class).toEqual({ '2xx': 2, '4xx': 2, '5xx': 1 });
      expect(summary.http.error_rate).toBe(0.2);
      expect(summary.http.in_progress).toBe(0);
      expect(summary.http.busiest_endpoints[0]).toEqual({
        method: 'GET',
        endpoint: '/things/:id',
        requests: 2,
      });
      expect(summary.http.latency_seconds.p50).toBeGreaterThan(0);
      expect(summary.process.resident_memory_bytes).toBeGreaterThan(0);
      expect(Object.keys(summary).sort()).toEqual([
        'active_connections',
        'auth_events',
        'background_tasks',
        'cache',
        'database',
        'external_calls',
        'http',
        'process',
        'queues',
        'uptime_seconds',
      ]);
    });
  });

  describeWithBinary(
    'promtool',
    'apt-get install prometheus',
    'promtool check metrics',
    (promtool) => {
      const lint = (text: string) => runBinary(promtool, ['check', 'metrics'], { input: text });

      for (const [title, options] of [
        ['defaults', {}],
        [
          'prefix and default labels',
          { metrics: { prefix: 'shop_', defaultLabels: { team: 'shop', region: 'eu' } } },
        ],
        ['grouped status codes', { metrics: { groupStatusCodes: true } }],
      ] as const) {
        it(`finds nothing to report in the text format with ${title}`, async () => {
          const { http } = await withTraffic(platform, options);
          const text = (await http.get('/metrics').expect(200)).text;
          const result = lint(text);
          expect(result.output).toBe('');
          expect(result.status).toBe(0);
        });
      }
    },
  );
});
