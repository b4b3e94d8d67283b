export type {
  HttpLabelOptions,
  MetricsAuthOptions,
  MetricsHttpClientOptions,
  MetricsModuleOptions,
  MetricsPushgatewayOptions,
  ResolvedMetricsOptions,
} from './metrics-module-options.interface.js';
export type {
  CacheStats,
  DbOperationSummary,
  EndpointLatency,
  EndpointTraffic,
  LatencyEstimate,
  MetricsSummary,
  RpcSummary,
  TransportTraffic,
  WebSocketSummary,
} from './metrics-summary.interface.js';
