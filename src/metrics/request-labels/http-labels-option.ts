/** Validation of the `httpLabels` option, kept beside the resolver that applies it. */
import type {
  HttpLabelOptions,
  ResolvedHttpLabel,
} from '../interfaces/metrics-module-options.interface.js';
import { RESERVED_LABEL_NAMES } from '../metrics.constants.js';
import { describeValue, MetricsOptionsError } from '../options/metrics-options-error.js';
import { isLabelValue, MAX_LABEL_VALUE_LENGTH } from './request-label-resolver.js';

/** Distinct values one request-derived label may take unless its `maxValues` says otherwise. */
export const DEFAULT_MAX_HTTP_LABEL_VALUES = 20;

/** More labels than this multiply the HTTP series past any sensible budget. */
const MAX_HTTP_LABELS = 5;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LABEL_OPTIONS = new Set<string>(['value', 'maxValues', 'allowedValues']);

/**
 * Validates `httpLabels` at bootstrap.
 * @param defaultLabelNames the `defaultLabels` names, which a request-derived label must not repeat.
 * @throws MetricsOptionsError naming the first invalid label or setting.
 */
export function resolveHttpLabels(
  value: unknown,
  defaultLabelNames: readonly string[],
): readonly ResolvedHttpLabel[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MetricsOptionsError(
      'httpLabels',
      `must be an object of label names to functions of the request, got ${describeValue(value)}`,
    );
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_HTTP_LABELS) {
    throw new MetricsOptionsError(
      'httpLabels',
      `holds ${entries.length} labels; at most ${MAX_HTTP_LABELS} are allowed, since each multiplies the HTTP series`,
    );
  }
  return entries.map(([name, source]) => resolveLabel(name, source, defaultLabelNames));
}

function resolveLabel(
  name: string,
  source: unknown,
  defaultLabelNames: readonly string[],
): ResolvedHttpLabel {
  const option = `httpLabels.${name}`;
  if (!LABEL_NAME.test(name) || name.startsWith('__')) {
    throw new MetricsOptionsError(option, 'is not a valid Prometheus label name');
  }
  if (RESERVED_LABEL_NAMES.has(name)) {
    throw new MetricsOptionsError(
      option,
      `clashes with the label "${name}" of the module's own metrics; pick another name`,
    );
  }
  if (defaultLabelNames.includes(name)) {
    throw new MetricsOptionsError(option, `clashes with defaultLabels.${name}; pick another name`);
  }
  if (typeof source === 'function') {
    return {
      name,
      value: source as HttpLabelOptions['value'],
      maxValues: DEFAULT_MAX_HTTP_LABEL_VALUES,
    };
  }
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    throw new MetricsOptionsError(
      option,
      `must be a function of the request or { value, maxValues?, allowedValues? }, got ${describeValue(source)}`,
    );
  }
  const candidate = source as Record<string, unknown>;
  for (const key of Object.keys(candidate)) {
    if (!LABEL_OPTIONS.has(key)) {
      throw new MetricsOptionsError(`${option}.${key}`, 'is not a known option');
    }
  }
  if (typeof candidate.value !== 'function') {
    throw new MetricsOptionsError(
      `${option}.value`,
      `must be a function of the request, got ${describeValue(candidate.value)}`,
    );
  }
  const { maxValues, allowedValues } = candidate;
  if (
    maxValues !== undefined &&
    (typeof maxValues !== 'number' || !Number.isSafeInteger(maxValues) || maxValues < 1)
  ) {
    throw new MetricsOptionsError(
      `${option}.maxValues`,
      `must be a whole number of at least 1, got ${describeValue(maxValues)}`,
    );
  }
  return {
    name,
    value: candidate.value as HttpLabelOptions['value'],
    maxValues: (maxValues as number | undefined) ?? DEFAULT_MAX_HTTP_LABEL_VALUES,
    allowedValues: allowlist(allowedValues, `${option}.allowedValues`),
  };
}

function allowlist(value: unknown, option: string): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw new MetricsOptionsError(
      option,
      `must be an array of strings, got ${describeValue(value)}`,
    );
  }
  value.forEach((entry, index) => {
    if (typeof entry !== 'string' || entry === '' || !isLabelValue(entry)) {
      throw new MetricsOptionsError(
        `${option}[${index}]`,
        `must be a non-empty string of printable ASCII, at most ${MAX_LABEL_VALUE_LENGTH} characters, got ${describeValue(entry)}`,
      );
    }
  });
  return new Set(value as string[]);
}
