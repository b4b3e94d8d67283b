import { Global, Inject, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { PrometheusModule, getToken } from '@willsoto/nestjs-prometheus';
import { CustomMetricsController } from './controllers/custom-metrics.controller.js';
import { DashboardController } from './controllers/dashboard.controller.js';
import { MetricsController } from './controllers/metrics.controller.js';
import { noMetricsGuardProvider } from './guards/index.js';
import type { MetricsModuleOptions } from './interfaces/metrics-module-options.interface.js';
import { METRIC_NAMES, RESOLVED_METRICS_OPTIONS, type MetricKey } from './metrics.constants.js';
import {
  ConfigurableMetricsModule,
  METRICS_ASYNC_OPTIONS_TYPE,
  METRICS_MODULE_OPTIONS,
  METRICS_OPTIONS_TYPE,
} from './metrics.module-definition.js';
import { MetricsService } from './metrics.service.js';
import { dashboardPathOf } from './dashboard/dashboard-path.js';
import { resolveMetricsOptions } from './options/resolve-options.js';
import { transportInstrumentationProvider } from './transports/install-transports.js';

/**
 * Validates the options once, then points the two controllers at the configured paths. Controller
 * routes are read after every provider has resolved, so this works for `forRootAsync` too.
 */
const resolvedOptionsProvider: Provider = {
  provide: RESOLVED_METRICS_OPTIONS,
  inject: [METRICS_MODULE_OPTIONS],
  useFactory: (options: MetricsModuleOptions | undefined) => {
    const resolved = resolveMetricsOptions(options ?? {});
    Reflect.defineMetadata(PATH_METADATA, resolved.path, MetricsController);
    Reflect.defineMetadata(PATH_METADATA, resolved.customPath, CustomMetricsController);
    // Routed even when off, where it answers 404, since controllers cannot depend on async options.
    const dashboardPath = resolved.dashboardPath ?? dashboardPathOf(resolved.customPath);
    Reflect.defineMetadata(PATH_METADATA, dashboardPath, DashboardController);
    return resolved;
  },
};

/** `@InjectMetric('http_requests_total')` and friends resolve to the module's own metric objects. */
const metricProviders: Provider[] = (Object.keys(METRIC_NAMES) as MetricKey[]).map((key) => ({
  provide: getToken(METRIC_NAMES[key]),
  inject: [MetricsService],
  useFactory: (service: MetricsService) => service.metrics[key],
}));

/**
 * Prometheus metrics for the whole app from one import: every HTTP route is instrumented, `/metrics`
 * and `/metrics/custom` are served, and the `@Track…` decorators record into it.
 *
 * @example
 * ```ts
 * @Module({ imports: [MetricsModule.forRoot({ groupStatusCodes: true })] })
 * export class AppModule {}
 * ```
 * @throws MetricsOptionsError at bootstrap when an option is invalid.
 */
@Global()
@Module({
  imports: [
    // It registers the exposition controller (ours, built on its base class) and provides the options
    // its metric providers read. Its default-metrics setup is not used: it writes to prom-client's
    // global registry and fails when an app is created twice in one process.
    PrometheusModule.register({
      controller: MetricsController,
      defaultMetrics: { enabled: false },
    }),
  ],
  controllers: [CustomMetricsController, DashboardController],
  providers: [
    resolvedOptionsProvider,
    MetricsService,
    ...metricProviders,
    noMetricsGuardProvider,
    transportInstrumentationProvider,
  ],
  exports: [MetricsService, RESOLVED_METRICS_OPTIONS, PrometheusModule, ...metricProviders],
})
export class MetricsModule extends ConfigurableMetricsModule {
  /**
   * Registers the module with static options.
   * @example `MetricsModule.forRoot({ prefix: 'billing_', excludePaths: ['/health'] })`
   */
  static override forRoot(options: typeof METRICS_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /**
   * Registers the module with options from a factory, e.g. read from `ConfigService`.
   * @example
   * ```ts
   * MetricsModule.forRootAsync({
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ auth: { bearerToken: config.getOrThrow('METRICS_TOKEN') } }),
   * })
   * ```
   */
  static override forRootAsync(options: typeof METRICS_ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }
}

/** Injects the validated options with defaults merged, e.g. in a controller of your own. */
export const InjectMetricsOptions = (): ParameterDecorator => Inject(RESOLVED_METRICS_OPTIONS);
