import { assertLabel } from '../recording/assert-argument.js';
import { instrumentMethod } from './instrument-method.js';

/**
 * Counts each call as an authentication event (`auth_events_total{event,result}`): `success` when the
 * method returns or resolves to a truthy value, `failure` when it yields a falsy one or throws.
 *
 * @example
 * ```ts
 * @TrackAuthEvent('login')
 * async validate(email: string, password: string): Promise<User | null> { ... }
 * ```
 * @throws TypeError at class definition when `event` is empty.
 */
export function TrackAuthEvent(event: string): MethodDecorator {
  assertLabel('@TrackAuthEvent', 'event', event);
  return instrumentMethod('TrackAuthEvent', {
    ended(metrics, outcome) {
      metrics.recordAuthEvent(event, outcome.ok && Boolean(outcome.value) ? 'success' : 'failure');
    },
  });
}
