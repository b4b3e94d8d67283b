/** Thrown at bootstrap when an option is invalid; the message names the option. */
export class MetricsOptionsError extends Error {
  constructor(option: string, problem: string) {
    super(`MetricsModule: option "${option}" ${problem}`);
    this.name = 'MetricsOptionsError';
  }
}

/** A value as an option error shows it: strings quoted, objects by kind, never their contents. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object' : String(value);
}
