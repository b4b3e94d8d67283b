export type {
  MetricsAuthOptions,
  MetricsModuleOptions,
  ResolvedMetricsOptions,
} from './metrics-module-options.interface.js';
export type {
  CacheStats,
  DbOperationSummary,
  EndpointTraffic,
  LatencyEstimate,
  MetricsSummary,
} from './metrics-summary.interface.js';
