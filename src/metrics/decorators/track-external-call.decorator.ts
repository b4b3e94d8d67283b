import { assertLabel } from '../recording/assert-argument.js';
import { instrumentMethod } from './instrument-method.js';

/**
 * Counts each call as a call to an external service (`external_api_calls_total{service,operation,status}`)
 * and times it (`external_api_call_duration_seconds`). A call that throws or rejects counts as `error`.
 *
 * @param operation `operation` label; defaults to the method's name.
 * @example
 * ```ts
 * @TrackExternalCall('pricing', 'get_price')
 * fetchPrice(id: number): Promise<number> { ... }
 * ```
 * @throws TypeError at class definition when `service` or `operation` is empty.
 */
export function TrackExternalCall(service: string, operation?: string): MethodDecorator {
  assertLabel('@TrackExternalCall', 'service', service);
  if (operation !== undefined) assertLabel('@TrackExternalCall', 'operation', operation);
  return (target, propertyKey, descriptor) => {
    const label = operation ?? String(propertyKey);
    return instrumentMethod('TrackExternalCall', {
      ended(metrics, outcome, seconds) {
        metrics.recordExternalCall(service, label, outcome.ok ? 'success' : 'error', seconds);
      },
    })(target, propertyKey, descriptor);
  };
}
