import type { IncomingMessage } from 'node:http';
import type { ResolvedHttpLabel } from '../interfaces/metrics-module-options.interface.js';
import type { InstrumentationErrors } from '../recording/instrumentation-errors.js';
import { INVALID_LABEL_VALUE, LabelValueCap } from '../recording/label-value-cap.js';

/** Longest request-derived label value kept as itself; longer ones are `<invalid>`. */
export const MAX_LABEL_VALUE_LENGTH = 64;

/** Printable ASCII only: no control characters, no text a dashboard could misrender. */
const PRINTABLE = /^[\x20-\x7e]*$/;

/** True for a value a request-derived label may keep as itself. */
export function isLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_VALUE_LENGTH && PRINTABLE.test(value);
}

/** The request-derived label values of one request. */
export interface RequestLabels {
  /** The values joined, to key a cache of series by them. */
  readonly key: string;
  readonly values: Readonly<Record<string, string>>;
}

interface ActiveLabel {
  readonly name: string;
  readonly value: ResolvedHttpLabel['value'];
  readonly cap: LabelValueCap;
}

/**
 * Turns the `httpLabels` option into label values for one request, safely: each label keeps at most
 * its cap of distinct values (or only its allowlist), everything further is `<other>`, and what is
 * not a short printable string, or what a throwing function gives, is `<invalid>`. No text from a
 * client can therefore add a series past the caps. A missing value (`undefined`, `null`, `''`) is
 * the empty label value, which Prometheus treats as the label being absent.
 *
 * Platform-neutral: it reads only the Node request it is given, and resolves each request once.
 */
export class RequestLabelResolver {
  readonly names: readonly string[];
  private readonly labels: readonly ActiveLabel[];
  private readonly resolved = new WeakMap<object, RequestLabels>();

  constructor(
    labels: readonly ResolvedHttpLabel[],
    private readonly errors: InstrumentationErrors,
  ) {
    this.names = labels.map((label) => label.name);
    this.labels = labels.map((label) => ({
      name: label.name,
      value: label.value,
      cap: new LabelValueCap(label.maxValues, label.allowedValues),
    }));
  }

  /** The extra label values of `request`; `undefined` when the option adds no labels. */
  resolve(request: IncomingMessage): RequestLabels | undefined {
    if (this.labels.length === 0) return undefined;
    let labels = this.resolved.get(request);
    if (labels) return labels;
    const values: Record<string, string> = {};
    let key = '';
    for (const label of this.labels) {
      const value = this.labelValue(label, request);
      values[label.name] = value;
      key += `\u0000${value}`;
    }
    labels = { key, values };
    this.resolved.set(request, labels);
    return labels;
  }

  private labelValue(label: ActiveLabel, request: IncomingMessage): string {
    let raw: unknown;
    try {
      raw = label.value(request);
    } catch (error) {
      this.errors.report(`the httpLabels.${label.name} function`, error);
      return INVALID_LABEL_VALUE;
    }
    if (raw === undefined || raw === null || raw === '') return '';
    const text =
      typeof raw === 'string'
        ? raw
        : (typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean'
          ? String(raw)
          : undefined;
    if (text === undefined || !isLabelValue(text)) return INVALID_LABEL_VALUE;
    return label.cap.label(text);
  }
}
