import { assertLabel } from '../recording/assert-argument.js';
import { instrumentMethod } from './instrument-method.js';

/**
 * Counts each call as a database operation (`database_operations_total{operation,table,status}`) and
 * times it (`database_operation_duration_seconds`). A call that throws or rejects counts as `error`.
 *
 * @example
 * ```ts
 * @TrackDbOperation('select', 'users')
 * findById(id: number) { return this.db.prepare('SELECT * FROM users WHERE id = ?').get(id); }
 * ```
 * @throws TypeError at class definition when `operation` or `table` is empty.
 */
export function TrackDbOperation(operation: string, table: string): MethodDecorator {
  assertLabel('@TrackDbOperation', 'operation', operation);
  assertLabel('@TrackDbOperation', 'table', table);
  return instrumentMethod('TrackDbOperation', {
    ended(metrics, outcome, seconds) {
      metrics.recordDbOperation(operation, table, outcome.ok ? 'success' : 'error', seconds);
    },
  });
}
