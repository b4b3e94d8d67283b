export { CustomMetricsController } from './custom-metrics.controller.js';
export { MetricsController } from './metrics.controller.js';
