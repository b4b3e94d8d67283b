import { expect } from '@jest/globals';
import { PROMETHEUS_INSTALL_HINT, requireBinary, runBinary } from './promtool.js';

/**
 * Asserts that `promtool check metrics` finds nothing to report in `text`. Without promtool it checks
 * nothing locally and fails under CI=true, as the Prometheus suites do.
 */
export function expectPromtoolClean(text: string): void {
  const promtool = requireBinary('promtool', PROMETHEUS_INSTALL_HINT);
  if (!promtool) {
    console.warn('promtool not found: the exposition was not linted');
    return;
  }
  const result = runBinary(promtool, ['check', 'metrics'], { input: text });
  expect(result.output).toBe('');
  expect(result.status).toBe(0);
}
