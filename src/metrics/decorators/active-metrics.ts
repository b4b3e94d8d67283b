import type { MetricsService } from '../metrics.service.js';

/**
 * The MetricsService that decorators record into. Decorated methods may live on any class, including
 * ones Nest never instantiates, so they find the module through this process-wide slot instead of DI.
 * The most recently started module wins; when none is active, decorators record nothing.
 */
const activeServices: MetricsService[] = [];

export function activeMetricsService(): MetricsService | undefined {
  return activeServices[activeServices.length - 1];
}

export function activateMetricsService(service: MetricsService): void {
  deactivateMetricsService(service);
  activeServices.push(service);
}

export function deactivateMetricsService(service: MetricsService): void {
  const index = activeServices.indexOf(service);
  if (index !== -1) activeServices.splice(index, 1);
}
