import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import request from 'supertest';
import { MetricsService } from '../src/metrics/index.js';
import { createFixture, type Fixture } from './fixtures/fixture-app.js';
import { sumOf, valueOf } from './support/exposition.js';
import { closeServer, listenOnLoopback } from './support/loopback.js';
import { PLATFORMS, type Platform } from './support/platforms.js';

let fixture: Fixture | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
  if (blocker) await closeServer(blocker);
  blocker = undefined;
});

async function fixtureWithListener(platform: Platform, extra: Record<string, unknown> = {}) {
  fixture = await createFixture({
    platform,
    metrics: { port: 0, host: '127.0.0.1', ...extra },
  });
  const address = fixture.app.get(MetricsService).listenerAddress;
  if (!address) throw new Error('the metrics listener did not start');
  return {
    app: request(fixture.app.getHttpServer()),
    listener: request(`http://127.0.0.1:${address.port}`),
    address,
  };
}

describe.each(PLATFORMS)('on %s', (platform) => {
  describe('a separate metrics listener', () => {
    it('serves /metrics and /metrics/custom on its own port, and the app port answers 404 for them', async () => {
      const { app, listener } = await fixtureWithListener(platform);
      await app.get('/things/1').expect(200);
      await app.get('/metrics').expect(404);
      await app.get('/metrics/custom').expect(404);

      const scrape = await listener.get('/metrics').expect(200);
      expect(scrape.headers['content-type']).toContain('text/plain');
      const text = scrape.text;
      expect(
        valueOf(text, 'http_requests_total', { endpoint: '/things/:id', status_code: '200' }),
      ).toBe(1);
      // The refused scrapes on the app port and the listener's own requests are not app traffic.
      expect(sumOf(text, 'http_requests_total')).toBe(1);

      const summary = await listener.get('/metrics/custom').expect(200);
      expect(summary.body.http.requests_total).toBe(1);
      await listener.get('/elsewhere').expect(404);
      await listener.post('/metrics').expect(404);
    });

    it('negotiates OpenMetrics and gzip like the app route', async () => {
      const { listener } = await fixtureWithListener(platform);
      const openMetrics = await listener
        .get('/metrics')
        .set('Accept', 'application/openmetrics-text; version=1.0.0')
        .set('Accept-Encoding', 'gzip')
        .expect(200);
      expect(openMetrics.headers['content-type']).toContain('application/openmetrics-text');
      expect(openMetrics.headers['content-encoding']).toBe('gzip');
      expect(openMetrics.text).toContain('# EOF');
    });

    it('requires the configured credentials', async () => {
      const { listener } = await fixtureWithListener(platform, { auth: { bearerToken: 's3cret' } });
      const refused = await listener.get('/metrics').expect(401);
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      await listener.get('/metrics/custom').set('Authorization', 'Bearer wrong').expect(401);
      await listener.get('/metrics').set('Authorization', 'Bearer s3cret').expect(200);
    });

    it('closes with the app', async () => {
      const { address } = await fixtureWithListener(platform);
      await fixture?.close();
      fixture = undefined;
      await expect(request(`http://127.0.0.1:${address.port}`).get('/metrics')).rejects.toThrow(
        /ECONNREFUSED/,
      );
    });

    it('fails the bootstrap when its port is taken', async () => {
      blocker = createServer();
      const port = await listenOnLoopback(blocker);
      await expect(
        createFixture({ platform, metrics: { port, host: '127.0.0.1' } }),
      ).rejects.toThrow(/EADDRINUSE/);
    });
  });
});
