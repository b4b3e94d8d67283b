import type { MetricObjectWithValues, MetricValue, MetricValueWithName } from 'prom-client';
import { METRIC_NAMES, type MetricKey } from '../metrics.constants.js';
import type {
  CacheStats,
  LatencyEstimate,
  MetricsSummary,
} from '../interfaces/metrics-summary.interface.js';
import { summarizeGraphql } from '../transports/graphql/graphql-summary.js';

type Sample = MetricValue<string> | MetricValueWithName<string>;
type Labels = Record<string, string | number | undefined>;

/**
 * Builds the `/metrics/custom` summary from one snapshot of the registry (`getMetricsAsJSON()`), so
 * every figure agrees with a `/metrics` scrape taken at the same moment.
 */
export function summarize(
  snapshot: readonly MetricObjectWithValues<Sample>[],
  prefix: string,
  uptimeSeconds: number,
): MetricsSummary {
  const byName = new Map(snapshot.map((metric) => [metric.name, metric.values as Sample[]]));
  const samples = (key: MetricKey, suffix = ''): Sample[] => {
    const name = `${prefix}${METRIC_NAMES[key]}`;
    const values = byName.get(name) ?? [];
    if (!suffix) return values;
    return values.filter(
      (sample) => (sample as MetricValueWithName<string>).metricName === `${name}${suffix}`,
    );
  };
  const processValue = (name: string) => {
    const values = byName.get(`${prefix}${name}`);
    return values && values.length > 0 ? values[0].value : null;
  };

  const requests = samples('httpRequestsTotal');
  const requestsTotal = sum(requests);
  const byStatusClass: Record<string, number> = {};
  for (const sample of requests) {
    const status = String(sample.labels.status_code);
    const statusClass = /^\d/.test(status) ? `${status[0]}xx` : status;
    byStatusClass[statusClass] = (byStatusClass[statusClass] ?? 0) + sample.value;
  }
  const perEndpoint = new Map<string, { method: string; endpoint: string; requests: number }>();
  for (const sample of requests) {
    const method = String(sample.labels.method);
    const endpoint = String(sample.labels.endpoint);
    const key = `${method} ${endpoint}`;
    const entry = perEndpoint.get(key) ?? { method, endpoint, requests: 0 };
    entry.requests += sample.value;
    perEndpoint.set(key, entry);
  }

  const durationCounts = samples('httpRequestDuration', '_count');
  const durationSums = samples('httpRequestDuration', '_sum');
  const slowest = durationCounts
    .filter((sample) => sample.value > 0)
    .map((sample) => {
      const { method, endpoint } = sample.labels;
      const total = durationSums.find(
        (s) => s.labels.method === method && s.labels.endpoint === endpoint,
      );
      return {
        method: String(method),
        endpoint: String(endpoint),
        requests: sample.value,
        avg_duration_seconds: (total?.value ?? 0) / sample.value,
      };
    })
    .sort(
      (a, b) =>
        b.avg_duration_seconds - a.avg_duration_seconds || a.endpoint.localeCompare(b.endpoint),
    )
    .slice(0, 5);
  const appInfo = samples('appInfo')[0];

  const dbCounts = samples('dbOperationsTotal');
  const dbSums = samples('dbOperationDuration', '_sum');
  const dbTimed = samples('dbOperationDuration', '_count');
  const dbOperations = new Map<
    string,
    { operation: string; table: string; count: number; errors: number }
  >();
  for (const sample of dbCounts) {
    const operation = String(sample.labels.operation);
    const table = String(sample.labels.table);
    const key = `${operation}\u0000${table}`;
    const entry = dbOperations.get(key) ?? { operation, table, count: 0, errors: 0 };
    entry.count += sample.value;
    if (sample.labels.status === 'error') entry.errors += sample.value;
    dbOperations.set(key, entry);
  }

  const cacheByName: Record<string, CacheStats> = {};
  let hits = 0;
  let misses = 0;
  for (const sample of samples('cacheOperationsTotal')) {
    const cache = String(sample.labels.cache);
    const stats = (cacheByName[cache] ??= { hits: 0, misses: 0, hit_rate: null });
    if (sample.labels.result === 'hit') {
      stats.hits += sample.value;
      hits += sample.value;
    } else {
      stats.misses += sample.value;
      misses += sample.value;
    }
  }
  for (const stats of Object.values(cacheByName))
    stats.hit_rate = ratio(stats.hits, stats.hits + stats.misses);

  const serverErrors = requests
    .filter((sample) => String(sample.labels.status_code).startsWith('5'))
    .reduce((total, sample) => total + sample.value, 0);

  const graphql = summarizeGraphql(byName, prefix);

  return {
    app: appInfo
      ? { name: String(appInfo.labels.name), version: String(appInfo.labels.version) }
      : null,
    uptime_seconds: uptimeSeconds,
    http: {
      requests_total: requestsTotal,
      in_progress: sum(samples('httpRequestsInProgress')),
      error_rate: ratio(serverErrors, requestsTotal),
      by_status_class: byStatusClass,
      latency_seconds: latency(samples('httpRequestDuration', '_bucket')),
      busiest_endpoints: [...perEndpoint.values()]
        .sort((a, b) => b.requests - a.requests || a.endpoint.localeCompare(b.endpoint))
        .slice(0, 5),
      slowest_endpoints: slowest,
    },
    database: {
      operations_total: sum(dbCounts),
      errors_total: sum(dbCounts.filter((sample) => sample.labels.status === 'error')),
      by_operation: [...dbOperations.values()].map((entry) => {
        const matches = (sample: Sample) =>
          sample.labels.operation === entry.operation && sample.labels.table === entry.table;
        const timed = sum(dbTimed.filter(matches));
        return {
          ...entry,
          avg_duration_seconds: timed > 0 ? sum(dbSums.filter(matches)) / timed : null,
        };
      }),
    },
    cache: { hits, misses, hit_rate: ratio(hits, hits + misses), by_cache: cacheByName },
    background_tasks: groupBy(samples('backgroundTasksTotal'), 'task_type', 'status'),
    external_calls: groupBy(samples('externalCallsTotal'), 'service', 'status'),
    auth_events: groupBy(samples('authEventsTotal'), 'event', 'result'),
    queues: Object.fromEntries(
      samples('queueSize').map((sample) => [String(sample.labels.queue), sample.value]),
    ),
    active_connections: sum(samples('activeConnections')),
    process: {
      resident_memory_bytes: processValue('process_resident_memory_bytes'),
      heap_used_bytes: processValue('nodejs_heap_size_used_bytes'),
      event_loop_lag_seconds: processValue('nodejs_eventloop_lag_seconds'),
    },
    ...(graphql ? { graphql } : {}),
  };
}

/**
 * Quantiles over all series of a histogram, interpolated linearly inside a bucket the way Prometheus'
 * `histogram_quantile` does (a quantile in the +Inf bucket reports the highest finite bound).
 */
export function latency(buckets: readonly Sample[]): LatencyEstimate {
  const cumulative = new Map<number, number>();
  for (const sample of buckets) {
    const bound = Number(sample.labels.le === '+Inf' ? Infinity : sample.labels.le);
    cumulative.set(bound, (cumulative.get(bound) ?? 0) + sample.value);
  }
  const sorted = [...cumulative.entries()].sort((a, b) => a[0] - b[0]);
  return { p50: quantile(0.5, sorted), p90: quantile(0.9, sorted), p99: quantile(0.99, sorted) };
}

function quantile(q: number, buckets: Array<[number, number]>): number | null {
  const total = buckets.length > 0 ? buckets[buckets.length - 1][1] : 0;
  if (total === 0) return null;
  const rank = q * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return previousBound;
      if (count === previousCount) return bound;
      return (
        previousBound + ((bound - previousBound) * (rank - previousCount)) / (count - previousCount)
      );
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}

function groupBy(
  values: readonly Sample[],
  outer: string,
  inner: string,
): Record<string, Record<string, number>> {
  const grouped: Record<string, Record<string, number>> = {};
  for (const sample of values) {
    const labels = sample.labels as Labels;
    const group = (grouped[String(labels[outer])] ??= {});
    const key = String(labels[inner]);
    group[key] = (group[key] ?? 0) + sample.value;
  }
  return grouped;
}

function sum(values: readonly Sample[]): number {
  return values.reduce((total, sample) => total + sample.value, 0);
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}
