/**
 * Opt-in OpenTelemetry tracing for the demo (`OTEL_TRACING=true`): an SDK tracer in-process and
 * OpenTelemetry's HTTP instrumentation, so each incoming request runs in a server span that continues
 * the caller's `traceparent`, and the metrics module's exemplars link to it. Every OpenTelemetry
 * package is imported only when tracing is on; without it the demo loads none of them.
 */
import { createRequire } from 'node:module';

/**
 * Stops tracing: removes the instrumentation's patches, shuts the provider down and unregisters the
 * global tracer, context manager and propagator, so that tracing can be started again.
 */
export type StopTracing = () => Promise<void>;

/**
 * Reads `OTEL_TRACING`: empty or unset means off.
 *
 * @throws Error naming the accepted values, so a typo stops the start instead of silently running
 *   without traces.
 */
export function parseTracingFlag(raw: string | undefined): boolean {
  const value = (raw ?? '').trim().toLowerCase();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`OTEL_TRACING must be true or false; got "${raw}"`);
}

/**
 * Registers a tracer provider that samples every new trace and follows the sampling decision of a
 * caller's `traceparent` (W3C trace context, the SDK's default propagator), and the HTTP
 * instrumentation. Spans are not exported anywhere: add a span processor with your exporter (OTLP to
 * Tempo or Jaeger, …) to `NodeTracerProvider` here to keep them. Each response carries the W3C
 * `traceresponse` header with the id of its server span, so a client can find the trace of its
 * request.
 */
export async function startTracing(): Promise<StopTracing> {
  const [
    { context, propagation, trace },
    { AlwaysOnSampler, NodeTracerProvider, ParentBasedSampler },
    { HttpInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/instrumentation-http'),
  ]);
  const provider = new NodeTracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  });
  provider.register();
  const instrumentation = new HttpInstrumentation({
    // Called for an incoming request once its server span has started, before any handler runs.
    responseHook(span, response) {
      if (!('setHeader' in response) || response.headersSent) return;
      const { traceId, spanId, traceFlags } = span.spanContext();
      response.setHeader(
        'traceresponse',
        `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`,
      );
    },
  });
  // The instrumentation patches `http` and `https` through a require hook, when a CommonJS module
  // next requires them; ES modules' imports do not go through it. Here Express would do it when Nest
  // loads it, but that is an accident of load order, so require them now. The server span comes from
  // the patched `Server.prototype.emit`, which servers created before or after share.
  const require = createRequire(import.meta.url);
  require('node:http');
  require('node:https');
  return async () => {
    instrumentation.disable();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  };
}
