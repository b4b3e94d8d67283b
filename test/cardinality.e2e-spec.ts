import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable, Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import { Counter, Histogram, register as globalRegistry } from 'prom-client';
import {
  MetricsModule,
  MetricsOptionsError,
  MetricsService,
  TrackCache,
} from '../src/metrics/index.js';
import { resolveMetricsOptions } from '../src/metrics/utils/resolve-options.js';
import { createFixture, type Fixture } from './fixtures/fixture-app.js';
import { samplesOf, sumOf, valueOf } from './support/exposition.js';
import {
  PLATFORMS,
  createPlatformApp,
  initPlatformApp,
  type Platform,
} from './support/platforms.js';

const DROPPED = 'metrics_series_dropped_total';
const CAP = 5;

let fixture: Fixture | undefined;
afterEach(async () => {
  jest.restoreAllMocks();
  await fixture?.close();
  fixture = undefined;
});

async function cappedFixture(platform: Platform) {
  fixture = await createFixture({
    platform,
    metrics: { maxSeriesPerMetric: CAP, defaultMetrics: false },
  });
  return { fixture, metrics: fixture.app.get(MetricsService) };
}

/** Distinct label values, as a client echoing its own input into a label would produce. */
const names = (count: number, stem = 'name') =>
  Array.from({ length: count }, (_, i) => `${stem}-${i}`);

describe.each(PLATFORMS)('on %s', (platform) => {
  describe('bounded cardinality', () => {
    it('keeps at most maxSeriesPerMetric label sets per metric and counts every dropped observation', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const { fixture, metrics } = await cappedFixture(platform);

      for (const cache of names(20)) metrics.recordCacheOperation(cache, 'hit');
      for (const cache of names(20)) metrics.recordCacheOperation(cache, 'hit');

      const text = await fixture.scrape();
      const series = samplesOf(text, 'cache_operations_total');
      expect(series).toHaveLength(CAP);
      // The label sets admitted before the cap keep counting; the rest are dropped, each call counted.
      expect(series.map((sample) => sample.value)).toEqual(Array(CAP).fill(2));
      expect(valueOf(text, DROPPED, { metric: 'cache_operations_total' })).toBe(2 * (20 - CAP));
      const warnings = warn.mock.calls.filter(([message]) =>
        String(message).includes('cache_operations_total'),
      );
      expect(warnings).toHaveLength(1);
    });

    it('caps each metric of a multi-metric record on its own: counter and histogram of database operations', async () => {
      const { fixture, metrics } = await cappedFixture(platform);
      for (const table of names(10, 'table'))
        metrics.recordDbOperation('select', table, 'success', 0.01);

      const text = await fixture.scrape();
      expect(samplesOf(text, 'database_operations_total')).toHaveLength(CAP);
      expect(samplesOf(text, 'database_operation_duration_seconds_count')).toHaveLength(CAP);
      expect(sumOf(text, 'database_operations_total')).toBe(CAP);
      expect(valueOf(text, DROPPED, { metric: 'database_operations_total' })).toBe(10 - CAP);
      expect(valueOf(text, DROPPED, { metric: 'database_operation_duration_seconds' })).toBe(
        10 - CAP,
      );
    });

    it('caps decorators whose labels come from arguments, queues, and metrics the app registers itself', async () => {
      const { fixture, metrics } = await cappedFixture(platform);
      class Lookups {
        @TrackCache('users')
        find(id: number) {
          return id % 2 === 0 ? { id } : undefined;
        }
      }
      new Lookups().find(2);
      for (const name of names(8, 'queue')) metrics.setQueueSize(name, 1);
      const ownCounter = new Counter({
        name: 'cardinality_spec_user_counter_total',
        help: 'registered by the app in the global registry',
        labelNames: ['tenant'],
      });
      const ownHistogram = new Histogram({
        name: 'cardinality_spec_user_seconds',
        help: 'registered by the app in the global registry',
        labelNames: ['tenant'],
      });
      try {
        await fixture.scrape(); // a scrape brings metrics registered after bootstrap under the cap
        for (const tenant of names(12, 'tenant')) {
          ownCounter.inc({ tenant });
          ownHistogram.labels(tenant).observe(1);
        }
        const text = await fixture.scrape();
        expect(valueOf(text, 'cache_operations_total', { cache: 'users', result: 'hit' })).toBe(1);
        expect(samplesOf(text, 'queue_size')).toHaveLength(CAP);
        expect(valueOf(text, DROPPED, { metric: 'queue_size' })).toBe(8 - CAP);
        expect(samplesOf(text, 'cardinality_spec_user_counter_total')).toHaveLength(CAP);
        expect(samplesOf(text, 'cardinality_spec_user_seconds_count')).toHaveLength(CAP);
        expect(valueOf(text, DROPPED, { metric: 'cardinality_spec_user_counter_total' })).toBe(
          12 - CAP,
        );
        expect(valueOf(text, DROPPED, { metric: 'cardinality_spec_user_seconds' })).toBe(12 - CAP);
      } finally {
        globalRegistry.removeSingleMetric('cardinality_spec_user_counter_total');
        globalRegistry.removeSingleMetric('cardinality_spec_user_seconds');
      }
    });

    it('caps metrics from @willsoto/nestjs-prometheus providers from bootstrap on', async () => {
      @Injectable()
      class Signups {
        constructor(
          @InjectMetric('cardinality_spec_signups_total') readonly counter: Counter<'source'>,
        ) {}
      }
      @Module({
        providers: [
          Signups,
          makeCounterProvider({
            name: 'cardinality_spec_signups_total',
            help: 'signups',
            labelNames: ['source'],
          }),
        ],
      })
      class SignupsModule {}
      const moduleRef = await Test.createTestingModule({
        imports: [
          MetricsModule.forRoot({ maxSeriesPerMetric: CAP, defaultMetrics: false }),
          SignupsModule,
        ],
      }).compile();
      const app = await initPlatformApp(
        await createPlatformApp(moduleRef, platform, { logger: false }),
      );
      try {
        const { counter } = app.get(Signups);
        for (const source of names(9, 'source')) counter.inc({ source });
        const { text } = await app.get(MetricsService).exposition();
        expect(samplesOf(text, 'cardinality_spec_signups_total')).toHaveLength(CAP);
        expect(valueOf(text, DROPPED, { metric: 'cardinality_spec_signups_total' })).toBe(9 - CAP);
      } finally {
        await app.close();
        globalRegistry.removeSingleMetric('cardinality_spec_signups_total');
      }
    });

    it('frees a label set when it is removed or the metric is reset', async () => {
      const { metrics } = await cappedFixture(platform);
      const counter = metrics.metrics.cacheOperationsTotal;
      for (const cache of names(CAP)) counter.inc({ cache, operation: 'get', result: 'hit' });
      counter.remove({ cache: 'name-0', operation: 'get', result: 'hit' });
      counter.inc({ cache: 'late', operation: 'get', result: 'hit' });
      counter.labels('later', 'get', 'hit').inc();
      let { text } = await metrics.exposition();
      expect(samplesOf(text, 'cache_operations_total').map((s) => s.labels.cache)).toContain(
        'late',
      );
      expect(valueOf(text, DROPPED, { metric: 'cache_operations_total' })).toBe(1);

      counter.reset();
      counter.labels('later', 'get', 'hit').inc();
      ({ text } = await metrics.exposition());
      expect(valueOf(text, 'cache_operations_total', { cache: 'later' })).toBe(1);
    });
  });

  describe('options for scaling out', () => {
    const invalid: Array<[string, Record<string, unknown>, string]> = [
      ['maxSeriesPerMetric', { maxSeriesPerMetric: 0 }, 'maxSeriesPerMetric'],
      ['maxSeriesPerMetric', { maxSeriesPerMetric: 1.5 }, 'maxSeriesPerMetric'],
      ['port', { port: 70000 }, 'port'],
      ['port', { port: '9464' }, 'port'],
      ['host without port', { host: '127.0.0.1' }, 'host'],
      ['host', { port: 0, host: '' }, 'host'],
      ['pushgateway', { pushgateway: 'http://x' }, 'pushgateway'],
      ['pushgateway.url', { pushgateway: { url: 'ftp://x' } }, 'pushgateway.url'],
      ['pushgateway key', { pushgateway: { url: 'http://x', job: 'a' } }, 'pushgateway.job'],
      [
        'pushgateway.jobName',
        { pushgateway: { url: 'http://x', jobName: ' ' } },
        'pushgateway.jobName',
      ],
      [
        'grouping label',
        { pushgateway: { url: 'http://x', groupingLabels: { 'a-b': 'c' } } },
        'pushgateway.groupingLabels.a-b',
      ],
      [
        'grouping job',
        { pushgateway: { url: 'http://x', groupingLabels: { job: 'c' } } },
        'pushgateway.groupingLabels.job',
      ],
      ['intervalMs', { pushgateway: { url: 'http://x', intervalMs: 0 } }, 'pushgateway.intervalMs'],
      ['timeoutMs', { pushgateway: { url: 'http://x', timeoutMs: -1 } }, 'pushgateway.timeoutMs'],
    ];
    it.each(invalid)('rejects an invalid %s, naming the option', (_, options, named) => {
      expect(() => resolveMetricsOptions(options)).toThrow(MetricsOptionsError);
      expect(() => resolveMetricsOptions(options)).toThrow(`option "${named}"`);
    });

    it('merges the defaults', () => {
      const resolved = resolveMetricsOptions({
        appName: 'batch',
        port: 0,
        pushgateway: { url: 'http://127.0.0.1:9091/' },
      });
      expect(resolved.maxSeriesPerMetric).toBe(10_000);
      expect(resolved.listener).toEqual({ port: 0, host: undefined });
      expect(resolved.pushgateway).toEqual({
        url: 'http://127.0.0.1:9091',
        jobName: 'batch',
        groupingLabels: {},
        intervalMs: 15_000,
        timeoutMs: 5_000,
      });
    });
  });
});
