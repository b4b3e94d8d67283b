/**
 * Exemplars end to end: a real Prometheus with its exemplar storage on scrapes the demo service,
 * started as `npm start` starts it with `OTEL_TRACING=true` (an OpenTelemetry SDK tracer and the HTTP
 * instrumentation in its process), on Express and on Fastify, and its `/api/v1/query_exemplars`
 * returns the trace the test started with its `traceparent` header, linked to the server span the
 * demo names in its `traceresponse` header. A demo without tracing, scraped by the same Prometheus,
 * leaves no exemplar there.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { buildDemo, startDemo, type DemoService } from './support/demo-service.js';
import type { NodeBuild } from './support/node-build.js';
import { pollUntil } from './support/poll.js';
import { startPrometheus, type PrometheusServer } from './support/prometheus-server.js';
import { describeWithBinary, PROMETHEUS_INSTALL_HINT } from './support/promtool.js';

const TRACED_JOB = 'demo-traced';
const TRACED_FASTIFY_JOB = 'demo-traced-fastify';
const UNTRACED_JOB = 'demo-untraced';
const OPENMETRICS_ACCEPT = 'application/openmetrics-text; version=1.0.0';
/** W3C Trace Context Level 2: `00-<trace id>-<id of the server's span>-<flags>`. */
const TRACERESPONSE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** One element of `/api/v1/query_exemplars`' answer. */
interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
}

/** A new trace the test knows: its id, the id of the caller's span, and the header that sends both. */
function newTrace(sampled: boolean) {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, header: `00-${traceId}-${parentId}-${sampled ? '01' : '00'}` };
}

describeWithBinary(
  'prometheus',
  PROMETHEUS_INSTALL_HINT,
  'exemplars from the traced demo in a real Prometheus (--enable-feature=exemplar-storage)',
  (binary) => {
    let build: NodeBuild | undefined;
    let traced: DemoService | undefined;
    let tracedFastify: DemoService | undefined;
    let untraced: DemoService | undefined;
    let prometheus: PrometheusServer | undefined;

    beforeAll(async () => {
      build = await buildDemo();
      [traced, tracedFastify, untraced] = await Promise.all([
        startDemo(build, { env: { OTEL_TRACING: 'true' } }),
        startDemo(build, { env: { OTEL_TRACING: 'true', HTTP_ADAPTER: 'fastify' } }),
        startDemo(build, { env: { OTEL_TRACING: '' } }),
      ]);
      prometheus = await startPrometheus(binary, {
        targets: [
          { job: TRACED_JOB, address: traced.address },
          { job: TRACED_FASTIFY_JOB, address: tracedFastify.address },
          { job: UNTRACED_JOB, address: untraced.address },
        ],
        features: ['exemplar-storage'],
      });
    }, 180_000);

    afterAll(async () => {
      await prometheus?.stop();
      await traced?.stop();
      await tracedFastify?.stop();
      await untraced?.stop();
      await build?.remove();
    });

    /** GETs `path` with `traceparent`; resolves to the `traceresponse` header, null when absent. */
    const get = async (demo: DemoService, path: string, traceparent: string) => {
      const response = await fetch(`${demo.url}${path}`, { headers: { traceparent } });
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      return response.headers.get('traceresponse');
    };

    /** Exemplars Prometheus has stored for `selector` over the last ten minutes. */
    const exemplarsOf = async (selector: string) => {
      const now = Date.now() / 1000;
      return prometheus!.api<ExemplarSeries[]>('query_exemplars', {
        query: selector,
        start: String(now - 600),
        end: String(now + 60),
      });
    };

    /** Waits for the exemplar of `traceId` to appear under `selector`, and returns its series. */
    const waitForTrace = (selector: string, traceId: string) =>
      pollUntil(
        `an exemplar of trace ${traceId} in ${selector}`,
        async () => {
          const found = (await exemplarsOf(selector)).filter((series) =>
            series.exemplars.some((exemplar) => exemplar.labels.trace_id === traceId),
          );
          return found.length > 0 ? found : undefined;
        },
        { attempts: 100, intervalMs: 200 },
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await prometheus!.describeTargets()}`);
      });

    /** Waits until Prometheus has scraped `count` requests of `selector` (an `http_requests_total` one). */
    const waitForCount = (selector: string, count: number) =>
      pollUntil(
        `${count} requests in ${selector}`,
        async () => {
          const samples = await prometheus!.query(`sum(${selector})`);
          return samples[0]?.value === count ? true : undefined;
        },
        { attempts: 100, intervalMs: 200 },
      );

    it.each([
      ['Express', TRACED_JOB, () => traced!],
      ['Fastify', TRACED_FASTIFY_JOB, () => tracedFastify!],
    ])(
      'returns the trace id of a request the test sent, linked to the server span, for http_request_duration_seconds_bucket (%s)',
      async (_platform, job, demo) => {
        const sent = newTrace(true);
        const traceresponse = await get(demo(), '/users/1', sent.header);
        // The instrumentation's server span continues the sent trace as a child of the sent span.
        const [, traceId, serverSpanId, flags] = traceresponse?.match(TRACERESPONSE) ?? [];
        expect({ traceId, flags }).toEqual({ traceId: sent.traceId, flags: '01' });
        expect(serverSpanId).not.toBe(sent.parentId);

        const series = await waitForTrace(
          `http_request_duration_seconds_bucket{job="${job}",endpoint="/users/:id"}`,
          sent.traceId,
        );
        expect(series).toHaveLength(1);
        const [{ seriesLabels, exemplars }] = series;
        expect(seriesLabels).toMatchObject({ method: 'GET', endpoint: '/users/:id' });
        const exemplar = exemplars.find((e) => e.labels.trace_id === sent.traceId)!;
        expect(exemplar.labels).toEqual({ trace_id: sent.traceId, span_id: serverSpanId });
        // The observed duration lies in the bucket that carries it.
        const bound = seriesLabels.le === '+Inf' ? Infinity : Number(seriesLabels.le);
        expect(Number(exemplar.value)).toBeLessThanOrEqual(bound);

        const counts = await waitForTrace(
          `http_requests_total{job="${job}",endpoint="/users/:id"}`,
          sent.traceId,
        );
        expect(counts.map((s) => s.seriesLabels.status_code)).toEqual(['200']);
        expect(counts[0].exemplars.find((e) => e.labels.trace_id === sent.traceId)).toMatchObject({
          labels: { trace_id: sent.traceId, span_id: serverSpanId },
          value: '1',
        });
      },
    );

    it('stores no exemplar for a request whose trace is not sampled', async () => {
      const sampled = newTrace(true);
      const unsampled = newTrace(false);
      const unsampledResponse = await get(traced!, '/items/3', unsampled.header);
      // The parent's decision is followed, and said so: the server span is not sampled either.
      expect(unsampledResponse).toMatch(new RegExp(`^00-${unsampled.traceId}-[0-9a-f]{16}-00$`));
      // Sent after it and to another route: once its exemplar is stored, a scrape has seen both.
      await get(traced!, '/health', sampled.header);
      await waitForTrace(
        `http_requests_total{job="${TRACED_JOB}",endpoint="/health"}`,
        sampled.traceId,
      );
      const counted = await prometheus!.query(
        `http_requests_total{job="${TRACED_JOB}",endpoint="/items/:id"}`,
      );
      expect(counted.map((sample) => sample.value)).toEqual([1]);
      expect(await exemplarsOf(`{job="${TRACED_JOB}",endpoint="/items/:id"}`)).toEqual([]);
    });

    it('has no tracer and exposes no exemplar when the demo runs without OTEL_TRACING', async () => {
      const sent = newTrace(true);
      expect(await get(untraced!, '/users/1', sent.header)).toBeNull();
      const scraped = await fetch(`${untraced!.url}/metrics`, {
        headers: { accept: OPENMETRICS_ACCEPT },
      });
      const text = await scraped.text();
      expect(scraped.headers.get('content-type')).toContain('application/openmetrics-text');
      expect(text).toContain(
        'http_requests_total{method="GET",endpoint="/users/:id",status_code="200"} 1\n',
      );
      expect(text).not.toContain(' # {');
      await waitForCount(`http_requests_total{job="${UNTRACED_JOB}",endpoint="/users/:id"}`, 1);
      expect(await exemplarsOf(`{job="${UNTRACED_JOB}"}`)).toEqual([]);
    });
  },
);
