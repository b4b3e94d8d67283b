import {
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type FactoryProvider,
} from '@nestjs/common';
import { APP_GUARD, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { isExcludedFromMetrics, isMarkedNoMetrics } from '../decorators/no-metrics.decorator.js';
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

/**
 * Registers {@link NoMetricsGuard} only in an app that has a controller or handler marked
 * {@link NoMetrics}. As soon as an app has one global guard, Nest runs every request of every route
 * through its async guard step (two `await`s and an execution context), which costs a Fastify request
 * about a microsecond even when the guard lets everything through. Skipping the guard where nothing is
 * marked is safe: it only ever acts on marked handlers, and the factory runs after Nest has scanned
 * every module, so every controller that can receive a request is seen. Nest leaves out a global
 * enhancer whose factory returns `null`.
 */
export const noMetricsGuardProvider: FactoryProvider = {
  provide: APP_GUARD,
  inject: [MetricsService, { token: ModulesContainer, optional: true }],
  useFactory: (metrics: MetricsService, modules: ModulesContainer | undefined) =>
    modules === undefined || anyControllerExcluded(modules) ? new NoMetricsGuard(metrics) : null,
};

/** Whether a controller of the app, or one of its handlers (inherited ones included), is marked. */
function anyControllerExcluded(modules: ModulesContainer): boolean {
  const scanner = new MetadataScanner();
  for (const moduleRef of modules.values()) {
    for (const wrapper of moduleRef.controllers.values()) {
      const controller = wrapper.metatype;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown> | undefined;
      if (isMarkedNoMetrics(controller)) return true;
      if (!prototype) continue;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler === 'function' && isMarkedNoMetrics(handler)) return true;
      }
    }
  }
  return false;
}
