/**
 * Exemplars end to end: a real Prometheus with its exemplar storage on scrapes the traced fixture app,
 * on Express and on Fastify, each running an OpenTelemetry SDK tracer in its own process, and its
 * `/api/v1/query_exemplars` returns the trace that the test started with its `traceparent` header.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SPAN_ID_HEADER, TRACE_ID_HEADER } from './fixtures/traced-app.js';
import { startChild, type ChildProcessHandle } from './support/child-process.js';
import { freePort, LOOPBACK } from './support/loopback.js';
import { buildForNode, type NodeBuild } from './support/node-build.js';
import { PLATFORMS, type Platform } from './support/platforms.js';
import { pollUntil } from './support/poll.js';
import { startPrometheus, type PrometheusServer } from './support/prometheus-server.js';
import { describeWithBinary, PROMETHEUS_INSTALL_HINT } from './support/promtool.js';

const TRACED_APP = 'test/fixtures/processes/traced-app.ts';
/** One app process per platform, each its own Prometheus job. */
const jobOf = (platform: Platform) => `traced-app-${platform}`;

/** One element of `/api/v1/query_exemplars`' answer. */
interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>;
}

function traceparent(sampled: boolean) {
  const traceId = randomBytes(16).toString('hex');
  return {
    traceId,
    header: `00-${traceId}-${randomBytes(8).toString('hex')}-${sampled ? '01' : '00'}`,
  };
}

describeWithBinary(
  'prometheus',
  PROMETHEUS_INSTALL_HINT,
  'exemplars in a real Prometheus (--enable-feature=exemplar-storage)',
  (binary) => {
    let build: NodeBuild | undefined;
    const apps: ChildProcessHandle[] = [];
    const bases = new Map<Platform, string>();
    let prometheus: PrometheusServer | undefined;

    beforeAll(async () => {
      build = await buildForNode([TRACED_APP], { typeCheck: false });
      const targets = [];
      for (const platform of PLATFORMS) {
        const port = await freePort();
        const app = await startChild(
          `traced app on ${platform}`,
          process.execPath,
          [build.entry(TRACED_APP)],
          { env: { PORT: String(port), HTTP_PLATFORM: platform } },
        );
        apps.push(app);
        await app.waitForLine(/^LISTENING \d+/);
        bases.set(platform, `http://${LOOPBACK}:${port}`);
        targets.push({ job: jobOf(platform), address: `${LOOPBACK}:${port}` });
      }
      prometheus = await startPrometheus(binary, { targets, features: ['exemplar-storage'] });
    }, 120_000);

    afterAll(async () => {
      await prometheus?.stop();
      await Promise.all(apps.map((app) => app.stop()));
      await build?.remove();
    });

    const get = async (platform: Platform, path: string, header: string) => {
      const response = await fetch(`${bases.get(platform)}${path}`, {
        headers: { traceparent: header },
      });
      await response.arrayBuffer();
      expect(response.status).toBe(200);
      return {
        traceId: response.headers.get(TRACE_ID_HEADER),
        spanId: response.headers.get(SPAN_ID_HEADER),
      };
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

    describe.each(PLATFORMS)('on %s', (platform) => {
      const job = jobOf(platform);

      it('returns the trace id of a request the test sent, for http_request_duration_seconds_bucket', async () => {
        const sent = traceparent(true);
        const served = await get(platform, '/four', sent.header);
        expect(served.traceId).toBe(sent.traceId);
        const series = await waitForTrace(
          `http_request_duration_seconds_bucket{job="${job}",endpoint="/four"}`,
          sent.traceId,
        );
        expect(series).toHaveLength(1);
        const [{ seriesLabels, exemplars }] = series;
        expect(seriesLabels).toMatchObject({ method: 'GET', endpoint: '/four' });
        const exemplar = exemplars.find((e) => e.labels.trace_id === sent.traceId)!;
        expect(exemplar.labels).toEqual({ trace_id: sent.traceId, span_id: served.spanId });
        // The observed duration lies in the bucket that carries it.
        const bound = seriesLabels.le === '+Inf' ? Infinity : Number(seriesLabels.le);
        expect(Number(exemplar.value)).toBeLessThanOrEqual(bound);

        const counts = await waitForTrace(
          `http_requests_total{job="${job}",endpoint="/four"}`,
          sent.traceId,
        );
        expect(counts.map((s) => s.seriesLabels.status_code)).toEqual(['200']);
      });

      it('stores no exemplar for a request whose trace is not sampled', async () => {
        const sampled = traceparent(true);
        const unsampled = traceparent(false);
        await get(platform, '/three', unsampled.header);
        // Sent after it and to another route: once its exemplar is stored, a scrape has seen both.
        await get(platform, '/two', sampled.header);
        await waitForTrace(`http_requests_total{job="${job}",endpoint="/two"}`, sampled.traceId);
        const counted = await prometheus!.query(
          `http_requests_total{job="${job}",endpoint="/three"}`,
        );
        expect(counted.map((sample) => sample.value)).toEqual([1]);
        expect(await exemplarsOf(`{job="${job}",endpoint="/three"}`)).toEqual([]);
      });
    });
  },
);
