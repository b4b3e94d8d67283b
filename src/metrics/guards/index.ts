export { NoMetricsGuard } from './no-metrics.guard.js';
