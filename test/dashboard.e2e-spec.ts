/// <reference lib="dom" />
// The page.evaluate callbacks below run in Chromium and are typed against its DOM.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import request from 'supertest';
import { createApp } from '../src/app.factory.js';
import { DEMO_USER } from '../src/database/database.schema.js';
import { MetricsService, type MetricsSummary } from '../src/metrics/index.js';
import { createFixture, type Fixture } from './fixtures/fixture-app.js';
import { launchChromium, recordedPage, type RecordedPage } from './support/browser.js';
import { LOOPBACK, listenAppOnLoopback } from './support/loopback.js';
import { PLATFORMS } from './support/platforms.js';
import { PROJECT_ROOT } from './support/project-root.js';
import { describeWithBinary } from './support/promtool.js';

const DASHBOARD = '/metrics/custom/dashboard';
const HOSTILE_ALERT = '<img src=x onerror=alert(1)>';
const HOSTILE_FLAG =
  '<img src=x onerror="window.__labelRan=1"><script>window.__labelRan=2</script>';
const BASIC = { username: 'watcher', password: 'p4ss' };

describe.each(PLATFORMS)('the dashboard page over HTTP on %s', (platform) => {
  let fixture: Fixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it('is off by default: its path answers 404', async () => {
    fixture = await createFixture({ platform });
    await request(fixture.app.getHttpServer()).get(DASHBOARD).expect(404);
  });

  it('is one HTML document under 60 KB gzipped, with a strict CSP and nothing to load', async () => {
    fixture = await createFixture({ platform, metrics: { dashboard: true } });
    const response = await request(fixture.app.getHttpServer()).get(DASHBOARD).expect(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const gzipped = gzipSync(Buffer.from(response.text, 'utf8')).length;
    expect(gzipped).toBeLessThan(60 * 1024);
    const csp = String(response.headers['content-security-policy']).split('; ');
    expect(csp[0]).toBe("default-src 'none'");
    expect(csp[1]).toMatch(/^script-src 'sha256-[A-Za-z0-9+/]+=*'$/);
    expect(csp[2]).toMatch(/^style-src 'sha256-[A-Za-z0-9+/]+=*'$/);
    expect(csp.slice(3)).toEqual([
      "connect-src 'self'",
      'img-src data:',
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
      "require-trusted-types-for 'script'",
      "trusted-types 'none'",
    ]);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    // No external reference and no inline handler attribute anywhere in the document.
    expect(response.text).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(response.text).not.toMatch(/\son[a-z]+=/i);
    expect(response.text.match(/<script/g)).toHaveLength(1);
  });

  it('answers 401 without credentials, like the summary it polls, and is not counted as traffic', async () => {
    fixture = await createFixture({ platform, metrics: { dashboard: true, auth: BASIC } });
    const http = request(fixture.app.getHttpServer());
    const page = await http.get(DASHBOARD).expect(401);
    expect(page.headers['www-authenticate']).toBe('Basic realm="metrics", charset="UTF-8"');
    await http.get('/metrics/custom').expect(401);
    await http.get(DASHBOARD).auth(BASIC.username, BASIC.password).expect(200);
    const summary = await http.get('/metrics/custom').auth(BASIC.username, BASIC.password);
    expect(summary.body.http.requests_total).toBe(0);
  });

  it('is served on the separate listener with the other endpoints, and not on the app port', async () => {
    fixture = await createFixture({
      platform,
      metrics: { dashboard: true, port: 0, host: LOOPBACK },
    });
    const address = fixture.app.get(MetricsService).listenerAddress;
    await request(fixture.app.getHttpServer()).get(DASHBOARD).expect(404);
    const listener = request(`http://${LOOPBACK}:${address?.port}`);
    const page = await listener.get(DASHBOARD).expect(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    await listener.head(DASHBOARD).expect(200);
  });

  it('follows customPath', async () => {
    fixture = await createFixture({ platform, metrics: { dashboard: true, customPath: '/stats' } });
    const http = request(fixture.app.getHttpServer());
    await http.get('/stats/dashboard').expect(200);
    await http.get(DASHBOARD).expect(404);
  });
});

/** Every `data-figure` tile's raw value, as the page shows it. */
function tiles(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-figure]', (nodes) =>
    Object.fromEntries(
      nodes.map((node) => [
        (node as HTMLElement).dataset.figure,
        (node as HTMLElement).dataset.value,
      ]),
    ),
  );
}

/** Each table's rows by `data-key`, each row's numbers by column. */
function tables(page: Page): Promise<Record<string, Record<string, Record<string, string>>>> {
  return page.$$eval('table[data-table]', (nodes) =>
    Object.fromEntries(
      nodes.map((table) => [
        (table as HTMLElement).dataset.table,
        Object.fromEntries(
          [...table.querySelectorAll('tbody tr[data-key]')].map((row) => [
            (row as HTMLElement).dataset.key,
            Object.fromEntries(
              [...row.querySelectorAll('td[data-column]')].map((cell) => [
                (cell as HTMLElement).dataset.column,
                (cell as HTMLElement).dataset.value,
              ]),
            ),
          ]),
        ),
      ]),
    ),
  );
}

const raw = (value: number | null | undefined) => (value == null ? '' : String(value));

/** The tiles the summary implies; `rate` is the page's own, from two summaries. */
function expectedTiles(summary: MetricsSummary): Record<string, string> {
  const { http, database, cache, process: proc } = summary;
  return {
    'http.requests_total': raw(http.requests_total),
    'http.error_rate': raw(http.error_rate),
    'http.latency_seconds.p50': raw(http.latency_seconds.p50),
    'http.latency_seconds.p90': raw(http.latency_seconds.p90),
    'http.latency_seconds.p99': raw(http.latency_seconds.p99),
    'http.in_progress': raw(http.in_progress),
    active_connections: raw(summary.active_connections),
    'database.operations_total': raw(database.operations_total),
    'database.errors_total': raw(database.errors_total),
    'cache.hit_rate': raw(cache.hit_rate),
    'process.resident_memory_bytes': raw(proc.resident_memory_bytes),
    'process.heap_used_bytes': raw(proc.heap_used_bytes),
    'process.event_loop_lag_seconds': raw(proc.event_loop_lag_seconds),
  };
}

function expectedTables(summary: MetricsSummary) {
  const grouped = (record: Record<string, Record<string, number>>, columns: string[]) =>
    Object.fromEntries(
      Object.entries(record).map(([key, counts]) => [
        key,
        Object.fromEntries(
          columns.map((c) => [c[0].toUpperCase() + c.slice(1), raw(counts[c] ?? 0)]),
        ),
      ]),
    );
  return {
    busiest: Object.fromEntries(
      summary.http.busiest_endpoints.map((e) => [
        `${e.method} ${e.endpoint}`,
        { Requests: raw(e.requests) },
      ]),
    ),
    slowest: Object.fromEntries(
      summary.http.slowest_endpoints.map((e) => [
        `${e.method} ${e.endpoint}`,
        { Mean: raw(e.avg_duration_seconds), Requests: raw(e.requests) },
      ]),
    ),
    database: Object.fromEntries(
      summary.database.by_operation.map((o) => [
        `${o.table} ${o.operation}`,
        { Count: raw(o.count), Errors: raw(o.errors), Mean: raw(o.avg_duration_seconds) },
      ]),
    ),
    caches: Object.fromEntries(
      Object.entries(summary.cache.by_cache).map(([name, c]) => [
        name,
        { Hits: raw(c.hits), Misses: raw(c.misses), 'Hit ratio': raw(c.hit_rate) },
      ]),
    ),
    queues: Object.fromEntries(
      Object.entries(summary.queues).map(([name, size]) => [name, { Size: raw(size) }]),
    ),
    tasks: grouped(summary.background_tasks, ['started', 'succeeded', 'failed']),
    external: grouped(summary.external_calls, ['success', 'error']),
    auth: grouped(summary.auth_events, ['success', 'failure']),
  };
}

describeWithBinary(
  'chromium',
  'apt-get install chromium',
  'the dashboard in Chromium',
  (chromium) => {
    describe.each(PLATFORMS)('on %s', (platform) => {
      const ENV_KEYS = ['DATABASE_PATH', 'ENABLE_METRICS', 'METRICS_AUTH_TOKEN'] as const;
      const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
      let browser: Browser;
      let context: BrowserContext;
      let app: INestApplication;
      let url: string;
      let tab: RecordedPage;
      /** The last summary the page received, as it received it. */
      let lastSeen: Promise<MetricsSummary> | undefined;
      /** docs/ with UPDATE_SCREENSHOTS=1 (from the Express run), so a plain run leaves the tree as it was. */
      let screenshots: string;
      const docs = join(PROJECT_ROOT, 'docs');

      const summaryUrl = () => `${url}/metrics/custom`;
      const summaryNow = async (): Promise<MetricsSummary> =>
        (await (await fetch(summaryUrl())).json()) as MetricsSummary;

      /** The demo on a free port or on `port`; with queues named to inject markup unless `plain`. */
      async function startDemo(port = 0, plain = false): Promise<void> {
        app = await createApp({ logger: false }, platform);
        if (port === 0) url = await listenAppOnLoopback(app);
        else await app.listen(port, LOOPBACK);
        if (plain) return;
        const metrics = app.get(MetricsService);
        metrics.setQueueSize(HOSTILE_ALERT, 3);
        metrics.setQueueSize(HOSTILE_FLAG, 1);
      }

      /** Requests of every kind the demo records: routes, 4xx and 5xx, db, cache, queue, pricing, auth. */
      async function traffic(rounds: number): Promise<void> {
        const json = { 'content-type': 'application/json' };
        for (let i = 0; i < rounds; i++) {
          await fetch(`${url}/users`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({
              name: `User ${i}`,
              email: `u${i}-${Date.now()}@example.com`,
              password: 'long-enough-pw',
            }),
          });
          await fetch(`${url}/users/1`);
          await fetch(`${url}/users/1`);
          await fetch(`${url}/users/9999`);
          await fetch(`${url}/items/${i + 1}?q=lamp`);
          await fetch(`${url}/items/${i + 1}/price`);
          await fetch(`${url}/items/13/price`);
          if (i % 3 === 0) await fetch(`${url}/items/1/fail`);
          await fetch(`${url}/auth/login`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({
              email: DEMO_USER.email,
              password: i % 4 ? DEMO_USER.password : 'wrong',
            }),
          });
        }
      }

      /** Waits until two summaries a moment apart agree on everything traffic moves. */
      async function settled(): Promise<MetricsSummary> {
        const counters = (s: MetricsSummary) =>
          JSON.stringify([
            s.http.requests_total,
            s.database,
            s.cache,
            s.background_tasks,
            s.queues,
          ]);
        let previous = '';
        for (;;) {
          const summary = await summaryNow();
          if (counters(summary) === previous && summary.queues.email === 0) return summary;
          previous = counters(summary);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }

      const samples = (page: Page) =>
        page.evaluate(() => Number(document.body.dataset.samples ?? '0'));

      /** Runs `action` and waits until the page has shown a summary fetched after it began. */
      async function nextSample(page: Page, action?: () => Promise<unknown>): Promise<void> {
        const before = await samples(page);
        await action?.();
        await page.waitForFunction(
          (n: number) => Number(document.body.dataset.samples ?? '0') > n,
          { timeout: 10_000 },
          before,
        );
      }

      beforeAll(async () => {
        process.env.DATABASE_PATH = ':memory:';
        process.env.ENABLE_METRICS = 'true';
        delete process.env.METRICS_AUTH_TOKEN;
        screenshots =
          process.env.UPDATE_SCREENSHOTS && platform === 'express'
            ? docs
            : mkdtempSync(join(tmpdir(), 'dashboard-'));
        await startDemo();
        browser = await launchChromium(chromium);
        context = await browser.createBrowserContext();
        tab = await recordedPage(context);
        tab.page.on('response', (response) => {
          if (response.url() !== summaryUrl() || !response.ok()) return;
          const summary = response.json() as Promise<MetricsSummary>;
          // The page polls on its own: a poll answered just as the browser closes has no body left to
          // read. Only a test that awaits that summary may fail on it, never the suite's teardown.
          summary.catch(() => undefined);
          lastSeen = summary;
        });
        await tab.page.setViewport({ width: 1280, height: 900 });
      }, 30_000);

      afterAll(async () => {
        await browser?.close();
        await app?.close();
        for (const key of ENV_KEYS) {
          if (savedEnv[key] === undefined) delete process.env[key];
          else process.env[key] = savedEnv[key];
        }
        if (screenshots && screenshots !== docs)
          rmSync(screenshots, { recursive: true, force: true });
      });

      it('shows the figures /metrics/custom has, polling every 2 s by default', async () => {
        const { page } = tab;
        await traffic(4);
        await settled();
        const response = await page.goto(`${url}${DASHBOARD}`);
        expect(response?.status()).toBe(200);
        await page.waitForFunction(() => document.body.dataset.samples === '1', {
          timeout: 10_000,
        });
        expect(await page.$eval('#interval', (node) => (node as HTMLSelectElement).value)).toBe(
          '2000',
        );

        // A long interval, so the summary the page shows stays the last it fetched while we read.
        await nextSample(page, () => page.select('#interval', '30000'));
        const shown = await lastSeen!;
        const now = await summaryNow();

        const figures = await tiles(page);
        // No traffic between the last two polls: the page's own rate is exactly 0.
        expect(figures).toEqual({ rate: '0', ...expectedTiles(shown) });
        const header = await page.evaluate(() => ({
          name: document.getElementById('app-name')?.textContent,
          version: document.getElementById('app-version')?.textContent,
          uptime: document.getElementById('uptime')?.dataset.value,
          refreshed: document.getElementById('refreshed')?.dataset.value,
          title: document.title,
        }));
        expect(header).toEqual({
          name: 'nestjs-instrumentator-demo',
          version: `v${shown.app?.version}`,
          uptime: String(shown.uptime_seconds),
          refreshed: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          title: 'nestjs-instrumentator-demo \u00b7 dashboard',
        });
        expect(await tables(page)).toEqual(expectedTables(shown));
        // What traffic moves is what /metrics/custom has now; only the process figures drift.
        const {
          process: _shownProcess,
          uptime_seconds: _shownUptime,
          active_connections: _a,
          ...stable
        } = shown;
        const {
          process: _nowProcess,
          uptime_seconds: _nowUptime,
          active_connections: _b,
          ...current
        } = now;
        expect(stable).toEqual(current);
        expect(shown.http.by_status_class).toEqual({ '2xx': 23, '4xx': 5, '5xx': 6 });
      });

      it('updates the figures and charts without a reload after more traffic', async () => {
        const { page } = tab;
        await page.evaluate(() => {
          (window as unknown as { sameDocument: boolean }).sameDocument = true;
        });
        await traffic(3);
        const after = await settled();
        await page.select('#interval', '500');
        await page.waitForFunction(
          (total: string) =>
            document.querySelector<HTMLElement>('[data-figure="http.requests_total"]')?.dataset
              .value === total,
          { timeout: 10_000 },
          String(after.http.requests_total),
        );
        await nextSample(page);
        const shown = await lastSeen!;
        expect(shown.http.requests_total).toBe(34 + 25);
        expect((await tiles(page))['http.requests_total']).toBe('59');
        expect(await tables(page)).toEqual(expectedTables(shown));
        expect(
          await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
        ).toBe(true);
        expect(tab.reloads()).toBe(0);
        // Every chart has drawn its history: a line per series with at least two points.
        const charts = await page.$$eval('svg[data-chart]', (nodes) =>
          nodes.map((node) => ({
            chart: (node as SVGElement).dataset.chart,
            points: Number((node as SVGElement).dataset.points),
            lines: node.querySelectorAll('polyline').length,
          })),
        );
        expect(charts.map((c) => c.chart)).toEqual([
          'requests',
          'errors',
          'latency',
          'concurrency',
          'database',
          'cache',
          'queues',
          'activity',
          'memory',
          'lag',
        ]);
        for (const chart of charts) {
          expect(chart.points).toBeGreaterThanOrEqual(3);
          if (chart.chart !== 'errors') expect(chart.lines).toBeGreaterThan(0);
        }
      });

      it('renders hostile queue names as text, and no script runs from them', async () => {
        const { page } = tab;
        const cells = await page.$$eval('table[data-table="queues"] td.label', (nodes) =>
          nodes.map((node) => node.textContent),
        );
        expect(cells).toEqual([HOSTILE_FLAG, HOSTILE_ALERT, 'email'].sort());
        const legend = await page.$$eval('svg[data-chart="queues"]', (nodes) =>
          [...(nodes[0].previousElementSibling?.querySelectorAll('b[data-series]') ?? [])].map(
            (node) => (node as HTMLElement).dataset.series,
          ),
        );
        expect(legend.sort()).toEqual([HOSTILE_FLAG, HOSTILE_ALERT, 'email'].sort());
        expect(await page.$$eval('main img, main script', (nodes) => nodes.length)).toBe(0);
        expect(
          await page.evaluate(() => (window as unknown as { __labelRan?: number }).__labelRan),
        ).toBeUndefined();
        expect(tab.dialogs).toEqual([]);
      });

      it('makes no request beyond 127.0.0.1 and logs no error', async () => {
        expect(tab.requests.length).toBeGreaterThan(3);
        const origins = new Set(tab.requests.map((address) => new URL(address).origin));
        expect([...origins]).toEqual([url]);
        expect(new Set(tab.requests.map((address) => new URL(address).pathname))).toEqual(
          new Set([DASHBOARD, '/metrics/custom']),
        );
        expect(tab.console).toEqual([]);
        expect(tab.errors).toEqual([]);
      });

      it('says so when the service stops answering, and recovers on its own', async () => {
        const { page } = tab;
        const port = Number(new URL(url).port);
        await app.close();
        await page.waitForFunction(
          () =>
            document.getElementById('status')?.dataset.state === 'down' &&
            !document.getElementById('banner')?.hidden,
          { timeout: 10_000 },
        );
        const banner = await page.$eval('#banner', (node) => node.textContent);
        expect(banner).toMatch(
          /^The service is not answering \(no connection\) since \d\d:\d\d:\d\d\. Retrying every 500 ms; the page recovers on its own\.$/,
        );
        // The failed polls are the only errors Chromium logs meanwhile.
        expect(tab.console.every((line) => line.includes('net::ERR_CONNECTION_REFUSED'))).toBe(
          true,
        );

        await startDemo(port, true);
        await page.waitForFunction(
          () =>
            document.getElementById('status')?.dataset.state === 'live' &&
            document.getElementById('banner')?.hidden === true,
          { timeout: 10_000 },
        );
        await fetch(`${url}/items/1`);
        await page.waitForFunction(
          () =>
            document.querySelector<HTMLElement>('[data-figure="http.requests_total"]')?.dataset
              .value === '1',
          { timeout: 10_000 },
        );
        expect(tab.reloads()).toBe(0);
        expect(tab.errors).toEqual([]);
      });

      it('saves a screenshot of a page that watched traffic, on a laptop in light mode and a phone in dark mode', async () => {
        const watcher = await recordedPage(context);
        const { page } = watcher;
        try {
          await page.setViewport({ width: 1280, height: 900 });
          await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
          await page.goto(`${url}${DASHBOARD}`);
          await nextSample(page, () => page.select('#interval', '500'));
          for (let round = 0; round < 10; round++) {
            await traffic(1 + (round % 3));
            await nextSample(page);
          }
          mkdirSync(screenshots, { recursive: true });
          const laptop = join(screenshots, 'dashboard.png');
          await page.screenshot({ path: laptop, fullPage: true });
          await page.setViewport({ width: 390, height: 844 });
          await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
          await nextSample(page);
          const phone = join(screenshots, 'dashboard-phone-dark.png');
          await page.screenshot({ path: phone });
          // Nothing wider than the phone's screen: the page scrolls down, never sideways.
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);
          for (const file of [laptop, phone]) {
            const png = readFileSync(file);
            expect(png.subarray(1, 4).toString()).toBe('PNG');
            expect(png.length).toBeLessThan(400 * 1024);
          }
          expect(watcher.reloads()).toBe(0);
          expect(watcher.console).toEqual([]);
          expect(watcher.errors).toEqual([]);
          expect(new Set(watcher.requests.map((address) => new URL(address).origin))).toEqual(
            new Set([url]),
          );
        } finally {
          await page.close();
        }
      });

      it('with auth, answers 401 to a browser without credentials and works with them', async () => {
        const fixture = await createFixture({
          platform,
          metrics: { dashboard: true, auth: BASIC },
        });
        const fixtureUrl = await listenAppOnLoopback(fixture.app);
        const guest = await browser.createBrowserContext();
        try {
          // Headless Chromium cannot ask for credentials, so the 401 challenge ends the navigation.
          await expect((await guest.newPage()).goto(`${fixtureUrl}${DASHBOARD}`)).rejects.toThrow(
            'net::ERR_INVALID_AUTH_CREDENTIALS',
          );
          expect((await fetch(`${fixtureUrl}${DASHBOARD}`)).status).toBe(401);
          expect((await fetch(`${fixtureUrl}/metrics/custom`)).status).toBe(401);

          const signedIn = await recordedPage(guest);
          await signedIn.page.authenticate(BASIC);
          const allowed = await signedIn.page.goto(`${fixtureUrl}${DASHBOARD}`);
          expect(allowed?.status()).toBe(200);
          await signedIn.page.waitForFunction(
            () => document.getElementById('status')?.dataset.state === 'live',
            { timeout: 10_000 },
          );
          expect((await tiles(signedIn.page))['http.requests_total']).toBe('0');
          expect(signedIn.console).toEqual([]);
        } finally {
          await guest.close();
          await fixture.close();
        }
      });
    });
  },
);
