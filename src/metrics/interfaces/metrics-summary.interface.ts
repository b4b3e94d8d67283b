/** Shape of `GET /metrics/custom` and of `MetricsService.summary()`. */
import type { GraphqlSummary } from '../transports/graphql/graphql-summary.js';

export interface LatencyEstimate {
  /** Estimated from the duration histogram as Prometheus' `histogram_quantile` would; null with no data. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface EndpointTraffic {
  method: string;
  endpoint: string;
  requests: number;
}

export interface EndpointLatency {
  method: string;
  endpoint: string;
  /** Requests timed on this endpoint. */
  requests: number;
  /** Mean duration in seconds. */
  avg_duration_seconds: number;
}

export interface DbOperationSummary {
  operation: string;
  table: string;
  count: number;
  errors: number;
  /** Mean duration in seconds; null when nothing was timed. */
  avg_duration_seconds: number | null;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** hits / (hits + misses); null before the first lookup. */
  hit_rate: number | null;
}

export interface MetricsSummary {
  /** The `app_info` labels; null when the snapshot has none (a cluster before any worker answered). */
  app: { name: string; version: string } | null;
  uptime_seconds: number;
  http: {
    requests_total: number;
    in_progress: number;
    /** Share of responses with a 5xx status; null before the first response. */
    error_rate: number | null;
    by_status_class: Record<string, number>;
    latency_seconds: LatencyEstimate;
    /** The five endpoints with the most requests, busiest first. */
    busiest_endpoints: EndpointTraffic[];
    /** The five endpoints with the highest mean duration, slowest first. */
    slowest_endpoints: EndpointLatency[];
  };
  database: {
    operations_total: number;
    errors_total: number;
    by_operation: DbOperationSummary[];
  };
  cache: CacheStats & { by_cache: Record<string, CacheStats> };
  background_tasks: Record<string, Record<string, number>>;
  external_calls: Record<string, Record<string, number>>;
  auth_events: Record<string, Record<string, number>>;
  queues: Record<string, number>;
  active_connections: number;
  process: {
    resident_memory_bytes: number | null;
    heap_used_bytes: number | null;
    event_loop_lag_seconds: number | null;
  };
  /** Present only in apps that use GraphQLModule with the Apollo driver. */
  graphql?: GraphqlSummary;
  /** Present once the app has served or sent a microservice message. */
  rpc?: RpcSummary;
  /** Present once a WebSocket gateway has had a connection or a message. */
  websockets?: WebSocketSummary;
}

/** Message counts of one transport; `by_handler` has one entry per label set, e.g. per pattern. */
export interface TransportTraffic {
  messages_total: number;
  errors_total: number;
  /** The labels of the series (`transport`, `pattern`, `kind`, or `gateway`, `event`), `count` and `errors`. */
  by_handler: Array<Record<string, string | number>>;
}

/** `/metrics/custom` section of an app that serves or sends microservice messages. */
export interface RpcSummary {
  /** From `rpc_messages_total`: messages and events this app's handlers received. */
  server: TransportTraffic;
  /** From `rpc_client_messages_total`: messages and events this app's `ClientProxy`s sent. */
  client: TransportTraffic;
}

/** `/metrics/custom` section of an app with WebSocket gateways. */
export interface WebSocketSummary extends TransportTraffic {
  connections_open: number;
  connections_total: number;
}
