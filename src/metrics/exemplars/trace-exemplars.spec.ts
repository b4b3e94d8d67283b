import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ROOT_CONTEXT, TraceFlags, context, propagation, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { resolveMetricsOptions, MetricsOptionsError } from '../options/resolve-options.js';
import { exemplarReader, loadExemplarReader, type ExemplarReader } from './trace-exemplars.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';

/** A remote parent, as a `traceparent` header would give it, with or without the sampled flag. */
function remoteParent(sampled: boolean) {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: PARENT_SPAN_ID,
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
}

describe('exemplarReader', () => {
  let reader: ExemplarReader;

  beforeAll(async () => {
    reader = (await loadExemplarReader('auto', () => undefined))!;
  });

  it('loads the installed API and reads nothing while no tracer is registered', () => {
    expect(reader).toBeInstanceOf(Function);
    expect(reader()).toBeUndefined();
    expect(context.with(remoteParent(true), reader)).toBeUndefined();
  });

  describe('with an OpenTelemetry SDK tracer', () => {
    let provider: NodeTracerProvider | undefined;

    function register(sampler: Sampler) {
      provider = new NodeTracerProvider({ sampler });
      provider.register();
      return trace.getTracer('exemplars-spec');
    }

    afterEach(async () => {
      await provider?.shutdown();
      provider = undefined;
      trace.disable();
      context.disable();
      propagation.disable();
    });

    it('reads the trace and span id of the active sampled span', () => {
      const tracer = register(new AlwaysOnSampler());
      const read = tracer.startActiveSpan('work', (span) => {
        span.end();
        return { seen: reader(), own: span.spanContext() };
      });
      expect(read.seen).toEqual({ trace_id: read.own.traceId, span_id: read.own.spanId });
    });

    it('continues a sampled remote trace, reading the local span of that trace', () => {
      const tracer = register(new ParentBasedSampler({ root: new AlwaysOffSampler() }));
      const read = context.with(remoteParent(true), () =>
        tracer.startActiveSpan('server', (span) => {
          span.end();
          return { seen: reader(), own: span.spanContext() };
        }),
      );
      expect(read.seen).toEqual({ trace_id: TRACE_ID, span_id: read.own.spanId });
      expect(read.own.spanId).not.toBe(PARENT_SPAN_ID);
    });

    it('reads nothing for an unsampled span, whether the parent or the sampler says so', () => {
      const tracer = register(new ParentBasedSampler({ root: new AlwaysOffSampler() }));
      const underUnsampledParent = context.with(remoteParent(false), () =>
        tracer.startActiveSpan('server', (span) => {
          span.end();
          return reader();
        }),
      );
      const unsampledRoot = tracer.startActiveSpan('root', (span) => {
        span.end();
        return reader();
      });
      expect({ underUnsampledParent, unsampledRoot }).toEqual({
        underUnsampledParent: undefined,
        unsampledRoot: undefined,
      });
    });

    it('reads nothing outside any span', () => {
      register(new AlwaysOnSampler());
      expect(reader()).toBeUndefined();
    });
  });

  it('gives no exemplar, and throws nothing, when the context manager throws', () => {
    const read = exemplarReader({
      trace,
      context: {
        active: () => {
          throw new Error('broken context manager');
        },
      },
    });
    expect(read()).toBeUndefined();
  });

  it('rejects ids that are not lowercase hex of the W3C lengths, or all zeros', () => {
    const withSpan = (traceId: string, spanId: string) =>
      exemplarReader({
        trace: { getSpanContext: () => ({ traceId, spanId, traceFlags: TraceFlags.SAMPLED }) },
        context: { active: () => ROOT_CONTEXT },
      })();
    expect(withSpan(TRACE_ID, PARENT_SPAN_ID)).toEqual({
      trace_id: TRACE_ID,
      span_id: PARENT_SPAN_ID,
    });
    expect(withSpan('0'.repeat(32), PARENT_SPAN_ID)).toBeUndefined();
    expect(withSpan(TRACE_ID, '0'.repeat(16))).toBeUndefined();
    expect(withSpan(TRACE_ID.toUpperCase(), PARENT_SPAN_ID)).toBeUndefined();
    expect(withSpan(`${TRACE_ID}"}`, PARENT_SPAN_ID)).toBeUndefined();
  });
});

describe('loadExemplarReader', () => {
  const missing = () => Promise.reject(new Error("Cannot find package '@opentelemetry/api'"));

  it('imports nothing when exemplars are off', async () => {
    const importApi = jest.fn(missing);
    expect(await loadExemplarReader(false, () => undefined, importApi)).toBeUndefined();
    expect(importApi).not.toHaveBeenCalled();
  });

  it('goes without, silently, when the API is missing and the option was left to "auto"', async () => {
    const onMissing = jest.fn();
    expect(await loadExemplarReader('auto', onMissing, missing)).toBeUndefined();
    expect(onMissing).not.toHaveBeenCalled();
  });

  it('reports a missing API once when the option asked for exemplars', async () => {
    const onMissing = jest.fn();
    expect(await loadExemplarReader(true, onMissing, missing)).toBeUndefined();
    expect(onMissing).toHaveBeenCalledTimes(1);
  });

  it('takes the API from the default export too, as import() of CommonJS may give it', async () => {
    const api = { trace, context };
    const reader = await loadExemplarReader(
      true,
      () => undefined,
      async () => ({ default: api }),
    );
    expect(reader?.()).toBeUndefined();
  });
});

describe('the exemplars option', () => {
  it.each([
    [undefined, 'auto'],
    ['auto', 'auto'],
    [true, true],
    [false, false],
  ] as const)('resolves %p to %p', (given, resolved) => {
    expect(resolveMetricsOptions({ exemplars: given }, {}).exemplars).toBe(resolved);
  });

  it.each(['on', 1, null])('rejects %p, naming the option', (given) => {
    const resolve = () => resolveMetricsOptions({ exemplars: given as never }, {});
    expect(resolve).toThrow(MetricsOptionsError);
    expect(resolve).toThrow('option "exemplars" must be true, false or "auto"');
  });
});

afterAll(() => {
  trace.disable();
  context.disable();
});
