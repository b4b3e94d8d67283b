import { SetMetadata } from '@nestjs/common';
import { METRICS_TOKEN_PREFIX } from '../metrics.constants.js';

/** Metadata key {@link NoMetrics} sets on a controller class or a handler. */
export const NO_METRICS_METADATA = `${METRICS_TOKEN_PREFIX}NO_METRICS`;

/**
 * Keeps the routes of a controller, or of one handler, out of every HTTP metric (counts, durations,
 * sizes, in-progress, exceptions). For routes such as health probes that would only add noise.
 *
 * @example
 * ```ts
 * @NoMetrics()
 * @Controller('health')
 * export class HealthController {}
 * ```
 */
export const NoMetrics = (): ClassDecorator & MethodDecorator =>
  SetMetadata(NO_METRICS_METADATA, true);

const excludedHandlers = new WeakMap<object, boolean>();

/**
 * Whether the matched Nest handler, or its controller, carries {@link NoMetrics}. Any platform's HTTP
 * instrumentation asks this with what Nest's execution context names; the answer is cached per handler.
 */
export function isExcludedFromMetrics(handler: object, controller?: object): boolean {
  let excluded = excludedHandlers.get(handler);
  if (excluded === undefined) {
    excluded =
      Reflect.getMetadata(NO_METRICS_METADATA, handler) === true ||
      (controller !== undefined && Reflect.getMetadata(NO_METRICS_METADATA, controller) === true);
    excludedHandlers.set(handler, excluded);
  }
  return excluded;
}
