/** nestjs-instrumentator: the public API. Everything a user imports comes from here. */
export { MetricsModule, InjectMetricsOptions } from './metrics.module.js';
export {
  MetricsService,
  type BackgroundTaskStatus,
  type Outcome,
  type QueueSampler,
} from './metrics.service.js';
export {
  TrackAuthEvent,
  TrackBackgroundTask,
  TrackCache,
  TrackDbOperation,
  TrackExternalCall,
  type TrackCacheOptions,
} from './decorators/index.js';
export { MetricsExceptionFilter } from './filters/index.js';
export { CustomMetricsController, MetricsController } from './controllers/index.js';
export type {
  CacheStats,
  DbOperationSummary,
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
export { MetricsOptionsError } from './utils/resolve-options.js';
export {
  CLIENT_CLOSED_REQUEST_STATUS,
  DEFAULT_DURATION_BUCKETS,
  DEFAULT_SIZE_BUCKETS,
  METRIC_NAMES,
  OTHER_METHOD,
  RESOLVED_METRICS_OPTIONS,
  UNMATCHED_ENDPOINT,
} from './metrics.constants.js';
