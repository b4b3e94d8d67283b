/** The `graphql` section of `/metrics/custom`, present only when the app measures GraphQL operations. */
import type { MetricValue, MetricValueWithName } from 'prom-client';
import { GRAPHQL_METRIC_NAMES } from './graphql-metrics.js';

type Sample = MetricValue<string> | MetricValueWithName<string>;

/** Traffic and errors of one GraphQL operation. */
export interface GraphqlOperationSummary {
  operation_type: string;
  operation_name: string;
  count: number;
  errors: number;
  /** Mean duration in seconds; null before the first operation. */
  avg_duration_seconds: number | null;
}

export interface GraphqlSummary {
  operations_total: number;
  errors_total: number;
  /** Share of operations whose response carried errors; null before the first operation. */
  error_rate: number | null;
  /** The ten operations with the most requests, busiest first. */
  busiest_operations: GraphqlOperationSummary[];
  /** Exceptions resolvers threw, by exception class. */
  exceptions: Record<string, number>;
}

const BUSIEST_OPERATIONS = 10;

/** Undefined when the snapshot holds no GraphQL metrics: the app does not use GraphQLModule. */
export function summarizeGraphql(
  byName: ReadonlyMap<string, Sample[]>,
  prefix: string,
): GraphqlSummary | undefined {
  const operations = byName.get(`${prefix}${GRAPHQL_METRIC_NAMES.operationsTotal}`);
  if (operations === undefined) return undefined;
  const durationName = `${prefix}${GRAPHQL_METRIC_NAMES.operationDuration}`;
  const durationSums = new Map<string, number>();
  for (const sample of byName.get(durationName) ?? []) {
    if ((sample as MetricValueWithName<string>).metricName !== `${durationName}_sum`) continue;
    durationSums.set(keyOf(sample), sample.value);
  }

  const byOperation = new Map<string, GraphqlOperationSummary>();
  let total = 0;
  let errors = 0;
  for (const sample of operations) {
    const key = keyOf(sample);
    const entry = byOperation.get(key) ?? {
      operation_type: String(sample.labels.operation_type),
      operation_name: String(sample.labels.operation_name),
      count: 0,
      errors: 0,
      avg_duration_seconds: null,
    };
    entry.count += sample.value;
    total += sample.value;
    if (sample.labels.status === 'error') {
      entry.errors += sample.value;
      errors += sample.value;
    }
    byOperation.set(key, entry);
  }
  for (const [key, entry] of byOperation) {
    const seconds = durationSums.get(key);
    entry.avg_duration_seconds =
      seconds !== undefined && entry.count > 0 ? seconds / entry.count : null;
  }

  const exceptions: Record<string, number> = {};
  for (const sample of byName.get(`${prefix}${GRAPHQL_METRIC_NAMES.exceptionsTotal}`) ?? []) {
    const type = String(sample.labels.exception_type);
    exceptions[type] = (exceptions[type] ?? 0) + sample.value;
  }

  return {
    operations_total: total,
    errors_total: errors,
    error_rate: total > 0 ? errors / total : null,
    busiest_operations: [...byOperation.values()]
      .sort(
        (a, b) =>
          b.count - a.count ||
          a.operation_type.localeCompare(b.operation_type) ||
          a.operation_name.localeCompare(b.operation_name),
      )
      .slice(0, BUSIEST_OPERATIONS),
    exceptions,
  };
}

function keyOf(sample: Sample): string {
  return `${String(sample.labels.operation_type)}\u0000${String(sample.labels.operation_name)}`;
}
