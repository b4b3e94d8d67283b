import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { get as httpGet } from 'node:http';
import {
  bootstrapCluster,
  MetricsOptionsError,
  type ClusterOptions,
} from '../src/metrics/index.js';
import { startChild, type ChildProcessHandle } from './support/child-process.js';
import { requestFresh } from './support/fresh-request.js';
import { freePort } from './support/loopback.js';
import { labelValues, parseExposition, samplesOf, sumOf, valueOf } from './support/exposition.js';
import { buildForNode, type NodeBuild } from './support/node-build.js';
import { PLATFORMS } from './support/platforms.js';
import { FAST_POLL, pollUntil } from './support/poll.js';

const CLUSTER_APP = 'test/fixtures/processes/cluster-app.ts';

describe('bootstrapCluster options', () => {
  const bootstrap = jest.fn();
  it.each([
    [{ workers: 0, metricsPort: 0 }, 'workers'],
    [{ workers: 1.5, metricsPort: 0 }, 'workers'],
    [{ workers: 1, metricsPort: -1 }, 'metricsPort'],
    [{ workers: 1, metricsPort: 0, scrapeTimeoutMs: 0 }, 'scrapeTimeoutMs'],
    [{ workers: 1, metricsPort: 0, path: 'metrics' }, 'path'],
    [{ workers: 1, metricsPort: 0, dashboard: 'yes' as never }, 'dashboard'],
  ] as Array<[ClusterOptions, string]>)(
    'rejects %j in the primary before forking, naming the option',
    async (options, named) => {
      await expect(bootstrapCluster(bootstrap, options)).rejects.toThrow(MetricsOptionsError);
      await expect(bootstrapCluster(bootstrap, options)).rejects.toThrow(`option "${named}"`);
      expect(bootstrap).not.toHaveBeenCalled();
    },
  );
});
const REQUESTS = 'http_requests_total';

describe.each(PLATFORMS)('cluster mode with real forked workers on %s', (platform) => {
  let build: NodeBuild | undefined;
  let primary: ChildProcessHandle | undefined;
  let appUrl = '';
  let metricsUrl = '';
  let ignoredMetricsPort = 0;
  /** Every worker pid seen, so that afterAll can make sure none outlives the suite. */
  const workerPids = new Set<number>();
  /** Responses the app has sent, counted by the client. */
  let answered = 0;

  beforeAll(async () => {
    build = await buildForNode([CLUSTER_APP]);
    const appPort = await freePort();
    ignoredMetricsPort = await freePort();
    appUrl = `http://127.0.0.1:${appPort}`;
    primary = await startChild('cluster primary', process.execPath, [build.entry(CLUSTER_APP)], {
      env: {
        APP_PORT: String(appPort),
        IGNORED_METRICS_PORT: String(ignoredMetricsPort),
        HTTP_PLATFORM: platform,
      },
    });
    const [, metricsPort] = await primary.waitForLine(/primary serves metrics on port (\d+)/);
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    await pollUntil(
      'two workers listening',
      async () =>
        primary?.output().match(/worker \d+ listening/g)?.length === 2 ? true : undefined,
      { ...FAST_POLL, attempts: 400 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; output:\n${primary?.output()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await primary?.stop();
    for (const pid of workerPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone, as it should be once the primary has stopped.
      }
    }
    await build?.remove();
  });

  /** A request to the app's shared port; returns the pid of the worker that answered. */
  async function hitApp(path: string, timeoutMs?: number): Promise<number> {
    const response = await requestFresh(`${appUrl}${path}`, { timeoutMs });
    expect(response.status).toBe(200);
    answered++;
    const { pid } = JSON.parse(response.body) as { pid: number };
    workerPids.add(pid);
    return pid;
  }

  async function scrape(path = '/metrics'): Promise<string> {
    const response = await requestFresh(`${metricsUrl}${path}`);
    expect(response.status).toBe(200);
    return response.body;
  }

  /** The response `close` event that records a request lands just after the client has its answer. */
  const scrapeUntilTotal = (total: number) =>
    pollUntil(
      `${REQUESTS} to reach ${total}`,
      async () => {
        const text = await scrape();
        return sumOf(text, REQUESTS) === total ? text : undefined;
      },
      FAST_POLL,
    );

  it('aggregates every worker: http_requests_total equals the requests sent, and /metrics/custom agrees', async () => {
    const pids = new Set<number>();
    for (let batch = 0; batch < 6; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => hitApp(`/work/${batch * 10 + i}`)),
      );
      for (const pid of answers) pids.add(pid);
    }
    expect(pids.size).toBe(2);

    const text = await scrapeUntilTotal(answered);
    expect(
      valueOf(text, REQUESTS, { method: 'GET', endpoint: '/work/:id', status_code: '200' }),
    ).toBe(60);
    expect(sumOf(text, 'http_request_duration_seconds_count')).toBe(60);
    expect(valueOf(text, 'database_operations_total', { table: 'work', status: 'success' })).toBe(
      60,
    );
    // Summed gauges: the whole machine is idle again. One app_info for the cluster.
    expect(sumOf(text, 'http_requests_in_progress')).toBe(0);
    expect(samplesOf(text, 'app_info')).toHaveLength(1);
    // Process gauges stay per worker.
    expect(labelValues(text, 'process_resident_memory_bytes', 'worker')).toEqual(['1', '2']);

    // The app's shared port, or a `port` option in the workers, would show one random worker; only
    // the primary serves the metrics.
    await expect(requestFresh(`http://127.0.0.1:${ignoredMetricsPort}/metrics`)).rejects.toThrow(
      /ECONNREFUSED/,
    );
    expect(primary?.output()).toContain(
      'The "port" option is ignored in workers of bootstrapCluster',
    );
    expect((await requestFresh(`${appUrl}/metrics`)).status).toBe(404);
    expect((await requestFresh(`${appUrl}/metrics/custom`)).status).toBe(404);

    const summary = JSON.parse(await scrape('/metrics/custom')) as {
      app: { name: string; version: string };
      http: { requests_total: number };
      database: { operations_total: number };
    };
    expect(summary.app).toEqual({ name: 'cluster-app', version: '1.0.0' });
    expect(summary.http.requests_total).toBe(60);
    expect(summary.database.operations_total).toBe(60);

    // The dashboard polls the aggregated summary beside it on the primary, never a worker's.
    const dashboard = await requestFresh(`${metricsUrl}/metrics/custom/dashboard`);
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers['content-type']).toBe('text/html; charset=utf-8');
    expect((await requestFresh(`${appUrl}/metrics/custom/dashboard`)).status).toBe(404);
  });

  it('counts a worker too slow for a scrape with what it last reported', async () => {
    const before = sumOf(await scrapeUntilTotal(answered), REQUESTS);
    let stallEnded: Promise<void> = Promise.resolve();
    const stalledPid = await new Promise<number>((resolve, reject) => {
      const request = httpGet(`${appUrl}/stall`, { agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        stallEnded = new Promise((ended) => response.on('end', ended));
        response.on('data', (chunk: string) => {
          body += chunk;
          // The first chunk is out: the worker is about to stall; scrape while it does.
          if (body === chunk) resolve(Number(/"pid":(\d+)/.exec(body)?.[1]));
        });
      });
      request.on('error', reject);
    });
    workerPids.add(stalledPid);

    const duringStall = await scrape();
    expect(sumOf(duringStall, REQUESTS)).toBe(before);
    // Its per-worker gauges are left out of that scrape; the other worker's are there.
    expect(labelValues(duringStall, 'process_resident_memory_bytes', 'worker')).toHaveLength(1);

    await stallEnded;
    answered++;
    expect(sumOf(await scrapeUntilTotal(answered), REQUESTS)).toBe(before + 1);
  });

  it("carries each series' newest exemplar from the workers into the OpenMetrics output", async () => {
    /** Each request continues a trace of the test's; the worker's server span answers its id. */
    const sent: Array<{ traceId: string; spanId: string; pid: number }> = [];
    for (let i = 0; i < 8; i++) {
      const traceId = randomBytes(16).toString('hex');
      const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
      const response = await requestFresh(`${appUrl}/work/traced-${i}`, {
        headers: { traceparent },
      });
      expect(response.status).toBe(200);
      answered++;
      const pid = (JSON.parse(response.body) as { pid: number }).pid;
      workerPids.add(pid);
      const [, answeredTrace, spanId] =
        /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(response.headers.traceresponse)) ?? [];
      expect(answeredTrace).toBe(traceId);
      sent.push({ traceId, spanId, pid });
    }
    expect(new Set(sent.map(({ pid }) => pid)).size).toBe(2);
    await scrapeUntilTotal(answered);

    const openMetrics = await requestFresh(`${metricsUrl}/metrics`, {
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(openMetrics.headers['content-type']).toContain('application/openmetrics-text');
    const series = { method: 'GET', endpoint: '/work/:id' };
    const last = sent[sent.length - 1];
    // The cluster's counter shows the newest exemplar of either worker: the last request's.
    const [counter] = samplesOf(openMetrics.body, 'http_requests_total', {
      ...series,
      status_code: '200',
    });
    expect(counter.exemplar).toMatchObject({
      labels: { trace_id: last.traceId, span_id: last.spanId },
      value: 1,
    });
    const buckets = samplesOf(openMetrics.body, 'http_request_duration_seconds_bucket', series);
    const bucketExemplars = buckets.flatMap(({ exemplar }) => (exemplar ? [exemplar.labels] : []));
    expect(bucketExemplars).toContainEqual({ trace_id: last.traceId, span_id: last.spanId });
    // Every exemplar names a span that served one of this suite's requests.
    const sentSpans = new Set(sent.map(({ spanId }) => spanId));
    for (const labels of bucketExemplars) {
      if (sentSpans.has(labels.span_id)) {
        expect(sent.find(({ spanId }) => spanId === labels.span_id)?.traceId).toBe(labels.trace_id);
      }
    }
    // The classic text format stays without exemplars.
    expect(parseExposition(await scrape()).filter(({ exemplar }) => exemplar)).toEqual([]);
  });

  it("keeps answering while a worker is killed, replaces it, and keeps the dead worker's counts", async () => {
    const workAnswered = (text: string) =>
      valueOf(text, REQUESTS, { method: 'GET', endpoint: '/work/:id', status_code: '200' });
    const workBefore = workAnswered(await scrapeUntilTotal(answered)) ?? 0;
    const before = new Set(workerPids);
    const victim = [...before][0];
    /** Requests given up on: lost with the dead worker, or a live worker's slow answer (then a 499). */
    let abandoned = 0;

    let scrapesDuringKill = 0;
    let scraping = true;
    const scrapeLoop = (async () => {
      while (scraping) {
        await scrape();
        scrapesDuringKill++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      process.kill(victim, 'SIGKILL');
      // Requests that reach the dying worker fail; only answered ones count on either side.
      const replacement = await pollUntil(
        'a replacement worker to answer',
        async () => {
          // A connection handed to the worker as it dies gets no answer; give up on it quickly.
          const pid = await hitApp('/pid', 1_000).catch(() => {
            abandoned++;
            return undefined;
          });
          return pid !== undefined && !before.has(pid) ? pid : undefined;
        },
        { ...FAST_POLL, attempts: 400 },
      );
      expect(replacement).not.toBe(victim);
    } finally {
      scraping = false;
      await scrapeLoop;
    }
    expect(scrapesDuringKill).toBeGreaterThan(0);

    for (let i = 0; i < 10; i++) await hitApp(`/work/after-${i}`);
    const text = await pollUntil(
      'the requests after the kill to be recorded',
      async () => {
        const current = await scrape();
        return workAnswered(current) === workBefore + 10 ? current : undefined;
      },
      FAST_POLL,
    );
    expect(workAnswered(text)).toBe(workBefore + 10);
    expect(sumOf(text, REQUESTS)).toBeGreaterThanOrEqual(answered);
    expect(sumOf(text, REQUESTS)).toBeLessThanOrEqual(answered + abandoned);
    expect(labelValues(text, 'process_resident_memory_bytes', 'worker')).toEqual(['1', '2']);
  });
});
