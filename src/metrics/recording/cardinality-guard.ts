import { Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';

/** The parts of a prom-client metric the guard wraps; all four metric types share them. */
interface GuardableMetric {
  name: string;
  labelNames: readonly string[];
  enableExemplars?: boolean;
  [method: string]: unknown;
}

type MetricMethod = (this: unknown, ...args: unknown[]) => unknown;

/** Methods whose first argument, when it is an object, names the label set they write to. */
const RECORDING_METHODS = [
  'inc',
  'dec',
  'set',
  'observe',
  'setToCurrentTime',
  'startTimer',
  'zero',
];

interface GuardState {
  readonly keys: Set<string>;
  /** Bumped by `remove()` and `reset()`, which may free a label set that children still hold. */
  epoch: number;
  readonly guard: CardinalityGuard;
}

/**
 * Set on the label object of a child that `labels()` handed out, to the epoch in which its key was
 * admitted: the hot path then compares one number instead of computing the key. A symbol, so
 * prom-client's label validation and hashing never see it.
 */
const ADMITTED_IN = Symbol('nestjs-instrumentator.admittedIn');

type TaggedLabels = Record<string, unknown> & { [ADMITTED_IN]?: number };

const guardedMetrics = new WeakMap<object, GuardState>();

/**
 * Caps the number of label sets each protected metric may hold. An observation that would create a
 * label set past the cap is dropped and counted in `droppedTotal{metric}`; a warning is logged the first
 * time a metric reaches its cap. Existing label sets keep recording normally.
 *
 * It wraps the metric instance's own methods rather than a registry, so it also covers metrics that
 * code outside the module holds and records into directly (`@InjectMetric`, willsoto providers).
 */
export class CardinalityGuard {
  private readonly warned = new Set<string>();

  constructor(
    private readonly limit: number,
    private readonly droppedTotal: Counter<'metric'>,
    private readonly logger = new Logger('MetricsModule'),
  ) {}

  /** Caps `metric` unless it has no labels, records exemplars, or is already capped. */
  protect(metric: object): void {
    const target = metric as GuardableMetric;
    if (guardedMetrics.has(metric) || !Array.isArray(target.labelNames)) return;
    if (target.labelNames.length === 0 || target.enableExemplars || metric === this.droppedTotal)
      return;
    const state: GuardState = { keys: new Set(), epoch: 0, guard: this };
    guardedMetrics.set(metric, state);

    for (const methodName of RECORDING_METHODS) {
      const original = target[methodName];
      if (typeof original !== 'function') continue;
      target[methodName] = (...args: unknown[]) => {
        const labels = args[0];
        if (
          isLabelObject(labels) &&
          labels[ADMITTED_IN] !== state.epoch &&
          !this.admit(target, state, labels)
        ) {
          return methodName === 'startTimer' ? () => 0 : undefined;
        }
        return (original as MetricMethod).apply(metric, args);
      };
    }

    // A child only counts against the cap once it records: `labels()` alone creates no series.
    const labels = target.labels as MetricMethod;
    target.labels = (...args: unknown[]) => {
      // A copy of our own, so that tagging it never touches an object the caller holds.
      const labelObject: TaggedLabels = isLabelObject(args[0])
        ? { ...args[0] }
        : positionalLabels(target.labelNames, args);
      const child = labels.call(metric, labelObject) as Record<string, unknown>;
      const guarded: Record<string, unknown> = {};
      for (const [methodName, method] of Object.entries(child)) {
        if (typeof method !== 'function') continue;
        guarded[methodName] = (...callArgs: unknown[]) => {
          if (labelObject[ADMITTED_IN] !== state.epoch) {
            if (!this.admit(target, state, labelObject)) {
              return methodName === 'startTimer' ? () => 0 : undefined;
            }
            labelObject[ADMITTED_IN] = state.epoch;
          }
          return (method as MetricMethod)(...callArgs);
        };
      }
      return guarded;
    };

    const remove = target.remove as MetricMethod;
    target.remove = (...args: unknown[]) => {
      // A copy of our own, so that tagging it never touches an object the caller holds.
      const labelObject: TaggedLabels = isLabelObject(args[0])
        ? { ...args[0] }
        : positionalLabels(target.labelNames, args);
      state.keys.delete(keyOf(target.labelNames, labelObject));
      state.epoch++;
      return remove.apply(metric, args);
    };

    const reset = target.reset as MetricMethod;
    target.reset = (...args: unknown[]) => {
      state.keys.clear();
      state.epoch++;
      return reset.apply(metric, args);
    };
  }

  /** @internal Also used by {@link admitLabelSet}. */
  admit(metric: GuardableMetric, state: GuardState, labels: Record<string, unknown>): boolean {
    const key = keyOf(metric.labelNames, labels);
    if (state.keys.has(key)) return true;
    if (state.keys.size < this.limit) {
      state.keys.add(key);
      return true;
    }
    this.dropped(metric.name);
    return false;
  }

  /** Counts one dropped observation of `metricName`; warns the first time for each metric. */
  dropped(metricName: string): void {
    this.droppedTotal.inc({ metric: metricName });
    if (this.warned.has(metricName)) return;
    this.warned.add(metricName);
    this.logger.warn(
      `Metric "${metricName}" reached ${this.limit} label sets (maxSeriesPerMetric); observations ` +
        'for new label sets are dropped and counted in metrics_series_dropped_total.',
    );
  }
}

/**
 * Admits a label set under `metric`'s cap, for series that record without going through the metric's
 * own methods (the buffered series of the hot path). True when admitted or when the metric is not
 * capped; false when refused, the refused observation already counted as dropped.
 */
export function admitLabelSet(metric: object, labels: Record<string, unknown>): boolean {
  const state = guardedMetrics.get(metric);
  return state ? state.guard.admit(metric as GuardableMetric, state, labels) : true;
}

function isLabelObject(value: unknown): value is TaggedLabels {
  return value !== null && typeof value === 'object';
}

function positionalLabels(
  labelNames: readonly string[],
  values: unknown[],
): Record<string, unknown> {
  const labels: Record<string, unknown> = {};
  labelNames.forEach((name, index) => {
    if (index < values.length) labels[name] = values[index];
  });
  return labels;
}

function keyOf(labelNames: readonly string[], labels: Record<string, unknown>): string {
  let key = '';
  for (const name of labelNames) key += `${String(labels[name] ?? '')}\u0000`;
  return key;
}
