/**
 * Records GraphQL operations: from Apollo Server's request lifecycle, as a plugin of that server, and
 * from the graphql-ws hooks (graphql-ws-hooks.ts) for operations sent over WebSocket.
 */
import { performance } from 'node:perf_hooks';
import { exceptionTypeOf } from '../http/request-state.js';
import type { CounterSeries, HistogramSeries } from '../../recording/buffered-series.js';
import { counterSeries, histogramSeries } from '../../recording/buffered-series.js';
import type { InstrumentationErrors } from '../../recording/instrumentation-errors.js';
import { cutLabelValue } from '../../recording/label-value-cap.js';
import { outcomeSeries, type OutcomeSeries } from '../../recording/outcome-series.js';
import { SeriesCache } from '../../recording/series-cache.js';
import {
  ANONYMOUS_OPERATION,
  INVALID_OPERATION,
  type GraphqlMetricSet,
} from './graphql-metrics.js';

/**
 * Operation names longer than this are cut to it, marked with a trailing `…`: GraphQL names carry no
 * length limit of their own, and a label is no place for a client's megabyte.
 */
export const MAX_OPERATION_NAME_LENGTH = 128;

/** The parts of graphql-js's AST and Apollo's request context the recorder reads. */
interface OperationNode {
  readonly kind?: string;
  readonly operation?: string;
  readonly name?: { readonly value?: string };
}

interface RequestContext {
  readonly request?: { readonly operationName?: string | null };
  readonly document?: { readonly definitions?: readonly OperationNode[] };
  readonly operation?: OperationNode;
  readonly errors?: readonly unknown[];
  readonly response?: {
    readonly body?: {
      readonly kind?: string;
      readonly singleResult?: { readonly errors?: readonly unknown[] };
      readonly initialResult?: { readonly errors?: readonly unknown[] };
    };
  };
}

export interface FieldResolverParams {
  readonly info?: { readonly fieldName?: string; readonly parentType?: { readonly name?: string } };
}

/**
 * An Apollo Server plugin, typed structurally so that this file loads without @apollo/server. Its
 * hooks return plain values: Apollo awaits every hook's result, and a value needs no promise of ours.
 */
export interface ApolloMetricsPlugin {
  requestDidStart(): object;
}

/**
 * The listener of one operation: its start time and the recorder, with the hook on the prototype, so
 * that an operation allocates this one small object and no closure.
 */
class OperationListener {
  constructor(
    private readonly recorder: GraphqlOperationRecorder,
    private readonly startedAt: number,
  ) {}

  willSendResponse(context: RequestContext): void {
    this.recorder.record(context, (performance.now() - this.startedAt) / 1000);
  }
}

/** The same, when resolvers are timed. */
class TimingOperationListener extends OperationListener {
  constructor(
    recorder: GraphqlOperationRecorder,
    startedAt: number,
    private readonly executionListener: object,
  ) {
    super(recorder, startedAt);
  }

  executionDidStart(): object {
    return this.executionListener;
  }
}

/**
 * Turns each GraphQL operation Apollo Server answers into `graphql_operations_total`,
 * `graphql_operation_duration_seconds` and `graphql_exceptions_total`, and, when enabled, times the
 * resolvers the app declares in `graphql_resolver_duration_seconds`.
 */
export class GraphqlOperationRecorder {
  /** Series by operation type, then name: two lookups, no key to build. At most `capacity` in all. */
  private readonly operations = new Map<string, Map<string, OutcomeSeries>>();
  private keptOperations = 0;
  /**
   * The series of each operation node Apollo resolved. Apollo's document cache hands the same parsed
   * document, and so the same node, to every request with the same text: one lookup by identity.
   * Entries go with the documents Apollo evicts.
   */
  private readonly byOperationNode = new WeakMap<OperationNode, OutcomeSeries>();
  private readonly exceptions: SeriesCache<CounterSeries>;
  private readonly resolvers?: SeriesCache<HistogramSeries>;
  /** Field names with a resolver of the app's own, by parent type. */
  private declaredResolvers = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly metrics: GraphqlMetricSet,
    private readonly capacity: number,
    private readonly errors: InstrumentationErrors,
  ) {
    this.exceptions = new SeriesCache(
      ([exception_type, operation_type, operation_name]) =>
        counterSeries(metrics.exceptionsTotal, { exception_type, operation_type, operation_name }),
      capacity,
    );
    const resolverDuration = metrics.resolverDuration;
    if (resolverDuration) {
      this.resolvers = new SeriesCache(
        ([parent_type, field]) => histogramSeries(resolverDuration, { parent_type, field }),
        capacity,
      );
    }
  }

  /**
   * Notes which fields have a resolver the app declared, from the resolver map Nest builds from its
   * `@Resolver` classes (plus the `resolvers` option); either may be a map or a list of maps. The
   * schema cannot tell: Nest gives every code-first field a resolver that reads the property, and
   * Apollo later wraps them all.
   */
  useResolvers(...resolverMaps: unknown[]): void {
    const declared = new Map<string, Set<string>>();
    for (const resolverMap of resolverMaps.flat(2)) {
      if (!isPlainObject(resolverMap)) continue;
      for (const [typeName, fields] of Object.entries(resolverMap)) {
        // Scalars are class instances, not field maps.
        if (!isPlainObject(fields)) continue;
        const names = declared.get(typeName) ?? new Set<string>();
        for (const fieldName of Object.keys(fields)) {
          if (!fieldName.startsWith('__')) names.add(fieldName);
        }
        if (names.size > 0) declared.set(typeName, names);
      }
    }
    this.declaredResolvers = declared;
  }

  /** The plugin to hand to Apollo Server; one listener object per operation. */
  plugin(): ApolloMetricsPlugin {
    if (this.resolvers === undefined) {
      return { requestDidStart: () => new OperationListener(this, performance.now()) };
    }
    const executionListener = { willResolveField: this.willResolveField };
    return {
      requestDidStart: () =>
        new TimingOperationListener(this, performance.now(), executionListener),
    };
  }

  /** @internal Called by each operation's listener once Apollo has the response. */
  record(context: RequestContext, seconds: number): void {
    try {
      const node = context.operation;
      const series =
        (node !== undefined ? this.byOperationNode.get(node) : undefined) ??
        this.operationSeries(context);
      (carriesErrors(context) ? series.failed : series.succeeded).inc();
      series.duration.observe(seconds);
      if (context.errors !== undefined && context.errors.length > 0) {
        this.countExceptions(context, context.errors);
      }
    } catch (error) {
      this.errors.report('the GraphQL operation hook', error);
    }
  }

  /**
   * The series of the operation's labels, made on first use. Past `capacity` operations a series is
   * made again on each call and kept nowhere, and the series cap behind it decides whether it records.
   */
  private operationSeries(context: RequestContext): OutcomeSeries {
    const [operationType, operationName] = operationLabels(context);
    let byName = this.operations.get(operationType);
    let series = byName?.get(operationName);
    if (series === undefined) {
      series = outcomeSeries(this.metrics.operationsTotal, this.metrics.operationDuration, {
        operation_type: operationType,
        operation_name: operationName,
      });
      if (this.keptOperations >= this.capacity) return series;
      if (byName === undefined) this.operations.set(operationType, (byName = new Map()));
      byName.set(operationName, series);
      this.keptOperations++;
    }
    if (context.operation !== undefined) this.byOperationNode.set(context.operation, series);
    return series;
  }

  private countExceptions(context: RequestContext, errors: readonly unknown[]): void {
    let labels: [type: string, name: string] | undefined;
    for (const error of errors) {
      const thrown = thrownByResolver(error);
      if (thrown === undefined) continue;
      labels ??= operationLabels(context);
      this.exceptions.get(exceptionTypeOf(thrown), labels[0], labels[1]).inc();
    }
  }

  /** True when the app declared a resolver of its own for `field` of `parentType`. */
  declaresResolver(parentType: string, field: string): boolean {
    return this.declaredResolvers.get(parentType)?.has(field) ?? false;
  }

  /**
   * Starts timing one call of a resolver; returns what to call once its value has resolved, or
   * `undefined` when the field's resolver is not one the app declared. An Apollo plugin hook, and the
   * timer of the resolvers wrapped for Mercurius.
   * @internal
   */
  readonly willResolveField = ({ info }: FieldResolverParams) => {
    const parentType = info?.parentType?.name;
    const field = info?.fieldName;
    if (parentType === undefined || field === undefined) return undefined;
    if (!this.declaredResolvers.get(parentType)?.has(field)) return undefined;
    const startedAt = performance.now();
    return () => {
      try {
        this.resolvers?.get(parentType, field).observe((performance.now() - startedAt) / 1000);
      } catch (error) {
        this.errors.report('the GraphQL resolver hook', error);
      }
    };
  };
}

/**
 * The operation Apollo resolved; failing that (validation failed first), the one the document and the
 * requested name select, as graphql-js's `getOperationAST` would; `<invalid>` when there is none.
 */
export function operationLabels(context: RequestContext): [type: string, name: string] {
  const operation = context.operation ?? selectOperation(context);
  const type = operation?.operation;
  if (operation === undefined || type === undefined) return [INVALID_OPERATION, INVALID_OPERATION];
  const name = operation.name?.value;
  if (!name) return [type, ANONYMOUS_OPERATION];
  return [type, cutLabelValue(name, MAX_OPERATION_NAME_LENGTH)];
}

function selectOperation(context: RequestContext): OperationNode | undefined {
  const requested = context.request?.operationName ?? undefined;
  const operations = (context.document?.definitions ?? []).filter(
    (definition) => definition.kind === 'OperationDefinition',
  );
  if (!requested) return operations.length === 1 ? operations[0] : undefined;
  return operations.find((operation) => operation.name?.value === requested);
}

function carriesErrors(context: RequestContext): boolean {
  if ((context.errors?.length ?? 0) > 0) return true;
  const body = context.response?.body;
  const result = body?.kind === 'single' ? body.singleResult : body?.initialResult;
  return (result?.errors?.length ?? 0) > 0;
}

/**
 * What a resolver threw, unwrapped from the GraphQLErrors that carry it. Only execution errors have a
 * `path` (the field whose resolver threw); syntax, validation and variable errors have none.
 */
function thrownByResolver(error: unknown): unknown {
  const located = error as { originalError?: unknown; path?: unknown } | null;
  if (located?.path === undefined) return undefined;
  let cause = located.originalError;
  while (isGraphqlError(cause) && cause.originalError !== undefined) cause = cause.originalError;
  return cause;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isGraphqlError(value: unknown): value is { originalError?: unknown } {
  return (
    value instanceof Error && value.constructor?.name === 'GraphQLError' && 'originalError' in value
  );
}
