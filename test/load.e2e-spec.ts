import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { startLoadApp } from './fixtures/load-app.js';
import { labelValues, samplesOf, sumOf, valueOf } from './support/exposition.js';
import { runLoad, type LoadResult } from './support/load-generator.js';
import { FAST_POLL, pollUntil } from './support/poll.js';
import { MetricsService } from '../src/metrics/index.js';
import { PLATFORMS } from './support/platforms.js';

/**
 * A scaled-down run of `npm run load-test` (which sends 100,000 requests and reports speed and heap):
 * the same mix, with exact counts asserted.
 */
const PLAN = {
  requests: 4_000,
  connections: 20,
  distinctUnmatchedPaths: 1_000,
  distinctTenants: 300,
  scrapeIntervalMs: 50,
};
const MAX_SERIES = 100;

describe.each(PLATFORMS)('under a mixed concurrent load with scrapes on %s', (platform) => {
  let app: INestApplication | undefined;
  let result: LoadResult;
  let text: string;

  beforeAll(async () => {
    const started = await startLoadApp(MAX_SERIES, false, platform);
    app = started.app;
    result = await runLoad({ baseUrl: started.url, ...PLAN });
    const metrics = app.get(MetricsService);
    // The response `close` event that records the last requests lands just after the client is done.
    text = await pollUntil(
      'every request to be recorded',
      async () => {
        const { text: current } = await metrics.exposition();
        return sumOf(current, 'http_requests_total') === result.completed ? current : undefined;
      },
      FAST_POLL,
    );
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('sends every request and scrape without a failure', () => {
    expect(result.failed).toBe(0);
    expect(result.completed).toBe(PLAN.requests);
    expect(result.failedScrapes).toBe(0);
    expect(result.scrapes).toBeGreaterThan(0);
  });

  it('counts exactly the requests completed, aborted ones as 499, and none in progress afterwards', () => {
    expect(sumOf(text, 'http_requests_total')).toBe(result.completed);
    expect(sumOf(text, 'http_request_duration_seconds_count')).toBe(result.completed);
    expect(
      valueOf(text, 'http_requests_total', { endpoint: '/stream/:id', status_code: '499' }),
    ).toBe(result.aborted);
    expect(valueOf(text, 'http_requests_total', { endpoint: '<unmatched>', method: 'GET' })).toBe(
      result.byStatus['404'] - PLAN.requests / 10,
    );
    expect(sumOf(text, 'http_requests_in_progress')).toBe(0);
  });

  it('keeps the series bounded however many distinct paths and label values clients send', () => {
    expect(samplesOf(text, 'http_requests_total')).toHaveLength(6);
    expect(labelValues(text, 'http_requests_total', 'endpoint')).toEqual([
      '/items',
      '/items/:id',
      '/stream/:id',
      '/tenants/:tenant/cache',
      '<unmatched>',
    ]);
    const cacheSeries = samplesOf(text, 'cache_operations_total');
    expect(cacheSeries).toHaveLength(MAX_SERIES);
    const dropped = valueOf(text, 'metrics_series_dropped_total', {
      metric: 'cache_operations_total',
    });
    expect(sumOf(text, 'cache_operations_total') + (dropped ?? 0)).toBe(result.tenantRequests);
    expect(dropped).toBeGreaterThan(0);
  });
});
