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

/** Whether a class or a handler itself carries the mark; metadata never changes after start-up. */
const marks = new WeakMap<object, boolean>();

/** Whether `target`, a controller class or a handler function, is itself marked {@link NoMetrics}. */
export function isMarkedNoMetrics(target: object): boolean {
  let marked = marks.get(target);
  if (marked === undefined) {
    marked = Reflect.getMetadata(NO_METRICS_METADATA, target) === true;
    marks.set(target, marked);
  }
  return marked;
}

/**
 * Whether the matched Nest handler, or its controller, carries {@link NoMetrics}. Any platform's HTTP
 * instrumentation asks this with what Nest's execution context names. Handler and controller are
 * looked up apart, since one inherited handler serves every controller that extends its class.
 */
export function isExcludedFromMetrics(handler: object, controller?: object): boolean {
  return isMarkedNoMetrics(handler) || (controller !== undefined && isMarkedNoMetrics(controller));
}
