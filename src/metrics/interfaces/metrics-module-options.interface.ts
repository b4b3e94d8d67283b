import type { IncomingMessage } from 'node:http';
import type { DefaultMetricsCollectorConfiguration, RegistryContentType } from 'prom-client';

/** Credentials that protect the metrics endpoints. */
export type MetricsAuthOptions =
  | {
      /** Clients must send `Authorization: Bearer <bearerToken>`. */
      bearerToken: string;
    }
  | {
      /** Clients must send HTTP Basic credentials with this user name… */
      username: string;
      /** …and this password. */
      password: string;
    };

/**
 * Everything `MetricsModule.forRoot()` accepts. Every option is optional and validated at bootstrap:
 * a bad value fails the app's start with an error that names the option.
 */
export interface MetricsModuleOptions {
  /**
   * Route of the Prometheus exposition. Follows Nest's global prefix like any route.
   * @default '/metrics'
   */
  path?: string;
  /**
   * Route of the JSON summary for people.
   * @default '/metrics/custom'
   */
  customPath?: string;
  /**
   * Serves a live page for people at `customPath` + `/dashboard` (`/metrics/custom/dashboard` by
   * default): charts and tables of the `customPath` summary, which the page polls. It has the same
   * `auth`, and is served where the other endpoints are (the app, the `port` listener or the cluster
   * primary).
   * @default false
   */
  dashboard?: boolean;
  /**
   * Set to `false` to turn off all instrumentation and both endpoints (they answer 404).
   * The environment variable named by {@link envVarName} set to `false` does the same.
   * @default true
   */
  enabled?: boolean;
  /**
   * Environment variable read at bootstrap; `false`, `0`, `no` or `off` disables the module.
   * @default 'ENABLE_METRICS'
   */
  envVarName?: string;
  /**
   * Requests not to record. A string matches the request path (without query) or the route template
   * (`/users/:id`); a RegExp is tested against the request path.
   * @default []
   */
  excludePaths?: Array<string | RegExp>;
  /**
   * Record `status_code` as `2xx` … `5xx` instead of the exact code.
   * @default false
   */
  groupStatusCodes?: boolean;
  /**
   * Label `http_requests_in_progress` by method and endpoint; when `false` it is a single series.
   * @default true
   */
  inProgressLabels?: boolean;
  /**
   * Time every resolver the app declares (`@Query`, `@Mutation`, `@ResolveField`…) in
   * `graphql_resolver_duration_seconds{parent_type, field}`; default field resolvers are never timed.
   * Costs a timer per resolved field, hence opt-in.
   * @default false
   */
  graphqlResolverDuration?: boolean;
  /**
   * Histogram buckets, in seconds, of every duration metric.
   * @default [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
   */
  durationBuckets?: number[];
  /**
   * Histogram buckets, in bytes, of the request and response size metrics.
   * @default [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 10485760]
   */
  sizeBuckets?: number[];
  /**
   * Prepended to every metric name the module registers, default process metrics included
   * (`myapp_` gives `myapp_http_requests_total`).
   * @default ''
   */
  prefix?: string;
  /**
   * Labels added to every exposed series, e.g. `{ service: 'billing' }`.
   * @default {}
   */
  defaultLabels?: Record<string, string>;
  /**
   * prom-client's process metrics (CPU, memory, event-loop lag, GC, heap). `false` turns them off;
   * an object is passed to `collectDefaultMetrics` (its `register` and `prefix` are the module's).
   * @default true
   * @see https://github.com/siimon/prom-client#default-metrics
   */
  defaultMetrics?:
    boolean | Omit<DefaultMetricsCollectorConfiguration<RegistryContentType>, 'register'>;
  /**
   * `name` label of `app_info`.
   * @default the `name` in the package.json of the working directory
   */
  appName?: string;
  /**
   * `version` label of `app_info`.
   * @default the `version` in the package.json of the working directory
   */
  appVersion?: string;
  /**
   * Protects both endpoints: a request without the credentials gets 401 and a `WWW-Authenticate` header.
   * Credentials are compared in constant time.
   * @default undefined (no protection)
   */
  auth?: MetricsAuthOptions;
  /**
   * Most label sets (series) one metric may hold. It caps every metric whose label values come from
   * code at run time: the module's own metrics, which the MetricsService methods and the decorators
   * feed, and metrics in prom-client's global registry, such as those made with
   * `@willsoto/nestjs-prometheus` providers. Past the cap, observations that would create a new label
   * set are dropped, counted in `metrics_series_dropped_total{metric}`, and a warning is logged once
   * per metric, so memory stays bounded whatever values reach the labels.
   * @default 10000
   */
  maxSeriesPerMetric?: number;
  /**
   * Serves `path` and `customPath` on an HTTP listener of their own on this port (`0` picks a free
   * one; read it from `MetricsService.listenerAddress`). The app's own port then answers 404 on those
   * paths, so a public ingress in front of the app never exposes them. The listener closes with the app.
   * @example `MetricsModule.forRoot({ port: 9464 })`
   * @default undefined (the endpoints are routes of the app)
   */
  port?: number;
  /**
   * Interface the separate listener binds to; only with {@link port}.
   * @default undefined (every interface, as `server.listen(port)` does)
   */
  host?: string;
  /**
   * Pushes the metrics to a Prometheus Pushgateway on an interval and once more on application
   * shutdown, for batch jobs that end before Prometheus could scrape them. A failed push is logged and
   * tried again at the next interval; it never throws, and the final push gives up after `timeoutMs`.
   * @example
   * ```ts
   * MetricsModule.forRoot({
   *   pushgateway: { url: 'http://pushgateway:9091', jobName: 'nightly-import', groupingLabels: { shard: '3' } },
   * })
   * ```
   * @default undefined (nothing is pushed)
   */
  pushgateway?: MetricsPushgatewayOptions;
  /**
   * Outbound HTTP calls the app makes (global `fetch`, `node:http`, `node:https`, and the clients on top
   * of them such as axios and `@nestjs/axios`) counted and timed in `http_client_requests_total`,
   * `http_client_request_duration_seconds` and `http_client_errors_total`, with no code change. `false`
   * turns this off; an object bounds the `host` label.
   * @default true
   */
  httpClient?: boolean | MetricsHttpClientOptions;
  /**
   * Labels taken from each request and added to the HTTP metrics (`http_requests_total`, the duration,
   * size and in-progress metrics, `http_exceptions_total`), such as a tenant. Each is a function of the
   * Node request (on Express, Express's request) or {@link HttpLabelOptions}. Every label is bounded:
   * at most `maxValues` distinct values (or only `allowedValues`), further ones `<other>`; a value that
   * is not a printable ASCII string of at most 64 characters is `<invalid>`; none is the empty value.
   * @example `MetricsModule.forRoot({ httpLabels: { tenant: (req) => req.headers['x-tenant'] } })`
   * @default {}
   */
  httpLabels?: Record<string, HttpLabelOptions['value'] | HttpLabelOptions>;
  /**
   * Links observations to traces. When the app runs an OpenTelemetry tracer, each HTTP request's
   * `http_request_duration_seconds` bucket and `http_requests_total` series, and the durations the
   * decorators record, carry an exemplar `{trace_id, span_id}` of the active sampled span. Exemplars
   * appear only in the OpenMetrics format, which Prometheus negotiates; the classic text format is
   * unchanged. They are read through `@opentelemetry/api`, an optional peer dependency: without it,
   * or without a tracer, nothing is added. `true` also logs a warning when the API is missing;
   * `false` never loads it.
   * @default 'auto' (on when `@opentelemetry/api` is installed and a span is active)
   * @see https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md#exemplars
   */
  exemplars?: boolean | 'auto';
}

/** One request-derived label of {@link MetricsModuleOptions.httpLabels}. */
export interface HttpLabelOptions {
  /**
   * Reads the label's value from the request; called once per request, at the latest when it ends.
   * A throw is logged once and recorded as `<invalid>`; the request is unaffected.
   */
  value: (request: IncomingMessage) => unknown;
  /**
   * Most distinct values; further ones are recorded as `<other>`.
   * @default 20
   */
  maxValues?: number;
  /**
   * The only values recorded as themselves; every other one is `<other>`. `maxValues` does not apply then.
   * @default undefined (the first `maxValues` values seen)
   */
  allowedValues?: string[];
}

/** A request-derived label as the module uses it. */
export interface ResolvedHttpLabel {
  readonly name: string;
  readonly value: HttpLabelOptions['value'];
  readonly maxValues: number;
  readonly allowedValues?: ReadonlySet<string>;
}

/** How {@link MetricsModuleOptions.httpClient} labels peers. */
export interface MetricsHttpClientOptions {
  /**
   * Most distinct `host` values; calls to further peers are labelled `host="<other>"`.
   * @default 100
   */
  maxHosts?: number;
  /**
   * The only peers labelled by name, as `host:port` (`api.example.com:443`); every other peer is
   * `<other>`. `maxHosts` does not apply then.
   * @default undefined (the first `maxHosts` peers seen)
   */
  allowedHosts?: string[];
}

/** Where and how {@link MetricsModuleOptions.pushgateway} pushes. */
export interface MetricsPushgatewayOptions {
  /** Base URL of the Pushgateway, e.g. `http://pushgateway:9091`. */
  url: string;
  /**
   * `job` label the metrics are grouped under.
   * @default the `appName` option
   */
  jobName?: string;
  /**
   * Further labels of the group, e.g. `{ instance: hostname() }`; each push replaces the whole group.
   * @default {}
   */
  groupingLabels?: Record<string, string>;
  /**
   * Milliseconds between pushes while the app runs.
   * @default 15000
   */
  intervalMs?: number;
  /**
   * Milliseconds one push may take before it is abandoned, the final one at shutdown included.
   * @default 5000
   */
  timeoutMs?: number;
}

/** The options as the module uses them: validated, defaults merged, environment applied. */
export interface ResolvedMetricsOptions {
  readonly path: string;
  readonly customPath: string;
  /** Route of the dashboard page; undefined when the `dashboard` option is off. */
  readonly dashboardPath?: string;
  readonly enabled: boolean;
  readonly excludePaths: ReadonlySet<string>;
  readonly excludePatterns: readonly RegExp[];
  readonly groupStatusCodes: boolean;
  readonly inProgressLabels: boolean;
  readonly graphqlResolverDuration: boolean;
  readonly durationBuckets: number[];
  readonly sizeBuckets: number[];
  readonly prefix: string;
  readonly defaultLabels: Readonly<Record<string, string>>;
  readonly defaultMetrics:
    false | Omit<DefaultMetricsCollectorConfiguration<RegistryContentType>, 'register'>;
  readonly appName: string;
  readonly appVersion: string;
  readonly auth?: MetricsAuthOptions;
  readonly maxSeriesPerMetric: number;
  readonly listener?: { readonly port: number; readonly host?: string };
  readonly pushgateway?: Readonly<Required<MetricsPushgatewayOptions>>;
  readonly httpClient:
    false | { readonly maxHosts: number; readonly allowedHosts?: ReadonlySet<string> };
  readonly httpLabels: readonly ResolvedHttpLabel[];
  readonly exemplars: boolean | 'auto';
}
