import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { Counter, Histogram, Registry, type OpenMetricsContentType } from 'prom-client';
import {
  bufferedCounter,
  bufferedHistogram,
  counterSeries,
  histogramSeries,
  type CounterSeries,
} from './buffered-series.js';
import { renderExposition } from '../exposition/exposition.js';

const BUCKETS = [0.01, 0.1, 1];

function histograms() {
  const registry = new Registry();
  const config = {
    help: 'h',
    labelNames: ['route'] as const,
    buckets: BUCKETS,
    registers: [registry],
  };
  return {
    registry,
    buffered: bufferedHistogram({ name: 'buffered_seconds', ...config }),
    plain: new Histogram({ name: 'plain_seconds', ...config }),
  };
}

describe('bufferedCounter', () => {
  it('shows every increment of its series at the next read, and keeps counting after it', async () => {
    const counter = bufferedCounter({
      name: 'jobs_total',
      help: 'jobs',
      labelNames: ['queue'],
      registers: [],
    });
    const series = counterSeries(counter, { queue: 'mail' });
    series.inc();
    series.inc();
    series.inc();
    expect((await counter.get()).values).toEqual([{ labels: { queue: 'mail' }, value: 3 }]);
    series.inc();
    counter.inc({ queue: 'mail' }, 10);
    expect((await counter.get()).values).toEqual([{ labels: { queue: 'mail' }, value: 14 }]);
  });

  it('hands out plain prom-client children for counters it did not make', async () => {
    const counter = new Counter({
      name: 'plain_total',
      help: 'plain',
      labelNames: ['queue'],
      registers: [],
    });
    counterSeries(counter, { queue: 'mail' }).inc();
    expect((await counter.get()).values).toEqual([{ labels: { queue: 'mail' }, value: 1 }]);
  });
});

describe('bufferedHistogram', () => {
  it('renders exactly what a plain prom-client histogram fed the same values renders', async () => {
    const { registry, buffered, plain } = histograms();
    const values = [0.003, 0.01, 0.02, 0.5, 1, 100];
    const series = histogramSeries(buffered, { route: '/a' });
    for (const value of values) {
      series.observe(value);
      plain.observe({ route: '/a' }, value);
    }
    const text = await registry.metrics();
    const samples = (name: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith(name))
        .map((line) => line.slice(name.length));
    expect(samples('buffered_seconds')).toEqual(samples('plain_seconds'));
    expect(samples('buffered_seconds')).toContain('_bucket{le="0.1",route="/a"} 3');
    expect(samples('buffered_seconds')).toContain('_count{route="/a"} 6');
  });

  it('adds to the series the app observes through the histogram itself', async () => {
    const { buffered } = histograms();
    buffered.observe({ route: '/a' }, 0.5);
    histogramSeries(buffered, { route: '/a' }).observe(0.05);
    buffered.observe({ route: '/a' }, 2);
    const values = (await buffered.get()).values;
    const count = values.find((value) => value.metricName === 'buffered_seconds_count');
    const sum = values.find((value) => value.metricName === 'buffered_seconds_sum');
    expect(count?.value).toBe(3);
    expect(sum?.value).toBeCloseTo(2.55, 10);
  });

  it('starts again from zero after reset(), like any prom-client series', async () => {
    const { buffered } = histograms();
    const series = histogramSeries(buffered, { route: '/a' });
    series.observe(0.5);
    await buffered.get();
    buffered.reset();
    expect((await buffered.get()).values).toEqual([]);
    series.observe(0.05);
    const count = (await buffered.get()).values.find(
      (value) => value.metricName === 'buffered_seconds_count',
    );
    expect(count?.value).toBe(1);
  });

  it('keeps a series without observations out of the exposition', async () => {
    const { buffered } = histograms();
    histogramSeries(buffered, { route: '/never' });
    expect((await buffered.get()).values).toEqual([]);
  });

  it('rejects values that are not finite numbers, as prom-client does', () => {
    const { buffered } = histograms();
    const series = histogramSeries(buffered, { route: '/a' });
    expect(() => series.observe(Number.NaN)).toThrow(TypeError);
    expect(() => series.observe(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });
});

describe('exemplars of buffered series', () => {
  const NOW_MS = 1_700_000_000_250;
  const first = { trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' };
  const second = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };
  const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';

  afterEach(() => {
    jest.restoreAllMocks();
  });

  function metrics() {
    // Exemplar times are the wall clock below the millisecond: time origin plus the monotonic clock.
    jest.spyOn(performance, 'timeOrigin', 'get').mockReturnValue(NOW_MS - 250);
    jest.spyOn(performance, 'now').mockReturnValue(250);
    const registry = new Registry();
    const histogram = bufferedHistogram({
      name: 'request_seconds',
      help: 'h',
      labelNames: ['route'],
      buckets: BUCKETS,
      registers: [registry],
    });
    const counter = bufferedCounter({
      name: 'requests_total',
      help: 'c',
      labelNames: ['route'],
      registers: [registry],
    });
    const render = async (accept?: string) =>
      (await renderExposition([registry], accept, undefined, {})).text;
    return {
      duration: histogramSeries(histogram, { route: '/a' }),
      requests: counterSeries(counter, { route: '/a' }),
      render,
      /** The OpenMetrics lines that carry an exemplar. */
      exemplarLines: async () =>
        (await render(OPENMETRICS)).split('\n').filter((line) => line.includes(' # {')),
    };
  }

  it('writes the last exemplar of each bucket and of the counter into the OpenMetrics output', async () => {
    const { duration, requests, exemplarLines } = metrics();
    duration.observe(0.05, first);
    duration.observe(0.07, second);
    duration.observe(5, first);
    duration.observe(0.005);
    requests.inc(first);
    requests.inc(second);
    requests.inc();
    expect(await exemplarLines()).toEqual([
      `request_seconds_bucket{le="0.1",route="/a"} 3 # {trace_id="${second.trace_id}",span_id="${second.span_id}"} 0.07 1700000000.25`,
      `request_seconds_bucket{le="+Inf",route="/a"} 4 # {trace_id="${first.trace_id}",span_id="${first.span_id}"} 5 1700000000.25`,
      `requests_total{route="/a"} 3 # {trace_id="${second.trace_id}",span_id="${second.span_id}"} 1 1700000000.25`,
    ]);
  });

  it('keeps a shown exemplar when later observations come without one (prom-client 15 wipes it)', async () => {
    const { duration, requests, exemplarLines } = metrics();
    duration.observe(0.05, first);
    requests.inc(first);
    const shown = await exemplarLines();
    expect(shown).toHaveLength(2);
    // Same bucket, same series, no sampled span: in the same fold window and in the next ones.
    duration.observe(0.06);
    requests.inc();
    const afterOneFold = await exemplarLines();
    duration.observe(0.08);
    requests.inc();
    await exemplarLines();
    duration.observe(0.09);
    requests.inc();
    expect(afterOneFold).toEqual([
      shown[0].replace('} 1 #', '} 2 #'),
      shown[1].replace('} 1 #', '} 2 #'),
    ]);
    expect(await exemplarLines()).toEqual([
      shown[0].replace('} 1 #', '} 4 #'),
      shown[1].replace('} 1 #', '} 4 #'),
    ]);
  });

  it('shows that the trap is real: prom-client 15 replaces the exemplar with an empty one', async () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const counter = new Counter({
      name: 'trap_total',
      help: 't',
      registers: [registry],
      enableExemplars: true,
    });
    counter.inc({ exemplarLabels: { trace_id: first.trace_id } });
    counter.inc({ exemplarLabels: {} });
    expect(await registry.metrics()).toMatch(/^trap_total 2 # \{\} 1 /m);
  });

  it('leaves the classic text format byte for byte as without exemplars', async () => {
    const withExemplars = metrics();
    const without = metrics();
    for (const value of [0.003, 0.05, 0.5, 5]) {
      withExemplars.duration.observe(value, first);
      without.duration.observe(value);
      withExemplars.requests.inc(second);
      without.requests.inc();
    }
    expect(await withExemplars.render()).toBe(await without.render());
    expect(await withExemplars.render('text/plain')).not.toContain('trace_id');
  });

  it('passes no exemplar to a plain prom-client counter child, which would take it for an amount', async () => {
    const counter = new Counter({
      name: 'plain_total',
      help: 'plain',
      labelNames: ['queue'],
      registers: [],
    });
    // Typed as a CounterSeries, as the library's callers see it.
    const series: CounterSeries = counterSeries(counter, { queue: 'mail' });
    series.inc(first);
    expect((await counter.get()).values).toEqual([{ labels: { queue: 'mail' }, value: 1 }]);
  });
});
