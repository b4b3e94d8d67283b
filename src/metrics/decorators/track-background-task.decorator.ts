import { assertLabel } from '../recording/assert-argument.js';
import { instrumentMethod } from './instrument-method.js';

/**
 * Counts a background task as `started` when called and `succeeded` or `failed` when it ends
 * (`background_tasks_total{task_type,status}`), and times the finished run
 * (`background_task_duration_seconds{task_type,status}`).
 *
 * @example
 * ```ts
 * @TrackBackgroundTask('welcome_email')
 * async sendWelcomeEmail(user: User) { ... }
 * ```
 * @throws TypeError at class definition when `taskType` is empty.
 */
export function TrackBackgroundTask(taskType: string): MethodDecorator {
  assertLabel('@TrackBackgroundTask', 'taskType', taskType);
  return instrumentMethod('TrackBackgroundTask', {
    started(metrics) {
      metrics.recordBackgroundTask(taskType, 'started');
    },
    ended(metrics, outcome, seconds) {
      metrics.recordBackgroundTask(taskType, outcome.ok ? 'succeeded' : 'failed', seconds);
    },
  });
}
