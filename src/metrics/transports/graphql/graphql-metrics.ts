/** The GraphQL metric family, registered only in apps that use GraphQLModule. */
import type { Counter, Histogram, Registry } from 'prom-client';
import { bufferedCounter, bufferedHistogram } from '../../recording/buffered-series.js';

/** The GraphQL metrics, by their unprefixed names. */
export const GRAPHQL_METRIC_NAMES = {
  operationsTotal: 'graphql_operations_total',
  operationDuration: 'graphql_operation_duration_seconds',
  exceptionsTotal: 'graphql_exceptions_total',
  resolverDuration: 'graphql_resolver_duration_seconds',
} as const;

/** Operation type and name label of a document that does not parse or names no operation it holds. */
export const INVALID_OPERATION = '<invalid>';

/** Operation name label of an operation without a name. */
export const ANONYMOUS_OPERATION = '<anonymous>';

export type OperationLabels = 'operation_type' | 'operation_name';

export interface GraphqlMetricSet {
  readonly operationsTotal: Counter<OperationLabels | 'status'>;
  readonly operationDuration: Histogram<OperationLabels>;
  readonly exceptionsTotal: Counter<'exception_type' | OperationLabels>;
  /** Only with the `graphqlResolverDuration` option. */
  readonly resolverDuration?: Histogram<'parent_type' | 'field'>;
}

export function createGraphqlMetricSet(
  registry: Registry,
  prefix: string,
  durationBuckets: number[],
  resolverDuration: boolean,
): GraphqlMetricSet {
  const registers = [registry];
  const name = (key: keyof typeof GRAPHQL_METRIC_NAMES) => `${prefix}${GRAPHQL_METRIC_NAMES[key]}`;
  return {
    operationsTotal: bufferedCounter({
      name: name('operationsTotal'),
      help: 'GraphQL operations by type, name and outcome; error means the response carried errors.',
      labelNames: ['operation_type', 'operation_name', 'status'],
      registers,
    }),
    operationDuration: bufferedHistogram({
      name: name('operationDuration'),
      help: 'Time from the start of a GraphQL operation to its response, in seconds.',
      labelNames: ['operation_type', 'operation_name'],
      buckets: durationBuckets,
      registers,
    }),
    exceptionsTotal: bufferedCounter({
      name: name('exceptionsTotal'),
      help: 'Exceptions thrown by GraphQL resolvers, by exception class and operation.',
      labelNames: ['exception_type', 'operation_type', 'operation_name'],
      registers,
    }),
    resolverDuration: resolverDuration
      ? bufferedHistogram({
          name: name('resolverDuration'),
          help: 'Duration of the resolvers the app declares, by parent type and field, in seconds.',
          labelNames: ['parent_type', 'field'],
          buckets: durationBuckets,
          registers,
        })
      : undefined,
  };
}
