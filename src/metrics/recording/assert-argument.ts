/**
 * Argument checks for the recording API. Label values come from code, not clients, so a bad one is a
 * programming error worth failing loudly on, with the call and the argument named.
 */

export function assertLabel(
  context: string,
  name: string,
  value: unknown,
): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${context}: "${name}" must be a non-empty string, got ${show(value)}`);
  }
}

export function assertOneOf(
  context: string,
  name: string,
  value: unknown,
  allowed: readonly string[],
): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new TypeError(
      `${context}: "${name}" must be one of ${allowed.join(', ')}, got ${show(value)}`,
    );
  }
}

export function assertDuration(context: string, seconds: unknown): void {
  if (seconds === undefined) return;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new TypeError(
      `${context}: "durationSeconds" must be a finite number >= 0, got ${show(seconds)}`,
    );
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
