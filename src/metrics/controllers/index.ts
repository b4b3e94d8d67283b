export { CustomMetricsController } from './custom-metrics.controller.js';
export { DashboardController } from './dashboard.controller.js';
export { MetricsController } from './metrics.controller.js';
