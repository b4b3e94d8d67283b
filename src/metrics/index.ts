/** nestjs-instrumentator: the public API. Everything a user imports comes from here. */
export { MetricsModule, InjectMetricsOptions } from './metrics.module.js';
export {
  MetricsService,
  type BackgroundTaskStatus,
  type Outcome,
  type QueueSampler,
} from './metrics.service.js';
export {
  NoMetrics,
  TrackAuthEvent,
  TrackBackgroundTask,
  TrackCache,
  TrackDbOperation,
  TrackExternalCall,
  type TrackCacheOptions,
} from './decorators/index.js';
export {
  CustomMetricsController,
  DashboardController,
  MetricsController,
} from './controllers/index.js';
export type {
  CacheStats,
  DbOperationSummary,
  EndpointLatency,
  EndpointTraffic,
  LatencyEstimate,
  MetricsAuthOptions,
  MetricsModuleOptions,
  MetricsPushgatewayOptions,
  MetricsSummary,
  ResolvedMetricsOptions,
  RpcSummary,
  TransportTraffic,
  WebSocketSummary,
} from './interfaces/index.js';
export {
  bootstrapCluster,
  type ClusterOptions,
  type ClusterPrimary,
} from './cluster/bootstrap-cluster.js';
export { MetricsOptionsError } from './options/resolve-options.js';
export { INVALID_LABEL_VALUE, OTHER_LABEL_VALUE } from './recording/label-value-cap.js';
export { CLIENT_ERROR_STATUS } from './transports/http-client/index.js';
export {
  ANONYMOUS_OPERATION,
  GRAPHQL_METRIC_NAMES,
  INVALID_OPERATION,
} from './transports/graphql/graphql-metrics.js';
export { MAX_OPERATION_NAME_LENGTH } from './transports/graphql/graphql-operation-recorder.js';
export { MAX_PATTERN_LENGTH } from './transports/transport-metrics.js';
export type {
  GraphqlOperationSummary,
  GraphqlSummary,
} from './transports/graphql/graphql-summary.js';
export {
  CLIENT_CLOSED_REQUEST_STATUS,
  DEFAULT_DURATION_BUCKETS,
  DEFAULT_SIZE_BUCKETS,
  METRIC_NAMES,
  MIDDLEWARE_ENDPOINT,
  OTHER_METHOD,
  RESOLVED_METRICS_OPTIONS,
  UNMATCHED_ENDPOINT,
} from './metrics.constants.js';
