import { describe, expect, it } from '@jest/globals';
import { latency, summarize } from './summarize.js';

const bucket = (le: string, value: number) => ({ labels: { le }, value });

describe('latency quantiles from a histogram', () => {
  it('interpolates inside the bucket as histogram_quantile does', () => {
    // 10 observations: 4 up to 0.1 s, 4 more up to 0.5 s, 2 more up to 1 s.
    const estimate = latency([
      bucket('0.1', 4),
      bucket('0.5', 8),
      bucket('1', 10),
      bucket('+Inf', 10),
    ]);
    expect(estimate.p50).toBeCloseTo(0.1 + (0.4 * (5 - 4)) / 4, 12);
    expect(estimate.p90).toBeCloseTo(0.5 + (0.5 * (9 - 8)) / 2, 12);
    expect(estimate.p99).toBeCloseTo(0.5 + (0.5 * (9.9 - 8)) / 2, 12);
  });

  it('sums buckets across series before estimating', () => {
    const fastSeries = [bucket('0.1', 2), bucket('1', 2), bucket('+Inf', 2)];
    const slowSeries = [bucket('0.1', 0), bucket('1', 2), bucket('+Inf', 2)];
    const estimate = latency([...fastSeries, ...slowSeries]);
    expect(estimate.p50).toBeCloseTo(0.1, 12);
    expect(estimate.p90).toBeCloseTo(0.1 + (0.9 * (3.6 - 2)) / 2, 12);
  });

  it('reports the highest finite bound when the quantile falls in +Inf', () => {
    expect(latency([bucket('0.5', 0), bucket('+Inf', 3)]).p99).toBe(0.5);
  });

  it('reports null without observations', () => {
    expect(latency([bucket('0.5', 0), bucket('+Inf', 0)])).toEqual({
      p50: null,
      p90: null,
      p99: null,
    });
    expect(latency([])).toEqual({ p50: null, p90: null, p99: null });
  });
});

describe('the summary for the dashboard', () => {
  const sample = (metricName: string, labels: Record<string, string>, value: number) => ({
    metricName,
    labels,
    value,
  });
  const duration = 'http_request_duration_seconds';
  const snapshot = [
    {
      name: 'app_info',
      help: '',
      type: 'gauge',
      aggregator: 'sum',
      values: [{ labels: { name: 'shop', version: '1.2.3' }, value: 1 }],
    },
    {
      name: duration,
      help: '',
      type: 'histogram',
      aggregator: 'sum',
      values: [
        sample(`${duration}_sum`, { method: 'GET', endpoint: '/a' }, 0.3),
        sample(`${duration}_count`, { method: 'GET', endpoint: '/a' }, 3),
        sample(`${duration}_sum`, { method: 'POST', endpoint: '/b' }, 2),
        sample(`${duration}_count`, { method: 'POST', endpoint: '/b' }, 4),
        sample(`${duration}_sum`, { method: 'GET', endpoint: '/never' }, 0),
        sample(`${duration}_count`, { method: 'GET', endpoint: '/never' }, 0),
      ],
    },
  ] as unknown as Parameters<typeof summarize>[0];

  it('names the app from app_info', () => {
    expect(summarize(snapshot, '', 1).app).toEqual({ name: 'shop', version: '1.2.3' });
    expect(summarize([], '', 1).app).toBeNull();
  });

  it('ranks endpoints by mean duration, leaving out those never timed', () => {
    expect(summarize(snapshot, '', 1).http.slowest_endpoints).toEqual([
      { method: 'POST', endpoint: '/b', requests: 4, avg_duration_seconds: 0.5 },
      { method: 'GET', endpoint: '/a', requests: 3, avg_duration_seconds: 0.3 / 3 },
    ]);
  });
});
