/**
 * Links observations to traces: reads the active OpenTelemetry span through `@opentelemetry/api`, an
 * optional peer dependency that is imported only when the app has it, so an app without it pays
 * nothing and needs nothing.
 */

/** The labels of one exemplar, as OpenMetrics writes them after `#`. */
export interface ExemplarLabels {
  readonly trace_id: string;
  readonly span_id: string;
}

/** The exemplar of the span active right now, or `undefined` when there is no sampled span. */
export type ExemplarReader = () => ExemplarLabels | undefined;

/**
 * The little of `@opentelemetry/api` used here, typed by hand: the library's declarations must not
 * name a package the app may not have.
 */
export interface TraceApi {
  trace: { getSpanContext(context: unknown): SpanContextLike | undefined };
  context: { active(): unknown };
}

interface SpanContextLike {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

/** W3C trace flags: bit 0 says the span is sampled, i.e. its trace is recorded somewhere. */
const SAMPLED_FLAG = 0x1;
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

/**
 * Builds the reader over a loaded API. Without a registered tracer (or context manager) the API
 * answers with no span context, so the reader costs two calls and returns `undefined`.
 */
export function exemplarReader(api: TraceApi): ExemplarReader {
  const { trace, context } = api;
  return () => {
    let spanContext: SpanContextLike | undefined;
    try {
      spanContext = trace.getSpanContext(context.active());
    } catch {
      // A broken context manager costs the exemplar, never the observation or the caller's call.
      return undefined;
    }
    if (spanContext === undefined || (spanContext.traceFlags & SAMPLED_FLAG) === 0)
      return undefined;
    const { traceId, spanId } = spanContext;
    // A span that is not recorded anywhere (invalid ids) would link to nothing.
    if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
    if (!TRACE_ID.test(traceId) || !SPAN_ID.test(spanId)) return undefined;
    return { trace_id: traceId, span_id: spanId };
  };
}

/**
 * Loads `@opentelemetry/api` when exemplars are wanted.
 *
 * @param setting the resolved `exemplars` option: `false` loads nothing; `'auto'` uses the API when
 *   it is installed; `true` does the same and calls `onMissing` when it is not.
 * @param importApi how the API is imported; tests replace it.
 * @returns the reader, or `undefined` when exemplars are off or the API cannot be loaded.
 */
export async function loadExemplarReader(
  setting: boolean | 'auto',
  onMissing: (error: unknown) => void,
  importApi: () => Promise<unknown> = () => import('@opentelemetry/api'),
): Promise<ExemplarReader | undefined> {
  if (setting === false) return undefined;
  let api: unknown;
  try {
    api = await importApi();
  } catch (error) {
    if (setting === true) onMissing(error);
    return undefined;
  }
  // `import()` of a CommonJS package gives its exports as named properties and again as `default`.
  const candidate = isTraceApi(api) ? api : (api as { default?: unknown } | undefined)?.default;
  if (!isTraceApi(candidate)) {
    if (setting === true) onMissing(new TypeError('@opentelemetry/api has no trace/context API'));
    return undefined;
  }
  return exemplarReader(candidate);
}

function isTraceApi(value: unknown): value is TraceApi {
  const api = value as Partial<TraceApi> | undefined;
  return (
    typeof api?.trace?.getSpanContext === 'function' && typeof api?.context?.active === 'function'
  );
}
