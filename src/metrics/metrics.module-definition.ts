import { ConfigurableModuleBuilder } from '@nestjs/common';
import { METRICS_TOKEN_PREFIX } from './metrics.constants.js';
import type { MetricsModuleOptions } from './interfaces/metrics-module-options.interface.js';

/** `forRoot` / `forRootAsync` (with `useFactory`, `useClass` or `useExisting`) and the raw options token. */
export const {
  ConfigurableModuleClass: ConfigurableMetricsModule,
  MODULE_OPTIONS_TOKEN: METRICS_MODULE_OPTIONS,
  OPTIONS_TYPE: METRICS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: METRICS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MetricsModuleOptions>({
  moduleName: 'Metrics',
  optionsInjectionToken: `${METRICS_TOKEN_PREFIX}MODULE_OPTIONS`,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createMetricsOptions')
  .build();
