import type { Counter, Histogram, LabelValues } from 'prom-client';
import {
  counterSeries,
  histogramSeries,
  type CounterSeries,
  type HistogramSeries,
} from './buffered-series.js';

/** The success and error counts and the duration of one operation, as db, external and GraphQL calls record them. */
export interface OutcomeSeries {
  readonly succeeded: CounterSeries;
  readonly failed: CounterSeries;
  readonly duration: HistogramSeries;
}

export function outcomeSeries<L extends string>(
  counter: Counter<L | 'status'>,
  histogram: Histogram<L>,
  labels: Record<L, string>,
): OutcomeSeries {
  return {
    succeeded: counterSeries(counter, { ...labels, status: 'success' } as LabelValues<
      L | 'status'
    >),
    failed: counterSeries(counter, { ...labels, status: 'error' } as LabelValues<L | 'status'>),
    duration: histogramSeries(histogram, labels as LabelValues<L>),
  };
}
