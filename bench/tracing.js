// An OpenTelemetry SDK tracer for the traced setups, with a server span per request started around the
// server's `request` event, as @opentelemetry/instrumentation-http does. Spans are recorded and
// dropped (no exporter), so the setups compare what exemplars cost, not what exporting costs.
import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, ParentBasedSampler } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Registers the tracer; call once per process, before the app is created. */
export function startTracing() {
  const provider = new NodeTracerProvider({
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
}

/** Runs every `request` listener of `server` in a new server span. */
export function traceRequests(server) {
  const emit = server.emit;
  const tracer = trace.getTracer('bench');
  server.emit = function (event, ...args) {
    if (event !== 'request') return emit.call(this, event, ...args);
    const [request, response] = args;
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER }, parent);
    response.once('close', () => span.end());
    return context.with(trace.setSpan(parent, span), () => emit.call(this, event, ...args));
  };
}
