export { NoMetricsGuard, noMetricsGuardProvider } from './no-metrics.guard.js';
