export { MetricsExceptionFilter } from './metrics-exception.filter.js';
