import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { OTHER_METHOD, STANDARD_HTTP_METHODS } from '../src/metrics/metrics.constants.js';
import { createFixture, type Fixture } from './fixtures/fixture-app.js';
import { requestFresh } from './support/fresh-request.js';
import { parseExposition, valueOf } from './support/exposition.js';
import { listenAppOnLoopback } from './support/loopback.js';
import { PLATFORMS } from './support/platforms.js';

/** Every value a client sends carries this, so any of it reaching a label or a log is easy to spot. */
const MARK = 'zq7mark';
const USER = 'prometheus';
const PASSWORD = 'scrape-secret';
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
const VALID = basic(`${USER}:${PASSWORD}`);

describe.each(PLATFORMS)('on %s', (platform) => {
  describe('hostile and malformed requests', () => {
    let fixture: Fixture;
    let baseUrl = '';
    const errorLogs = jest.fn();
    const send = (
      path: string,
      options: { method?: string; headers?: Record<string, string> } = {},
    ) => requestFresh(`${baseUrl}${path}`, options);

    beforeAll(async () => {
      jest.spyOn(Logger.prototype, 'error').mockImplementation(errorLogs);
      jest.spyOn(console, 'error').mockImplementation(errorLogs);
      fixture = await createFixture({
        platform,
        metrics: { auth: { username: USER, password: PASSWORD } },
      });
      baseUrl = await listenAppOnLoopback(fixture.app);
    });

    afterAll(async () => {
      await fixture.close();
      jest.restoreAllMocks();
    });

    it('serves /metrics whatever the size and content of Accept and Accept-Encoding', async () => {
      const hugeAccept =
        `application/${MARK};q=0.1, `.repeat(300) + 'application/openmetrics-text;q=abc';
      const accepted = await send('/metrics', {
        headers: { Authorization: VALID, Accept: hugeAccept },
      });
      expect(accepted.status).toBe(200);
      expect(accepted.headers['content-type']).toContain('text/plain');

      const hugeEncoding = `${MARK};q=0.5, `.repeat(400) + 'gzip;q=nonsense';
      const encoded = await send('/metrics', {
        headers: { Authorization: VALID, 'Accept-Encoding': hugeEncoding },
      });
      expect(encoded.status).toBe(200);
      expect(encoded.headers['content-encoding']).toBeUndefined();
    });

    it('answers 401 to every malformed or wrong credential', async () => {
      const attempts = [
        `Basic !!!${MARK}`,
        basic(`${MARK}-without-colon`),
        basic(`${USER}:${MARK}`),
        basic(`${MARK}:${PASSWORD}`),
        `Bearer ${MARK}`,
        `Digest username="${MARK}"`,
        'Basic',
        `Basic ${'A'.repeat(6000)}${MARK}`,
        MARK,
      ];
      for (const authorization of attempts) {
        const response = await send('/metrics', { headers: { Authorization: authorization } });
        expect(response.status).toBe(401);
        expect(response.body).not.toContain(MARK);
      }
    });

    it('answers 401 to every malformed or wrong bearer token', async () => {
      const bearer = await createFixture({
        platform,
        metrics: { auth: { bearerToken: 'scrape-token' } },
      });
      try {
        const bearerUrl = await listenAppOnLoopback(bearer.app);
        const attempts = [
          `Bearer ${MARK}`,
          `Bearer scrape-token${MARK}`,
          `Bearer ${'t'.repeat(6000)}${MARK}`,
          'Bearer',
          'Bearer ',
          basic(`scrape-token:${MARK}`),
          `${MARK} scrape-token`,
        ];
        for (const authorization of attempts) {
          const response = await requestFresh(`${bearerUrl}/metrics`, {
            headers: { Authorization: authorization },
          });
          expect(response.status).toBe(401);
          expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"');
        }
        const accepted = await requestFresh(`${bearerUrl}/metrics`, {
          headers: { Authorization: 'Bearer scrape-token' },
        });
        expect(accepted.status).toBe(200);
      } finally {
        await bearer.close();
      }
    });

    it('keeps answering non-standard methods, very long paths and query strings, and encoded junk', async () => {
      for (const method of ['PURGE', 'PROPFIND', 'M-SEARCH', 'LINK']) {
        expect((await send('/things/1', { method })).status).toBe(404);
      }
      // Node's parser refuses methods it does not know before the app sees them.
      expect((await send('/things/1', { method: MARK.toUpperCase() })).status).toBe(400);
      expect((await send(`/${MARK}${'a'.repeat(6000)}`)).status).toBe(404);
      // Fastify's router refuses a route parameter longer than its `maxParamLength` (414) before
      // any route runs; on Express the route's ParseIntPipe refuses it (400).
      expect((await send(`/things/${MARK}${'b'.repeat(6000)}`)).status).toBe(
        platform === 'fastify' ? 414 : 400,
      );
      expect((await send(`/things/1?${MARK}=${'c'.repeat(6000)}&x=%ff%00`)).status).toBe(200);
      expect((await send(`/things/%00${MARK}%ff`)).status).toBe(400);
      expect((await send(`/%2e%2e/${MARK}/%2e%2e/passwd`)).status).toBe(404);
      expect((await send('/things/1')).status).toBe(200);
    });

    it('lets no client text into a label and logs nothing at error level', async () => {
      const scrape = await send('/metrics', { headers: { Authorization: VALID } });
      expect(scrape.status).toBe(200);
      expect(scrape.body).not.toContain(MARK);

      const httpSamples = parseExposition(scrape.body).filter((sample) =>
        sample.name.startsWith('http_'),
      );
      const endpoints = new Set(
        httpSamples.map((sample) => sample.labels.endpoint).filter(Boolean),
      );
      expect([...endpoints].sort()).toEqual(['/things/:id', '<unmatched>']);
      for (const sample of httpSamples) {
        const { method, status_code: status } = sample.labels;
        if (method !== undefined)
          expect([...STANDARD_HTTP_METHODS, OTHER_METHOD]).toContain(method);
        if (status !== undefined) expect(status).toMatch(/^\d{3}$/);
      }
      expect(
        valueOf(scrape.body, 'http_requests_total', {
          method: OTHER_METHOD,
          endpoint: '<unmatched>',
        }),
      ).toBe(4);
      expect(errorLogs).not.toHaveBeenCalled();
    });
  });
});
