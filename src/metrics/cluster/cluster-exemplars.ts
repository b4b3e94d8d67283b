import type { Registry } from 'prom-client';
import type { MetricSnapshot } from './cluster-protocol.js';

/** An exemplar as a worker's `getMetricsAsJSON()` carries it across IPC. */
interface SnapshotExemplar {
  labelSet: Record<string, string | number>;
  value: number;
  timestamp: number;
}

type ValueWithExemplar = MetricSnapshot['values'][number] & {
  metricName?: string;
  exemplar?: SnapshotExemplar | null;
};

/**
 * Gives each aggregated series the newest exemplar any worker reported for it.
 *
 * prom-client's aggregation builds new values from the workers' and leaves their exemplars behind, so
 * without this the primary's OpenMetrics output would link no observation to its trace. A summed
 * series stands for every worker's observations; the most recent exemplar among them is what a
 * single process would show for the same observations, since each series keeps only its last one.
 * Only counters and histograms carry exemplars, and their labels are the same in every worker, so a
 * series is found by its sample name and labels.
 */
export function carryNewestExemplars(
  aggregated: Registry,
  snapshots: readonly (readonly MetricSnapshot[])[],
): void {
  const newest = new Map<string, SnapshotExemplar>();
  for (const metrics of snapshots) {
    for (const metric of metrics) {
      for (const value of metric.values as ValueWithExemplar[]) {
        const exemplar = value.exemplar;
        if (!isExemplar(exemplar)) continue;
        const key = seriesKey(metric.name, value);
        const known = newest.get(key);
        if (!known || exemplar.timestamp > known.timestamp) newest.set(key, exemplar);
      }
    }
  }
  if (newest.size === 0) return;
  for (const metric of aggregated.getMetricsAsArray()) {
    // The aggregated registry's metrics are plain objects whose `get()` returns one stored result,
    // so its values can be given their exemplars in place.
    const { name, values } = (metric as unknown as { get(): MetricSnapshot }).get();
    for (const value of values as ValueWithExemplar[]) {
      const exemplar = newest.get(seriesKey(name, value));
      if (exemplar) value.exemplar = exemplar;
    }
  }
}

function seriesKey(metricName: string, value: ValueWithExemplar): string {
  const labels = Object.entries(value.labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, labelValue]) => `${label}=${String(labelValue)}`)
    .join('\u0000');
  return `${value.metricName ?? metricName}\u0001${labels}`;
}

/** What arrives over IPC is data, so its shape is checked before it is written out. */
function isExemplar(candidate: unknown): candidate is SnapshotExemplar {
  if (candidate === null || typeof candidate !== 'object') return false;
  const { labelSet, value, timestamp } = candidate as Partial<SnapshotExemplar>;
  return (
    labelSet !== null &&
    typeof labelSet === 'object' &&
    Object.keys(labelSet).length > 0 &&
    typeof value === 'number' &&
    typeof timestamp === 'number'
  );
}
