export type {
  MetricsAuthOptions,
  MetricsModuleOptions,
  MetricsPushgatewayOptions,
  ResolvedMetricsOptions,
} from './metrics-module-options.interface.js';
export type {
  CacheStats,
  DbOperationSummary,
  EndpointTraffic,
  LatencyEstimate,
  MetricsSummary,
  RpcSummary,
  TransportTraffic,
  WebSocketSummary,
} from './metrics-summary.interface.js';
