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
  defaultMetrics?: boolean | Omit<DefaultMetricsCollectorConfiguration<RegistryContentType>, 'register'>;
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
}

/** The options as the module uses them: validated, defaults merged, environment applied. */
export interface ResolvedMetricsOptions {
  readonly path: string;
  readonly customPath: string;
  readonly enabled: boolean;
  readonly excludePaths: ReadonlySet<string>;
  readonly excludePatterns: readonly RegExp[];
  readonly groupStatusCodes: boolean;
  readonly inProgressLabels: boolean;
  readonly durationBuckets: number[];
  readonly sizeBuckets: number[];
  readonly prefix: string;
  readonly defaultLabels: Readonly<Record<string, string>>;
  readonly defaultMetrics: false | Omit<DefaultMetricsCollectorConfiguration<RegistryContentType>, 'register'>;
  readonly appName: string;
  readonly appVersion: string;
  readonly auth?: MetricsAuthOptions;
}
