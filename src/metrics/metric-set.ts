import { Counter, Gauge, Registry, collectDefaultMetrics, type Histogram } from 'prom-client';
import { METRIC_NAMES } from './metrics.constants.js';
import type { ResolvedMetricsOptions } from './interfaces/metrics-module-options.interface.js';
import { bufferedCounter, bufferedHistogram } from './recording/buffered-series.js';

/** Every metric one module instance owns, all in its own registry. */
export interface MetricSet {
  readonly registry: Registry;
  readonly httpRequestsTotal: Counter<'method' | 'endpoint' | 'status_code'>;
  readonly httpRequestDuration: Histogram<'method' | 'endpoint'>;
  readonly httpRequestsInProgress: Gauge<'method' | 'endpoint'>;
  readonly httpRequestSize: Histogram<'method' | 'endpoint'>;
  readonly httpResponseSize: Histogram<'method' | 'endpoint'>;
  readonly httpExceptionsTotal: Counter<'exception_type' | 'method' | 'endpoint' | 'status_code'>;
  readonly dbOperationsTotal: Counter<'operation' | 'table' | 'status'>;
  readonly dbOperationDuration: Histogram<'operation' | 'table'>;
  readonly cacheOperationsTotal: Counter<'cache' | 'operation' | 'result'>;
  readonly backgroundTasksTotal: Counter<'task_type' | 'status'>;
  readonly backgroundTaskDuration: Histogram<'task_type' | 'status'>;
  readonly externalCallsTotal: Counter<'service' | 'operation' | 'status'>;
  readonly externalCallDuration: Histogram<'service' | 'operation'>;
  readonly authEventsTotal: Counter<'event' | 'result'>;
  readonly queueSize: Gauge<'queue'>;
  readonly activeConnections: Gauge;
  readonly appInfo: Gauge<'name' | 'version'>;
  readonly seriesDroppedTotal: Counter<'metric'>;
  readonly httpClientRequestsTotal: Counter<'method' | 'host' | 'status_code'>;
  readonly httpClientRequestDuration: Histogram<'method' | 'host'>;
  readonly httpClientErrorsTotal: Counter<'method' | 'host' | 'error_type'>;
}

const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Scrape-time samplers the metric set calls back into; owned by whoever holds the live state. */
export interface MetricSamplers {
  sampleInProgress(gauge: Gauge<'method' | 'endpoint'>): void;
  sampleActiveConnections(gauge: Gauge): Promise<void>;
  sampleQueues(gauge: Gauge<'queue'>): Promise<void>;
}

/**
 * Creates a fresh registry with every metric of the module. A new registry per module instance is what
 * lets an app be created, closed and created again in one process (as test suites do) without
 * "already registered" errors, each with counts of its own.
 */
export function createMetricSet(
  options: ResolvedMetricsOptions,
  samplers: MetricSamplers,
): MetricSet {
  const registry = new Registry();
  const registers = [registry];
  const name = (key: keyof typeof METRIC_NAMES) => `${options.prefix}${METRIC_NAMES[key]}`;
  // Request-derived labels (the `httpLabels` option) follow the fixed ones on every HTTP metric. They
  // stay out of the types: only the HTTP tracker writes them, from the same option.
  const requestLabels = options.httpLabels.map((label) => label.name);
  const withRequestLabels = <T extends string>(names: readonly T[]) =>
    [...names, ...requestLabels] as T[];
  const httpLabels = withRequestLabels(['method', 'endpoint'] as const);

  if (options.defaultMetrics) {
    collectDefaultMetrics({
      ...options.defaultMetrics,
      prefix: options.prefix,
      register: registry,
    });
    // These three are gauges named like counters, which `promtool check metrics` rejects; the same
    // figures stay available, broken down by type, as nodejs_active_{handles,requests,resources}.
    for (const gauge of MISNAMED_DEFAULT_GAUGES)
      registry.removeSingleMetric(`${options.prefix}${gauge}`);
  }

  const appInfo = new Gauge({
    name: name('appInfo'),
    help: 'Name and version of the application; always 1.',
    labelNames: ['name', 'version'],
    registers,
  });
  appInfo.set({ name: options.appName, version: options.appVersion }, 1);

  return {
    registry,
    httpRequestsTotal: bufferedCounter({
      name: name('httpRequestsTotal'),
      help: 'HTTP responses, counted once each, by method, route template and status code.',
      labelNames: withRequestLabels(['method', 'endpoint', 'status_code'] as const),
      registers,
    }),
    httpRequestDuration: bufferedHistogram({
      name: name('httpRequestDuration'),
      help: 'Time from the arrival of an HTTP request to the end of its response, in seconds.',
      labelNames: httpLabels,
      buckets: options.durationBuckets,
      registers,
    }),
    httpRequestsInProgress: new Gauge({
      name: name('httpRequestsInProgress'),
      help: 'HTTP requests that have arrived and whose response has not ended yet.',
      labelNames: options.inProgressLabels ? httpLabels : [],
      registers,
      collect() {
        samplers.sampleInProgress(this);
      },
    }),
    httpRequestSize: bufferedHistogram({
      name: name('httpRequestSize'),
      help: 'Size of HTTP request bodies as declared by Content-Length, in bytes.',
      labelNames: httpLabels,
      buckets: options.sizeBuckets,
      registers,
    }),
    httpResponseSize: bufferedHistogram({
      name: name('httpResponseSize'),
      help: 'Size of HTTP response bodies, in bytes.',
      labelNames: httpLabels,
      buckets: options.sizeBuckets,
      registers,
    }),
    httpExceptionsTotal: bufferedCounter({
      name: name('httpExceptionsTotal'),
      help: 'Exceptions that ended an HTTP request, by exception class.',
      labelNames: withRequestLabels([
        'exception_type',
        'method',
        'endpoint',
        'status_code',
      ] as const),
      registers,
    }),
    dbOperationsTotal: bufferedCounter({
      name: name('dbOperationsTotal'),
      help: 'Database operations by operation, table and outcome.',
      labelNames: ['operation', 'table', 'status'],
      registers,
    }),
    dbOperationDuration: bufferedHistogram({
      name: name('dbOperationDuration'),
      help: 'Duration of database operations, in seconds.',
      labelNames: ['operation', 'table'],
      buckets: options.durationBuckets,
      registers,
    }),
    cacheOperationsTotal: bufferedCounter({
      name: name('cacheOperationsTotal'),
      help: 'Cache lookups by cache, operation and result.',
      labelNames: ['cache', 'operation', 'result'],
      registers,
    }),
    backgroundTasksTotal: bufferedCounter({
      name: name('backgroundTasksTotal'),
      help: 'Background tasks started, succeeded and failed, by task type.',
      labelNames: ['task_type', 'status'],
      registers,
    }),
    backgroundTaskDuration: bufferedHistogram({
      name: name('backgroundTaskDuration'),
      help: 'Duration of finished background tasks, in seconds.',
      labelNames: ['task_type', 'status'],
      buckets: options.durationBuckets,
      registers,
    }),
    externalCallsTotal: bufferedCounter({
      name: name('externalCallsTotal'),
      help: 'Calls to external services by service, operation and outcome.',
      labelNames: ['service', 'operation', 'status'],
      registers,
    }),
    externalCallDuration: bufferedHistogram({
      name: name('externalCallDuration'),
      help: 'Duration of calls to external services, in seconds.',
      labelNames: ['service', 'operation'],
      buckets: options.durationBuckets,
      registers,
    }),
    authEventsTotal: bufferedCounter({
      name: name('authEventsTotal'),
      help: 'Authentication events by event and result.',
      labelNames: ['event', 'result'],
      registers,
    }),
    queueSize: new Gauge({
      name: name('queueSize'),
      help: 'Items waiting in each queue, sampled at scrape time.',
      labelNames: ['queue'],
      registers,
      async collect() {
        await samplers.sampleQueues(this);
      },
    }),
    activeConnections: new Gauge({
      name: name('activeConnections'),
      help: 'Open TCP connections of the HTTP server.',
      registers,
      async collect() {
        await samplers.sampleActiveConnections(this);
      },
    }),
    appInfo,
    seriesDroppedTotal: new Counter({
      name: name('seriesDroppedTotal'),
      help: 'Observations dropped because their metric already held maxSeriesPerMetric label sets.',
      labelNames: ['metric'],
      registers,
    }),
    httpClientRequestsTotal: bufferedCounter({
      name: name('httpClientRequestsTotal'),
      help: 'Outbound HTTP calls by method, peer host:port and status code ("error" when no response came).',
      labelNames: ['method', 'host', 'status_code'],
      registers,
    }),
    httpClientRequestDuration: bufferedHistogram({
      name: name('httpClientRequestDuration'),
      help: 'Time from the start of an outbound HTTP call to its response headers or its failure, in seconds.',
      labelNames: ['method', 'host'],
      buckets: options.durationBuckets,
      registers,
    }),
    httpClientErrorsTotal: bufferedCounter({
      name: name('httpClientErrorsTotal'),
      help: 'Outbound HTTP calls that failed without a response, by error code or name.',
      labelNames: ['method', 'host', 'error_type'],
      registers,
    }),
  };
}
