/**
 * Exemplars from a real OpenTelemetry SDK tracer, in-process: which trace and span each observation
 * links to, over concurrent keep-alive requests, with unsampled traces, after observations without a
 * span, with OpenTelemetry's HTTP instrumentation as the demo sets it up, and that an app without a
 * tracer exposes exactly what it exposes with exemplars off, on both HTTP platforms.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { randomBytes } from 'node:crypto';
import { Module } from 'node:module';
import type { MetricsModuleOptions } from '../src/metrics/index.js';
import {
  startTracing as startDemoTracing,
  type StopTracing,
} from '../src/tracing/start-tracing.js';
import {
  createTracedApp,
  HANDLER_SPAN_ID_HEADER,
  SPAN_ID_HEADER,
  startTracing,
  stopTracing,
  TRACE_ID_HEADER,
  TRACED_ROUTES,
} from './fixtures/traced-app.js';
import { parseExposition, samplesOf, valueOf, type Sample } from './support/exposition.js';
import { listenAppOnLoopback } from './support/loopback.js';
import { PLATFORMS } from './support/platforms.js';
import { FAST_POLL, pollUntil } from './support/poll.js';

const OPENMETRICS_ACCEPT = 'application/openmetrics-text; version=1.0.0';

interface Served {
  traceId: string;
  spanId: string;
}

/** A new trace id the test knows, and the `traceparent` header that continues it. */
function newTrace(sampled = true) {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${parentId}-${sampled ? '01' : '00'}` };
}

async function get(base: string, path: string, traceparent?: string): Promise<Served> {
  const response = await fetch(`${base}${path}`, {
    headers: traceparent ? { traceparent } : {},
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
  return {
    traceId: response.headers.get(TRACE_ID_HEADER) ?? '',
    spanId: response.headers.get(SPAN_ID_HEADER) ?? '',
  };
}

async function scrape(base: string, accept?: string): Promise<string> {
  const response = await fetch(`${base}/metrics`, { headers: accept ? { accept } : {} });
  return response.text();
}

/** OpenMetrics once `http_requests_total` of `endpoint` has reached `count`. */
function scrapeWhenCounted(base: string, endpoint: string, count: number): Promise<string> {
  return pollUntil(
    `${count} requests to ${endpoint}`,
    async () => {
      const text = await scrape(base, OPENMETRICS_ACCEPT);
      const counted = samplesOf(text, 'http_requests_total', { endpoint }).reduce(
        (sum, sample) => sum + sample.value,
        0,
      );
      return counted === count ? text : undefined;
    },
    FAST_POLL,
  );
}

/** The samples of `name` matching `labels` that carry an exemplar. */
function withExemplars(text: string, name: string, labels: Record<string, string>): Sample[] {
  return samplesOf(text, name, labels).filter((sample) => sample.exemplar !== undefined);
}

function exemplarIds(samples: readonly Sample[]) {
  return samples.map((sample) => ({
    trace_id: sample.exemplar?.labels.trace_id,
    span_id: sample.exemplar?.labels.span_id,
  }));
}

describe.each(PLATFORMS)('on %s', (platform) => {
  describe('without a tracer', () => {
    const apps: INestApplication[] = [];

    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
    });

    /**
     * Deterministic numbers: one duration bucket that every request fits, no process metrics, and no
     * outbound-call metrics, whose host label would carry the port of each run's server (the test's own
     * requests are outbound calls of this process).
     */
    const deterministic: MetricsModuleOptions = {
      defaultMetrics: false,
      durationBuckets: [60],
      httpClient: false,
    };

    async function exposeAfterTraffic(exemplars: boolean | 'auto', serverSpans: boolean) {
      const app = await createTracedApp({
        platform,
        metrics: { ...deterministic, exemplars },
        serverSpans: serverSpans ? 'middleware' : undefined,
      });
      apps.push(app);
      const base = await listenAppOnLoopback(app);
      for (const path of [...TRACED_ROUTES, '/items/1', '/items/2', '/four'])
        await get(base, path, newTrace().traceparent);
      await scrapeWhenCounted(base, '/four', 2);
      // Durations are the one value that differs between two runs; everything else must not.
      const mask = (text: string) =>
        text.replace(/^(\S+_seconds_sum(?:\{[^}]*\})?) \S+$/gm, '$1 X');
      return {
        text: mask(await scrape(base)),
        openMetrics: mask(await scrape(base, OPENMETRICS_ACCEPT)),
      };
    }

    it('exposes, in both formats, byte for byte what the same app exposes with exemplars off', async () => {
      const off = await exposeAfterTraffic(false, false);
      // The OpenTelemetry API is installed and the app even starts spans, but no SDK records them.
      const auto = await exposeAfterTraffic('auto', true);
      expect(auto.text).toBe(off.text);
      expect(auto.openMetrics).toBe(off.openMetrics);
      expect(off.openMetrics).not.toContain(' # {');
      expect(valueOf(off.text, 'database_operation_duration_seconds_count')).toBe(2);
      expect(valueOf(off.text, 'background_task_duration_seconds_count')).toBe(2);
    });
  });

  describe('with an OpenTelemetry SDK tracer', () => {
    let provider: NodeTracerProvider;
    let app: INestApplication;
    let base: string;

    beforeAll(async () => {
      provider = startTracing();
      app = await createTracedApp({
        platform,
        metrics: { defaultMetrics: false },
        serverSpans: 'middleware',
      });
      base = await listenAppOnLoopback(app);
    });

    afterAll(async () => {
      await app?.close();
      await stopTracing(provider);
    });

    it('records no exemplar for a request whose trace is not sampled', async () => {
      const served = await get(base, '/three', newTrace(false).traceparent);
      const text = await scrapeWhenCounted(base, '/three', 1);
      expect(served.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(text).not.toContain(' # {');
    });

    it('links the duration bucket and the count of a request to its own trace and server span', async () => {
      const { traceId, traceparent } = newTrace();
      const served = await get(base, '/four', traceparent);
      expect(served.traceId).toBe(traceId);
      const text = await scrapeWhenCounted(base, '/four', 1);
      const series = { method: 'GET', endpoint: '/four' };
      const buckets = withExemplars(text, 'http_request_duration_seconds_bucket', series);
      const counts = withExemplars(text, 'http_requests_total', series);
      expect(exemplarIds([...buckets, ...counts])).toEqual([
        { trace_id: traceId, span_id: served.spanId },
        { trace_id: traceId, span_id: served.spanId },
      ]);
      // The exemplar sits in the bucket its value falls into, and the count's exemplar counts one.
      const [bucket] = buckets;
      const bound = bucket.labels.le === '+Inf' ? Infinity : Number(bucket.labels.le);
      expect(bucket.exemplar!.value).toBeLessThanOrEqual(bound);
      expect(bucket.value).toBe(1);
      expect(counts[0].exemplar!.value).toBe(1);
      expect(counts[0].labels.status_code).toBe('200');
      expect(await scrape(base)).not.toContain(traceId);
    });

    it('gives each of many concurrent requests on shared connections its own trace', async () => {
      for (let round = 1; round <= 3; round++) {
        const sent = await Promise.all(
          TRACED_ROUTES.map(async (endpoint) => {
            const { traceId, traceparent } = newTrace();
            const served = await get(base, endpoint, traceparent);
            return { endpoint, traceId, spanId: served.spanId };
          }),
        );
        const text = await scrapeWhenCounted(base, '/one', round);
        const linked = sent.map(({ endpoint }) => {
          const [count] = withExemplars(text, 'http_requests_total', { endpoint });
          return {
            endpoint,
            traceId: count?.exemplar?.labels.trace_id,
            spanId: count?.exemplar?.labels.span_id,
          };
        });
        expect(linked).toEqual(sent);
      }
    });

    it("links each decorator's duration to the trace of the request that ran it", async () => {
      const { traceId, traceparent } = newTrace();
      const served = await get(base, '/items/7', traceparent);
      const text = await scrapeWhenCounted(base, '/items/:id', 1);
      const linked = Object.fromEntries(
        [
          'database_operation_duration_seconds_bucket',
          'external_api_call_duration_seconds_bucket',
          'background_task_duration_seconds_bucket',
        ].map((name) => [name, exemplarIds(withExemplars(text, name, {}))]),
      );
      const request = [{ trace_id: traceId, span_id: served.spanId }];
      expect(linked).toEqual({
        database_operation_duration_seconds_bucket: request,
        external_api_call_duration_seconds_bucket: request,
        background_task_duration_seconds_bucket: request,
      });
    });

    it('keeps the exemplar shown when later requests of the series have no sampled span', async () => {
      const { traceId, traceparent } = newTrace();
      await get(base, '/two', traceparent);
      await get(base, '/two', newTrace(false).traceparent);
      await get(base, '/two', newTrace(false).traceparent);
      const counted = (n: number) => scrapeWhenCounted(base, '/two', n);
      const before = await counted(3 + 3);
      // A scrape folded the exemplar in; now requests without a sampled span follow.
      await get(base, '/two', newTrace(false).traceparent);
      await get(base, '/two', newTrace(false).traceparent);
      const after = await counted(3 + 5);
      const ids = (text: string) =>
        exemplarIds(withExemplars(text, 'http_requests_total', { endpoint: '/two' }));
      expect(ids(before)).toEqual([{ trace_id: traceId, span_id: expect.any(String) }]);
      expect(ids(after)).toEqual(ids(before));
      expect(
        withExemplars(after, 'http_request_duration_seconds_bucket', { endpoint: '/two' }).map(
          (sample) => sample.exemplar?.labels.trace_id,
        ),
      ).toContain(traceId);
    });

    it("links to the span ended in the handler when a middleware started the request's span", async () => {
      const { traceId, traceparent } = newTrace();
      const response = await fetch(`${base}/nested`, { headers: { traceparent } });
      await response.text();
      const text = await scrapeWhenCounted(base, '/nested', 1);
      expect(
        exemplarIds(withExemplars(text, 'http_requests_total', { endpoint: '/nested' })),
      ).toEqual([{ trace_id: traceId, span_id: response.headers.get(HANDLER_SPAN_ID_HEADER) }]);
    });

    it('adds no exemplar when the option is false', async () => {
      const quiet = await createTracedApp({
        platform,
        metrics: { defaultMetrics: false, exemplars: false },
        serverSpans: 'middleware',
      });
      try {
        const quietBase = await listenAppOnLoopback(quiet);
        await get(quietBase, '/items/1', newTrace().traceparent);
        const text = await scrapeWhenCounted(quietBase, '/items/:id', 1);
        expect(parseExposition(text).filter((sample) => sample.exemplar)).toEqual([]);
      } finally {
        await quiet.close();
      }
    });
  });
});

describe("with OpenTelemetry's HTTP instrumentation, as the demo runs it with OTEL_TRACING=true", () => {
  let stop: StopTracing;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    stop = await startDemoTracing();
    // The instrumentation patches `http` when it is next required through Node's require. Jest
    // replaces `createRequire` (which the demo uses) with its own module registry; a Module of Node's
    // own requires it the way Node does.
    new Module('http-instrumentation').require('node:http');
    app = await createTracedApp({ metrics: { defaultMetrics: false } });
    base = await listenAppOnLoopback(app);
  });

  afterAll(async () => {
    await app?.close();
    await stop?.();
  });

  /** GETs `path` in a new sampled trace; the server span is the one `traceresponse` names. */
  async function getTraced(path: string) {
    const { traceId, traceparent } = newTrace();
    const response = await fetch(`${base}${path}`, { headers: { traceparent } });
    await response.text();
    const [, tracedId, serverSpan] =
      /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(response.headers.get('traceresponse') ?? '') ??
      [];
    expect(tracedId).toBe(traceId);
    return { traceId, serverSpan, handlerSpan: response.headers.get(HANDLER_SPAN_ID_HEADER) };
  }

  it("links the HTTP metrics to the instrumentation's server span, not to a span the handler ends the response in", async () => {
    const { traceId, serverSpan, handlerSpan } = await getTraced('/nested');
    expect(handlerSpan).toMatch(/^[0-9a-f]{16}$/);
    expect(handlerSpan).not.toBe(serverSpan);
    const text = await scrapeWhenCounted(base, '/nested', 1);
    const series = { endpoint: '/nested' };
    expect(
      exemplarIds([
        ...withExemplars(text, 'http_requests_total', series),
        ...withExemplars(text, 'http_request_duration_seconds_bucket', series),
      ]),
    ).toEqual([
      { trace_id: traceId, span_id: serverSpan },
      { trace_id: traceId, span_id: serverSpan },
    ]);
  });

  it("links each decorator's duration in a handler to the server span", async () => {
    const { traceId, serverSpan } = await getTraced('/items/7');
    const text = await scrapeWhenCounted(base, '/items/:id', 1);
    const request = [{ trace_id: traceId, span_id: serverSpan }];
    const linked = (name: string, labels: Record<string, string> = {}) =>
      exemplarIds(withExemplars(text, name, labels));
    expect({
      http_requests_total: linked('http_requests_total', { endpoint: '/items/:id' }),
      database_operation_duration_seconds_bucket: linked(
        'database_operation_duration_seconds_bucket',
      ),
      external_api_call_duration_seconds_bucket: linked(
        'external_api_call_duration_seconds_bucket',
      ),
      background_task_duration_seconds_bucket: linked('background_task_duration_seconds_bucket'),
    }).toEqual({
      http_requests_total: request,
      database_operation_duration_seconds_bucket: request,
      external_api_call_duration_seconds_bucket: request,
      background_task_duration_seconds_bucket: request,
    });
  });
});
