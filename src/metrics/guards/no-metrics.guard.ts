import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { isExcludedFromMetrics } from '../decorators/no-metrics.decorator.js';
import { markUnrecorded } from '../transports/http/request-state.js';
import { MetricsService } from '../metrics.service.js';

/**
 * Applies {@link NoMetrics}: a global guard, because guards are the first step of Nest's pipeline that
 * knows the matched handler, and the module's global guard runs before any controller or handler
 * guard, so a request those guards reject is still left out. It always lets the request through.
 */
@Injectable()
export class NoMetricsGuard implements CanActivate {
  constructor(private readonly metrics: MetricsService) {}

  canActivate(context: ExecutionContext): boolean {
    try {
      if (
        context.getType() === 'http' &&
        isExcludedFromMetrics(context.getHandler(), context.getClass())
      ) {
        const response = context.switchToHttp().getResponse<{ raw?: unknown }>();
        // Fastify hands over its reply; the Node response is its `raw`.
        markUnrecorded(response.raw ?? response);
      }
    } catch (error) {
      this.metrics.errors.report('the @NoMetrics() guard', error);
    }
    return true;
  }
}
