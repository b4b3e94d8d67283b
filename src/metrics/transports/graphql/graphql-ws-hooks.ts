/**
 * Measures operations sent over WebSocket with the graphql-ws protocol (subscriptions, and queries or
 * mutations sent the same way), which never pass through Apollo's request pipeline, by wrapping the
 * hooks of the graphql-ws server options that GraphQLModule hands to `useServer`.
 */
import { performance } from 'node:perf_hooks';
import type { InstrumentationErrors } from '../../recording/instrumentation-errors.js';
import type { GraphqlOperationRecorder } from './graphql-operation-recorder.js';

type Hook = (...args: never[]) => unknown;

/** graphql-ws server options, typed structurally: only the hooks wrapped here are read. */
export interface GraphqlWsOptions {
  onSubscribe?: Hook;
  onOperation?: Hook;
  onNext?: Hook;
  onError?: Hook;
  onComplete?: Hook;
  onClose?: Hook;
  [option: string]: unknown;
}

interface SubscribePayload {
  readonly query?: unknown;
  readonly operationName?: string | null;
}

interface ExecutionArgs {
  readonly document?: ParsedDocument;
  readonly operationName?: string | null;
}

type ParsedDocument = { readonly definitions?: readonly object[] };

/** One operation of one connection, from its `subscribe` message to its end. */
interface Pending {
  readonly startedAt: number;
  readonly payload: SubscribePayload | undefined;
  /** Set once graphql-ws has executed it, or subscribed to its source stream. */
  args?: ExecutionArgs;
  /** Every GraphQL error sent to the client for it, in `error` and `next` messages. */
  readonly errors: unknown[];
}

/**
 * The options with hooks that count each operation once, when it ends: `complete` (the client's, or
 * its stream's end, or the connection closing), or an `error` message before it ran. A subscription
 * is timed over its lifetime, and is `error` when any message carried errors. An operation the server
 * could not even parse closes the connection (graphql-ws's behaviour) and is counted as `<invalid>`.
 * The app's own hooks run as before, and their results are returned unchanged.
 */
export function measureGraphqlWs(
  options: GraphqlWsOptions,
  recorder: GraphqlOperationRecorder,
  parse: (source: string) => ParsedDocument,
  errors: InstrumentationErrors,
): GraphqlWsOptions {
  const pendingByConnection = new WeakMap<object, Map<unknown, Pending>>();
  const guarded = (what: () => void) => {
    try {
      what();
    } catch (error) {
      errors.report('the GraphQL WebSocket hooks', error);
    }
  };
  const pendingOf = (ctx: object, id: unknown) => pendingByConnection.get(ctx)?.get(id);
  const finish = (ctx: object, id: unknown, pending: Pending) => {
    pendingByConnection.get(ctx)?.delete(id);
    let document = pending.args?.document;
    const failedErrors = pending.errors;
    if (document === undefined) {
      // It never ran: the document is read again here, on this error path only.
      try {
        document = parse(String(pending.payload?.query));
      } catch (syntaxError) {
        if (failedErrors.length === 0) failedErrors.push(syntaxError);
      }
    }
    recorder.record(
      {
        document,
        request: { operationName: pending.args?.operationName ?? pending.payload?.operationName },
        errors: failedErrors,
      },
      (performance.now() - pending.startedAt) / 1000,
    );
  };

  const { onSubscribe, onOperation, onNext, onError, onComplete, onClose } = options;
  return {
    ...options,
    onSubscribe(ctx: object, id: unknown, payload: SubscribePayload) {
      guarded(() => {
        let pending = pendingByConnection.get(ctx);
        if (pending === undefined) pendingByConnection.set(ctx, (pending = new Map()));
        pending.set(id, { startedAt: performance.now(), payload, errors: [] });
      });
      return (onSubscribe as ((...args: unknown[]) => unknown) | undefined)?.(ctx, id, payload);
    },
    onOperation(ctx: object, id: unknown, ...rest: unknown[]) {
      guarded(() => {
        const pending = pendingOf(ctx, id);
        if (pending) pending.args = (rest[1] as ExecutionArgs | undefined) ?? {};
      });
      return (onOperation as ((...args: unknown[]) => unknown) | undefined)?.(ctx, id, ...rest);
    },
    onNext(ctx: object, id: unknown, ...rest: unknown[]) {
      guarded(() => {
        const resultErrors = (rest[2] as { errors?: readonly unknown[] } | undefined)?.errors;
        if (resultErrors?.length) pendingOf(ctx, id)?.errors.push(...resultErrors);
      });
      return (onNext as ((...args: unknown[]) => unknown) | undefined)?.(ctx, id, ...rest);
    },
    onError(ctx: object, id: unknown, payload: unknown, graphqlErrors: readonly unknown[]) {
      guarded(() => {
        const pending = pendingOf(ctx, id);
        if (!pending) return;
        pending.errors.push(...(graphqlErrors ?? []));
        // Refused before it ran (validation, the app's onSubscribe): no `complete` follows.
        if (pending.args === undefined) finish(ctx, id, pending);
      });
      return (onError as ((...args: unknown[]) => unknown) | undefined)?.(
        ctx,
        id,
        payload,
        graphqlErrors,
      );
    },
    onComplete(ctx: object, id: unknown, ...rest: unknown[]) {
      guarded(() => {
        const pending = pendingOf(ctx, id);
        if (pending) finish(ctx, id, pending);
      });
      return (onComplete as ((...args: unknown[]) => unknown) | undefined)?.(ctx, id, ...rest);
    },
    onClose(ctx: object, ...rest: unknown[]) {
      // Operations that had not run when the connection closed: graphql-ws closes it on a document
      // it cannot parse. Those that ran end with their own `complete`.
      guarded(() => {
        for (const [id, pending] of pendingByConnection.get(ctx) ?? []) {
          if (pending.args === undefined) finish(ctx, id, pending);
        }
      });
      return (onClose as ((...args: unknown[]) => unknown) | undefined)?.(ctx, ...rest);
    },
  };
}
