/**
 * Measures the operations Mercurius serves over HTTP, each operation of a batched request apart, from
 * the hooks and the error formatter GraphQLModule hands to Mercurius; the recording itself is the
 * operation recorder's, the same as for Apollo.
 */
import { performance } from 'node:perf_hooks';
import type { InstrumentationErrors } from '../../recording/instrumentation-errors.js';
import type {
  FieldResolverParams,
  GraphqlOperationRecorder,
} from './graphql-operation-recorder.js';

type Hook = (...args: never[]) => unknown;

/** Mercurius' `errorFormatter`: the execution result with its errors, and the operation's context. */
export type MercuriusErrorFormatter = (
  execution: { errors?: readonly unknown[] },
  context: never,
) => unknown;

/** The Mercurius options of GraphQLModule, typed structurally: only what is read or extended here. */
export interface MercuriusOptions {
  hooks?: { [hook: string]: Hook | Hook[] | undefined };
  errorFormatter?: MercuriusErrorFormatter;
  schemaTransforms?: SchemaTransform | SchemaTransform[];
  [option: string]: unknown;
}

type ParsedDocument = { readonly definitions?: readonly object[] };

/** The parts of graphql-js's GraphQLSchema read here. */
interface Schema {
  getTypeMap(): { [name: string]: { readonly name: string; getFields?: () => object } };
  getSubscriptionType(): unknown;
}

type Resolve = (this: unknown, ...args: unknown[]) => unknown;

type SchemaTransform = (schema: Schema) => Schema;

/**
 * The context Mercurius gives each operation. In a batched request each operation has one of its own,
 * with its index in the batch as `operationId`; all share the request's `reply`.
 */
interface OperationContext {
  readonly reply?: {
    readonly request?: { readonly body?: unknown; readonly query?: unknown };
    readonly raw?: Response;
  };
  readonly operationId?: number;
}

/** The Node response under the reply. */
interface Response {
  once(event: 'close', listener: () => void): unknown;
  readonly writableFinished?: boolean;
}

/** One operation, from Mercurius' `preParsing` to its end. */
interface Pending {
  readonly startedAt: number;
  readonly source: string;
  /** Set once Mercurius is about to execute it. */
  document?: ParsedDocument;
  /** The errors as resolvers threw them, seen by the error formatter before it serialises them. */
  errors?: readonly unknown[];
}

/**
 * Stands for the error of an operation that ended without a result, when nothing else says what
 * failed; it has no `path`, so it is never counted as an exception.
 */
const ENDED_WITHOUT_RESULT: readonly unknown[] = [
  new Error('the operation ended without a result'),
];

/**
 * Adds the hooks that count each operation once to `options` (a copy GraphQLModule made: the app's own
 * options are untouched), ahead of the app's own `preParsing` hooks and after its other ones, and wraps
 * the error formatter (the app's, or Mercurius' default) to see what resolvers threw:
 * - an operation that resolves (with or without errors) is counted in `onResolution`;
 * - one that fails before it runs (a syntax or validation error, a mutation over GET) gets no
 *   `onResolution`; it is counted when its response closes, `error`, labelled from its document read
 *   again on this path only (`<invalid>` when it does not parse). So is one whose client left before
 *   it ran; one whose client left while it ran is counted when it resolves, as on Apollo.
 * Operations that do not come with an HTTP reply (`app.graphql()` called by the app itself, operations
 * over WebSocket) are not measured.
 */
export function measureMercurius(
  options: MercuriusOptions,
  recorder: GraphqlOperationRecorder,
  parse: (source: string) => ParsedDocument,
  defaultErrorFormatter: MercuriusErrorFormatter,
  timeResolvers: boolean,
  errors: InstrumentationErrors,
): void {
  const pendingByContext = new WeakMap<object, Pending>();
  /** The operations of each response, batched or not: one `close` listener per response, not per operation. */
  const operationsByResponse = new WeakMap<object, OperationContext[]>();

  const finish = (
    context: OperationContext,
    pending: Pending,
    resultErrors?: readonly unknown[],
  ) => {
    pendingByContext.delete(context);
    let { document } = pending;
    let operationErrors = pending.errors ?? resultErrors ?? [];
    if (resultErrors === undefined) {
      // It ended without a result: the document is read again here, on this error path only.
      try {
        document ??= parse(pending.source);
      } catch {
        // a syntax error: the operation is <invalid>
      }
      if (operationErrors.length === 0) operationErrors = ENDED_WITHOUT_RESULT;
    }
    recorder.record(
      {
        document,
        request: { operationName: requestedOperationName(context) },
        errors: operationErrors,
      },
      (performance.now() - pending.startedAt) / 1000,
    );
  };

  const closed = (response: Response, operations: readonly OperationContext[]) => {
    try {
      for (const context of operations) {
        const pending = pendingByContext.get(context);
        if (pending === undefined) continue;
        // The client left while it ran: Mercurius runs it to the end, and `onResolution` counts it.
        if (pending.document !== undefined && response.writableFinished === false) continue;
        finish(context, pending);
      }
    } catch (error) {
      errors.report('the Mercurius operation hooks', error);
    }
  };

  const preParsing = (_schema: unknown, source: string, context: OperationContext) => {
    try {
      const response = context?.reply?.raw;
      if (response === undefined) return;
      pendingByContext.set(context, { startedAt: performance.now(), source });
      const operations = operationsByResponse.get(response);
      if (operations !== undefined) {
        operations.push(context);
        return;
      }
      const first = [context];
      operationsByResponse.set(response, first);
      response.once('close', () => closed(response, first));
    } catch (error) {
      errors.report('the Mercurius operation hooks', error);
    }
  };

  const preExecution = (_schema: unknown, document: ParsedDocument, context: OperationContext) => {
    const pending = pendingByContext.get(context);
    if (pending !== undefined) pending.document = document;
  };

  const onResolution = (execution: { errors?: readonly unknown[] }, context: OperationContext) => {
    try {
      const pending = pendingByContext.get(context);
      if (pending !== undefined) finish(context, pending, execution?.errors ?? []);
    } catch (error) {
      errors.report('the Mercurius operation hooks', error);
    }
  };

  // Mercurius takes the option only when it is a function, as here.
  const format =
    typeof options.errorFormatter === 'function' ? options.errorFormatter : defaultErrorFormatter;
  options.errorFormatter = (execution, context) => {
    const pending = pendingByContext.get(context);
    if (pending !== undefined && Array.isArray(execution?.errors))
      pending.errors = execution.errors;
    return format(execution, context);
  };
  const hooks = { ...options.hooks };
  hooks.preParsing = [preParsing as Hook, ...listOf(hooks.preParsing)];
  hooks.preExecution = [...listOf(hooks.preExecution), preExecution as Hook];
  hooks.onResolution = [...listOf(hooks.onResolution), onResolution as Hook];
  options.hooks = hooks;
  if (timeResolvers) {
    const transforms = options.schemaTransforms ?? [];
    options.schemaTransforms = [
      ...(Array.isArray(transforms) ? transforms : [transforms]),
      (schema) => timeDeclaredResolvers(schema, recorder),
    ];
  }
}

/**
 * Wraps the `resolve` of each field whose resolver the app declared, in the schema Mercurius serves
 * (its `schemaTransforms` run once it has put the `resolvers` option in), as Apollo's plugin hook times
 * them. Subscription fields are left out: they resolve over WebSocket, which is not measured.
 */
function timeDeclaredResolvers(schema: Schema, recorder: GraphqlOperationRecorder): Schema {
  const subscription = schema.getSubscriptionType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type === subscription || typeof type.getFields !== 'function') continue;
    const fields = type.getFields() as { [name: string]: { resolve?: unknown } };
    for (const [name, field] of Object.entries(fields)) {
      if (typeof field.resolve !== 'function' || !recorder.declaresResolver(type.name, name))
        continue;
      field.resolve = timedResolve(field.resolve as Resolve, recorder.willResolveField);
    }
  }
  return schema;
}

/** `resolve`, timed from its call until its value resolves; what it returns or throws is untouched. */
function timedResolve(
  resolve: Resolve,
  willResolveField: (params: FieldResolverParams) => (() => void) | undefined,
): Resolve {
  return function (this: unknown, ...args: unknown[]) {
    const resolved = willResolveField({ info: args[3] as FieldResolverParams['info'] });
    if (resolved === undefined) return resolve.apply(this, args);
    let result: unknown;
    try {
      result = resolve.apply(this, args);
    } catch (error) {
      resolved();
      throw error;
    }
    if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
      // Its `then` is called once, here, as graphql-js would: a thenable that runs on `then` (a query
      // builder's) runs once. The promise handed on settles as it does.
      return Promise.resolve(result).then(
        (value) => {
          resolved();
          return value;
        },
        (error: unknown) => {
          resolved();
          throw error;
        },
      );
    }
    resolved();
    return result;
  };
}

function listOf(hook: Hook | Hook[] | undefined): Hook[] {
  if (hook === undefined || hook === null) return [];
  return Array.isArray(hook) ? hook : [hook];
}

/**
 * The `operationName` the client sent with the operation: in the body of a POST (its entry in a
 * batch), or in the query string of a GET.
 */
function requestedOperationName(context: OperationContext): string | undefined {
  const request = context.reply?.request;
  const body = request?.body;
  const payload = (
    Array.isArray(body) ? body[context.operationId ?? 0] : (body ?? request?.query)
  ) as { operationName?: unknown } | null | undefined;
  const name = payload?.operationName;
  return typeof name === 'string' ? name : undefined;
}
