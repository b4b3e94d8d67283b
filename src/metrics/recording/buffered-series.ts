import {
  Counter,
  Histogram,
  type CounterConfiguration,
  type HistogramConfiguration,
  type LabelValues,
} from 'prom-client';
import { performance } from 'node:perf_hooks';
import type { ExemplarLabels } from '../exemplars/trace-exemplars.js';
import { admitLabelSet } from './cardinality-guard.js';

/** One counter series, as hot paths see it. */
export interface CounterSeries {
  /** @param exemplar shown with the series in OpenMetrics until a later one replaces it. */
  inc(exemplar?: ExemplarLabels): void;
}

/** One histogram series, as hot paths see it. */
export interface HistogramSeries {
  /**
   * @param exemplar shown with the value's bucket in OpenMetrics until a later one replaces it.
   * @throws TypeError when the value is not a finite number, as prom-client does.
   */
  observe(value: number, exemplar?: ExemplarLabels): void;
}

/**
 * A prom-client child re-hashes and re-validates its labels on every call and allocates while doing
 * it, which costs about a microsecond. The series here only add to plain numbers; the metric's
 * `collect` hook, which prom-client runs before every read (`get()`, a scrape, the JSON summary),
 * folds what they gathered into the metric. Readers therefore always see every recorded value. One
 * difference from plain children: values recorded since the last read when `reset()` runs are not
 * dropped with the rest but show up after the reset; the library itself never resets its metrics.
 *
 * Exemplars travel the same way: a series keeps the last one given (per bucket, for a histogram) and
 * the fold writes it where prom-client's OpenMetrics output reads it. A fold writes only exemplars that
 * arrived since the last one, so observations without an exemplar (no sampled span) never wipe one
 * that is already shown, which a prom-client 15 metric with `enableExemplars` does. The metrics need
 * no `enableExemplars` (which would tie them to an OpenMetrics-only registry): the classic text format
 * ignores exemplars, and a series that never got one renders exactly as before.
 */
const buffers = new WeakMap<object, SeriesBuffer>();

interface SeriesBuffer {
  flush(): void;
}

/**
 * A Counter whose series from {@link counterSeries} count in place.
 * @example `const requests = bufferedCounter({ name: 'requests_total', help: '…', labelNames: ['route'] });`
 */
export function bufferedCounter<T extends string>(config: CounterConfiguration<T>): Counter<T> {
  const buffer = new CounterBuffer<T>();
  const counter = new Counter<T>({ ...config, collect: () => buffer.flush() });
  buffer.counter = counter;
  buffers.set(counter, buffer);
  return counter;
}

/**
 * A Histogram whose series from {@link histogramSeries} count in place. `buckets` is required, since
 * the series bucket values themselves.
 */
export function bufferedHistogram<T extends string>(
  config: HistogramConfiguration<T> & { buckets: number[] },
): Histogram<T> {
  const buffer = new HistogramBuffer<T>(config.buckets);
  const histogram = new Histogram<T>({ ...config, collect: () => buffer.flush() });
  buffer.histogram = histogram;
  buffers.set(histogram, buffer);
  return histogram;
}

/** A fast series of a counter made by {@link bufferedCounter}; a plain prom-client child otherwise. */
export function counterSeries<T extends string>(
  counter: Counter<T>,
  labels: LabelValues<T>,
): CounterSeries {
  const buffer = buffers.get(counter);
  if (!(buffer instanceof CounterBuffer)) {
    // A plain child takes an amount as its argument; it must not get the exemplar as one.
    const child = counter.labels(labels);
    return { inc: () => child.inc() };
  }
  // A buffered series bypasses the metric's methods, so it asks the series cap itself, on first use
  // (as a capped prom-client child does): a label set that never records never takes a place.
  let series: BufferedCounterSeries | undefined;
  return {
    inc(exemplar?: ExemplarLabels) {
      if (series === undefined) {
        if (!admitLabelSet(counter, labels)) return;
        series = buffer.series(labels);
      }
      series.pending++;
      if (exemplar !== undefined) series.exemplar = pendingExemplar(exemplar, 1);
    },
  };
}

/** A fast series of a histogram made by {@link bufferedHistogram}; a plain prom-client child otherwise. */
export function histogramSeries<T extends string>(
  histogram: Histogram<T>,
  labels: LabelValues<T>,
): HistogramSeries {
  const buffer = buffers.get(histogram);
  if (!(buffer instanceof HistogramBuffer && buffer.supported)) return histogram.labels(labels);
  let series: BufferedHistogramSeries | undefined;
  return {
    observe(value: number, exemplar?: ExemplarLabels) {
      if (series === undefined) {
        if (!Number.isFinite(value))
          throw new TypeError(`Value is not a valid number: ${String(value)}`);
        if (!admitLabelSet(histogram, labels)) return;
        series = buffer.series(labels);
      }
      series.observe(value, exemplar);
    },
  };
}

/** An exemplar as prom-client's OpenMetrics output reads it: labels, value, time in seconds. */
interface PendingExemplar {
  labelSet: ExemplarLabels;
  value: number;
  timestamp: number;
}

/**
 * The time is wall-clock seconds below the millisecond: in cluster mode the primary shows, per
 * series, the exemplar with the latest time of any worker, and two requests answered by two workers
 * within one millisecond would tie at `Date.now()`'s resolution.
 */
function pendingExemplar(labelSet: ExemplarLabels, value: number): PendingExemplar {
  return { labelSet, value, timestamp: (performance.timeOrigin + performance.now()) / 1000 };
}

class BufferedCounterSeries {
  pending = 0;
  /** The last exemplar given since the last fold. */
  exemplar?: PendingExemplar;
  /** Where the folded values live in the counter, once found. */
  key?: string;
  entry?: CounterEntry;

  constructor(
    readonly target: Counter.Internal,
    readonly labels: Record<string, string | number>,
  ) {}
}

class CounterBuffer<T extends string> implements SeriesBuffer {
  counter!: Counter<T>;
  private readonly all: BufferedCounterSeries[] = [];
  private readonly byKey = new Map<string, BufferedCounterSeries>();

  /** One series per label set, however often it is asked for, so the buffer cannot outgrow the metric. */
  series(labels: LabelValues<T>): BufferedCounterSeries {
    const key = labelKey(labels);
    let series = this.byKey.get(key);
    if (!series) {
      series = new BufferedCounterSeries(this.counter.labels(labels), {
        ...labels,
      } as Record<string, string | number>);
      this.byKey.set(key, series);
      this.all.push(series);
    }
    return series;
  }

  flush(): void {
    for (const series of this.all) {
      if (series.pending === 0) continue;
      const pending = series.pending;
      series.pending = 0;
      series.target.inc(pending);
      if (series.exemplar !== undefined) this.foldExemplar(series, series.exemplar);
    }
  }

  /** Skipped, never guessed, when prom-client keeps its series differently than checked here. */
  private foldExemplar(series: BufferedCounterSeries, exemplar: PendingExemplar): void {
    series.exemplar = undefined;
    const hashMap = (this.counter as unknown as Partial<CounterInternals>).hashMap;
    if (hashMap === undefined || typeof hashMap !== 'object') return;
    if (series.key === undefined || hashMap[series.key] !== series.entry) {
      series.key = findKey(hashMap, series.labels);
      series.entry = series.key === undefined ? undefined : hashMap[series.key];
    }
    if (series.entry !== undefined && typeof series.entry.value === 'number') {
      series.entry.exemplar = exemplar;
    }
  }
}

/** What prom-client 15 keeps per counter series. */
interface CounterEntry {
  labels: object;
  value: number;
  exemplar?: PendingExemplar;
}

interface CounterInternals {
  hashMap: Record<string, CounterEntry>;
}

/** What prom-client 15 keeps per histogram series; checked once before it is relied on. */
interface HistogramEntry {
  labels: object;
  bucketValues: Record<string, number>;
  /** Read by prom-client's OpenMetrics output; the top bucket's key is `-1`. */
  bucketExemplars?: Record<string, PendingExemplar | null | undefined>;
  sum: number;
  count: number;
}

interface HistogramInternals {
  hashMap: Record<string, HistogramEntry>;
}

class BufferedHistogramSeries implements HistogramSeries {
  /** Non-cumulative counts per bucket; values above the top bound only add to `count`. */
  readonly bucketCounts: Float64Array;
  sum = 0;
  count = 0;
  /** The last exemplar per bucket since the last fold, the top (+Inf) one last; made on first use. */
  exemplars?: Array<PendingExemplar | undefined>;
  /** Where the folded values live in the histogram, once found. */
  key?: string;
  entry?: HistogramEntry;

  constructor(
    readonly labels: Record<string, string | number>,
    private readonly upperBounds: readonly number[],
  ) {
    this.bucketCounts = new Float64Array(upperBounds.length);
  }

  observe(value: number, exemplar?: ExemplarLabels): void {
    if (!Number.isFinite(value))
      throw new TypeError(`Value is not a valid number: ${String(value)}`);
    const bounds = this.upperBounds;
    for (let index = 0; index < bounds.length; index++) {
      if (value <= bounds[index]) {
        this.bucketCounts[index]++;
        break;
      }
    }
    this.sum += value;
    this.count++;
    if (exemplar !== undefined) this.keepExemplar(value, exemplar);
  }

  private keepExemplar(value: number, exemplar: ExemplarLabels): void {
    const bounds = this.upperBounds;
    let index = 0;
    while (index < bounds.length && value > bounds[index]) index++;
    this.exemplars ??= new Array<PendingExemplar | undefined>(bounds.length + 1);
    this.exemplars[index] = pendingExemplar(exemplar, value);
  }
}

class HistogramBuffer<T extends string> implements SeriesBuffer {
  histogram!: Histogram<T>;
  readonly supported: boolean;
  private readonly all: BufferedHistogramSeries[] = [];
  private readonly byKey = new Map<string, BufferedHistogramSeries>();

  constructor(private readonly upperBounds: readonly number[]) {
    this.supported = storesEntriesAsExpected(upperBounds);
  }

  series(labels: LabelValues<T>): BufferedHistogramSeries {
    const key = labelKey(labels);
    const existing = this.byKey.get(key);
    if (existing) return existing;
    // The child checks the label names now, so a wrong one throws where it is recorded, not at scrape time.
    this.histogram.labels(labels);
    const copy = { ...labels } as Record<string, string | number>;
    const series = new BufferedHistogramSeries(copy, this.upperBounds);
    this.byKey.set(key, series);
    this.all.push(series);
    return series;
  }

  flush(): void {
    const hashMap = (this.histogram as unknown as HistogramInternals).hashMap;
    for (const series of this.all) {
      if (series.count === 0) continue;
      const entry = this.entryOf(series, hashMap);
      for (let index = 0; index < this.upperBounds.length; index++) {
        entry.bucketValues[this.upperBounds[index]] += series.bucketCounts[index];
      }
      entry.sum += series.sum;
      entry.count += series.count;
      series.bucketCounts.fill(0);
      series.sum = 0;
      series.count = 0;
      if (series.exemplars !== undefined) this.foldExemplars(series.exemplars, entry);
    }
  }

  /** Writes only the buckets that got an exemplar, so the others keep theirs. */
  private foldExemplars(
    exemplars: Array<PendingExemplar | undefined>,
    entry: HistogramEntry,
  ): void {
    const bounds = this.upperBounds;
    entry.bucketExemplars ??= {};
    for (let index = 0; index < exemplars.length; index++) {
      const exemplar = exemplars[index];
      if (exemplar === undefined) continue;
      entry.bucketExemplars[index < bounds.length ? bounds[index] : -1] = exemplar;
      exemplars[index] = undefined;
    }
  }

  /**
   * The series' entry in the histogram: the one found before unless `reset()` or `remove()` dropped it
   * since, else one with the same labels (the app may observe them through the histogram too), else a
   * new one made by `zero()`. Only a new series or a reset takes this past the first comparison.
   */
  private entryOf(
    series: BufferedHistogramSeries,
    hashMap: Record<string, HistogramEntry>,
  ): HistogramEntry {
    if (series.key !== undefined && hashMap[series.key] === series.entry) return series.entry!;
    let key = findKey(hashMap, series.labels);
    if (key === undefined) {
      this.histogram.zero(series.labels as LabelValues<T>);
      key = findKey(hashMap, series.labels);
    }
    series.key = key!;
    series.entry = hashMap[key!];
    return series.entry;
  }
}

function labelKey(labels: object): string {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${String(value)}`)
    .join('\u0000');
}

function findKey(
  hashMap: Record<string, { labels: object }>,
  labels: Record<string, string | number>,
) {
  const names = Object.keys(labels);
  for (const key in hashMap) {
    const stored = hashMap[key].labels as Record<string, unknown>;
    if (Object.keys(stored).length !== names.length) continue;
    if (names.every((name) => String(stored[name]) === String(labels[name]))) return key;
  }
  return undefined;
}

/**
 * Folding writes into prom-client's per-series record. Checking its shape on a private histogram first
 * means a prom-client that stores series differently falls back to plain children instead of
 * corrupting counts.
 */
function storesEntriesAsExpected(upperBounds: readonly number[]): boolean {
  try {
    const probe = new Histogram({
      name: 'shape_probe',
      help: 'probe',
      labelNames: ['probe'],
      buckets: [...upperBounds],
      registers: [],
    });
    probe.zero({ probe: 'x' });
    const hashMap = (probe as unknown as Partial<HistogramInternals>).hashMap;
    const entries = hashMap && typeof hashMap === 'object' ? Object.values(hashMap) : [];
    const entry = entries[0];
    return (
      entries.length === 1 &&
      typeof entry.sum === 'number' &&
      typeof entry.count === 'number' &&
      upperBounds.every((bound) => entry.bucketValues?.[bound] === 0)
    );
  } catch {
    return false;
  }
}
