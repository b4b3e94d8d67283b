/** Names, tokens and defaults shared across the library. Changing a metric name here renames it everywhere. */

/** Prefix of every injection token the module registers, so they cannot collide with an app's own. */
export const METRICS_TOKEN_PREFIX = 'METRICS:';

/** Token of the options after validation and defaults; inject it with {@link InjectMetricsOptions}. */
export const RESOLVED_METRICS_OPTIONS = `${METRICS_TOKEN_PREFIX}RESOLVED_OPTIONS`;

/** The metrics the module registers, by their unprefixed names. */
export const METRIC_NAMES = {
  httpRequestsTotal: 'http_requests_total',
  httpRequestDuration: 'http_request_duration_seconds',
  httpRequestsInProgress: 'http_requests_in_progress',
  httpRequestSize: 'http_request_size_bytes',
  httpResponseSize: 'http_response_size_bytes',
  httpExceptionsTotal: 'http_exceptions_total',
  dbOperationsTotal: 'database_operations_total',
  dbOperationDuration: 'database_operation_duration_seconds',
  cacheOperationsTotal: 'cache_operations_total',
  backgroundTasksTotal: 'background_tasks_total',
  backgroundTaskDuration: 'background_task_duration_seconds',
  externalCallsTotal: 'external_api_calls_total',
  externalCallDuration: 'external_api_call_duration_seconds',
  authEventsTotal: 'auth_events_total',
  queueSize: 'queue_size',
  activeConnections: 'active_connections',
  appInfo: 'app_info',
  seriesDroppedTotal: 'metrics_series_dropped_total',
  httpClientRequestsTotal: 'http_client_requests_total',
  httpClientRequestDuration: 'http_client_request_duration_seconds',
  httpClientErrorsTotal: 'http_client_errors_total',
} as const;

export type MetricKey = keyof typeof METRIC_NAMES;

/**
 * Label names the module's own metrics use, plus the two Prometheus reserves for histograms and
 * summaries. A default label of the same name would silently lose to the metric's own label.
 */
export const RESERVED_LABEL_NAMES: ReadonlySet<string> = new Set([
  'method',
  'endpoint',
  'status_code',
  'exception_type',
  'operation',
  'table',
  'status',
  'cache',
  'result',
  'task_type',
  'service',
  'event',
  'queue',
  'name',
  'version',
  'host',
  'error_type',
  'le',
  'quantile',
]);

/** Seconds; spans a fast cache read to a slow report. */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** Bytes; from an empty JSON body to a 10 MB upload. */
export const DEFAULT_SIZE_BUCKETS: readonly number[] = [
  64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 10485760,
];

/** Endpoint label of a request that matched no route: one series, however many URLs clients invent. */
export const UNMATCHED_ENDPOINT = '<unmatched>';

/** Endpoint label of a response answered by a middleware mounted at the root or at a parameterized path. */
export const MIDDLEWARE_ENDPOINT = '<middleware>';

/** Method label of any verb outside the standard HTTP set. */
export const OTHER_METHOD = '_OTHER';

/**
 * Status label of a response the client abandoned before it ended (nginx's "client closed request"),
 * so an aborted request is still counted once, and never as the 200 Node would otherwise report.
 */
export const CLIENT_CLOSED_REQUEST_STATUS = 499;

export const STANDARD_HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/** The environment variable that switches everything off when set to a false value. */
export const DEFAULT_ENABLE_ENV_VAR = 'ENABLE_METRICS';

/** Label sets one metric may hold unless `maxSeriesPerMetric` says otherwise. */
export const DEFAULT_MAX_SERIES_PER_METRIC = 10_000;

/** Distinct `host` values of the outbound metrics unless `httpClient.maxHosts` says otherwise. */
export const DEFAULT_MAX_CLIENT_HOSTS = 100;

/** Milliseconds between Pushgateway pushes unless `pushgateway.intervalMs` says otherwise. */
export const DEFAULT_PUSH_INTERVAL_MS = 15_000;

/** Milliseconds one Pushgateway push may take unless `pushgateway.timeoutMs` says otherwise. */
export const DEFAULT_PUSH_TIMEOUT_MS = 5_000;
