import { describe, expect, it } from '@jest/globals';
import { Counter, Histogram, Registry } from 'prom-client';
import {
  bufferedCounter,
  bufferedHistogram,
  counterSeries,
  histogramSeries,
} from './buffered-series.js';

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
