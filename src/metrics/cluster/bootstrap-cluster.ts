import { Logger } from '@nestjs/common';
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsAuthOptions } from '../interfaces/metrics-module-options.interface.js';
import { METRIC_NAMES } from '../metrics.constants.js';
import { dashboardPathOf } from '../dashboard/dashboard-path.js';
import { createMetricsRequestHandler } from '../serving/metrics-request-handler.js';
import { listen, type OwnListener } from '../serving/listen.js';
import { renderExposition } from '../exposition/exposition.js';
import { MetricsOptionsError } from '../options/resolve-options.js';
import { summarize } from '../exposition/summarize.js';
import {
  CLUSTER_WORKER_ENV,
  isScrapeReply,
  SCRAPE_REQUEST,
  type MetricSnapshot,
  type ScrapeReply,
  type ScrapeRequest,
} from './cluster-protocol.js';
import { carryNewestExemplars } from './cluster-exemplars.js';

/** How {@link bootstrapCluster} runs the workers and serves their metrics. */
export interface ClusterOptions {
  /**
   * Worker processes to keep running.
   * @default os.availableParallelism()
   */
  workers?: number;
  /** Port of the primary's metrics listener; `0` picks a free one (see `ClusterPrimary.metricsAddress`). */
  metricsPort: number;
  /**
   * Interface the metrics listener binds to.
   * @default undefined (every interface)
   */
  metricsHost?: string;
  /**
   * Route of the aggregated exposition on the metrics listener.
   * @default '/metrics'
   */
  path?: string;
  /**
   * Route of the aggregated JSON summary on the metrics listener.
   * @default '/metrics/custom'
   */
  customPath?: string;
  /**
   * Serves the dashboard page, as the module's `dashboard` option, at `customPath` + `/dashboard`.
   * @default false
   */
  dashboard?: boolean;
  /**
   * Credentials the metrics listener requires, as the module's `auth` option.
   * @default undefined (no protection)
   */
  auth?: MetricsAuthOptions;
  /**
   * Milliseconds a scrape waits for the workers; a worker that has not answered by then is left out
   * of that scrape.
   * @default 2000
   */
  scrapeTimeoutMs?: number;
}

/** The primary's handle on the cluster. */
export interface ClusterPrimary {
  /** Where the aggregated `/metrics` and `/metrics/custom` are served. */
  readonly metricsAddress: AddressInfo;
  /** Process ids of the workers alive now. */
  workerPids(): number[];
  /** Stops restarting workers, asks them to exit, and closes the metrics listener. */
  close(): Promise<void>;
}

/**
 * The module's gauges whose values add up across workers: requests in flight, open connections and
 * in-process queue lengths of the whole machine. Every other gauge (process memory, event-loop lag,
 * start time, user gauges) describes one process and is kept per worker under a `worker` label,
 * since a sum or an average would hide the one worker that leaks or stalls.
 */
const SUMMED_GAUGES: readonly string[] = [
  METRIC_NAMES.httpRequestsInProgress,
  METRIC_NAMES.activeConnections,
  METRIC_NAMES.queueSize,
];

/** Gauges that are the same in every worker and are exposed once. */
const SHARED_GAUGES: readonly string[] = [METRIC_NAMES.appInfo, 'nodejs_version_info'];

/** Label that tells workers' series apart; its value is the worker's slot, kept by its replacement. */
const WORKER_LABEL = 'worker';

/** A worker that dies this soon after its start is restarted after a pause instead of at once. */
const CRASH_LOOP_WINDOW_MS = 1_000;

/**
 * Runs `bootstrap` in each of several cluster workers and serves their metrics, aggregated, from the
 * primary. A scrape of the app's shared port lands on one random worker; a scrape of the primary's
 * metrics port asks every live worker for its registries (the module's own and prom-client's global
 * one) over IPC and aggregates them with prom-client's `AggregatorRegistry`: counters and histograms
 * are summed, gauges summed or kept per worker as described on each. A worker that dies is restarted
 * in its slot; the counters and histograms it had reported at the last scrape are kept, so the
 * cluster's totals never go down.
 *
 * In a worker, this only awaits `bootstrap` and resolves to `undefined`. The app's own `/metrics` and
 * `/metrics/custom` routes answer 404 there, since they could only show that one worker.
 *
 * @example
 * ```ts
 * // main.ts
 * await bootstrapCluster(
 *   async () => {
 *     const app = await NestFactory.create(AppModule);
 *     await app.listen(3000);
 *   },
 *   { workers: 4, metricsPort: 9464 },
 * );
 * ```
 * @throws MetricsOptionsError in the primary when an option is invalid.
 */
export async function bootstrapCluster(
  bootstrap: () => unknown,
  options: ClusterOptions,
): Promise<ClusterPrimary | undefined> {
  if (!cluster.isPrimary) {
    await bootstrap();
    return undefined;
  }
  const settings = clusterSettings(options);
  const primary = new PrimaryProcess(settings);
  await primary.start();
  return primary;
}

type ClusterSettings = Required<Omit<ClusterOptions, 'metricsHost' | 'auth'>> &
  Pick<ClusterOptions, 'metricsHost' | 'auth'>;

function clusterSettings(options: ClusterOptions): ClusterSettings {
  if (options === null || typeof options !== 'object') {
    throw new MetricsOptionsError('(cluster options)', 'must be an object with a metricsPort');
  }
  const workers = options.workers ?? availableParallelism();
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new MetricsOptionsError(
      'workers',
      `must be a whole number of at least 1, got ${String(workers)}`,
    );
  }
  const port = options.metricsPort;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MetricsOptionsError(
      'metricsPort',
      `must be a whole number from 0 to 65535, got ${String(port)}`,
    );
  }
  const scrapeTimeoutMs = options.scrapeTimeoutMs ?? 2_000;
  if (!Number.isSafeInteger(scrapeTimeoutMs) || scrapeTimeoutMs < 1) {
    throw new MetricsOptionsError(
      'scrapeTimeoutMs',
      `must be a whole number of at least 1, got ${String(scrapeTimeoutMs)}`,
    );
  }
  const path = options.path ?? '/metrics';
  const customPath = options.customPath ?? '/metrics/custom';
  for (const [option, value] of [
    ['path', path],
    ['customPath', customPath],
  ] as const) {
    if (typeof value !== 'string' || !value.startsWith('/')) {
      throw new MetricsOptionsError(
        option,
        `must be a path starting with "/", got ${String(value)}`,
      );
    }
  }
  const dashboard = options.dashboard ?? false;
  if (typeof dashboard !== 'boolean') {
    throw new MetricsOptionsError('dashboard', `must be true or false, got ${String(dashboard)}`);
  }
  return { ...options, workers, metricsPort: port, scrapeTimeoutMs, path, customPath, dashboard };
}

interface PendingScrape {
  readonly waitingFor: Set<number>;
  readonly replies: Map<number, ScrapeReply>;
  readonly done: () => void;
}

class PrimaryProcess implements ClusterPrimary {
  private readonly logger = new Logger('MetricsCluster');
  private readonly slots = new Map<number, { slot: number; startedAt: number }>();
  private readonly pending = new Map<number, PendingScrape>();
  /** Each live worker's counters and histograms as of its last answer. */
  private readonly lastCounts = new Map<number, MetricSnapshot[]>();
  /** The summed counters and histograms of workers that have died. */
  private retired: MetricSnapshot[] = [];
  private nextScrapeId = 0;
  /** The workers' prefix and default labels, as of the last answer; all workers run one app. */
  private renderOptions: Pick<ScrapeReply, 'prefix' | 'defaultLabels'> = {
    prefix: '',
    defaultLabels: {},
  };
  private closing = false;
  private listener?: OwnListener;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly settings: ClusterSettings) {}

  get metricsAddress(): AddressInfo {
    if (!this.listener) throw new Error('The cluster primary is not listening');
    return this.listener.address;
  }

  /** Listens first: a metrics port that is taken fails the start before any worker exists. */
  async start(): Promise<void> {
    const { path, customPath, dashboard, auth } = this.settings;
    const handler = createMetricsRequestHandler(
      {
        exposition: async (accept, acceptEncoding) => {
          const { registry, defaultLabels } = await this.aggregate();
          return renderExposition([registry], accept, acceptEncoding, defaultLabels);
        },
        summary: async () => {
          const { registry, prefix } = await this.aggregate();
          return summarize(await registry.getMetricsAsJSON(), prefix, process.uptime());
        },
      },
      {
        path,
        customPath,
        dashboardPath: dashboard ? dashboardPathOf(customPath) : undefined,
        auth,
      },
      (error) => this.logger.error(`Aggregating the workers' metrics failed: ${String(error)}`),
    );
    this.listener = await listen(handler, this.settings.metricsPort, this.settings.metricsHost);
    cluster.on('message', this.onMessage);
    cluster.on('exit', this.onExit);
    for (let slot = 1; slot <= this.settings.workers; slot++) this.fork(slot);
  }

  workerPids(): number[] {
    return Object.values(cluster.workers ?? {})
      .filter((worker): worker is Worker => worker !== undefined && !worker.isDead())
      .map((worker) => worker.process.pid)
      .filter((pid): pid is number => pid !== undefined);
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    const exits = Object.values(cluster.workers ?? {}).map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (!worker || worker.isDead()) return resolve();
          worker.once('exit', () => resolve());
          worker.process.kill('SIGTERM');
        }),
    );
    await Promise.all([...exits, this.listener?.close()]);
    cluster.off('message', this.onMessage);
    cluster.off('exit', this.onExit);
  }

  private fork(slot: number): void {
    const worker = cluster.fork({ [CLUSTER_WORKER_ENV]: '1' });
    this.slots.set(worker.id, { slot, startedAt: Date.now() });
  }

  private readonly onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    const entry = this.slots.get(worker.id);
    this.slots.delete(worker.id);
    this.retire(worker.id);
    for (const scrape of this.pending.values()) {
      if (scrape.waitingFor.delete(worker.id) && scrape.waitingFor.size === 0) scrape.done();
    }
    if (this.closing || !entry) return;
    this.logger.warn(
      `Worker ${worker.process.pid ?? '?'} (slot ${entry.slot}) exited (${signal ?? `code ${code}`}); starting another`,
    );
    const delay = Date.now() - entry.startedAt < CRASH_LOOP_WINDOW_MS ? CRASH_LOOP_WINDOW_MS : 0;
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (!this.closing) this.fork(entry.slot);
    }, delay);
    this.restartTimers.add(timer);
  };

  private readonly onMessage = (worker: Worker, message: unknown): void => {
    if (!isScrapeReply(message)) return;
    const scrape = this.pending.get(message.id);
    if (!scrape || !scrape.waitingFor.delete(worker.id)) return;
    scrape.replies.set(worker.id, message);
    if (scrape.waitingFor.size === 0) scrape.done();
  };

  /** Asks every live worker for its registries; resolves with the answers in by the timeout. */
  private collect(): Promise<Map<number, ScrapeReply>> {
    const id = this.nextScrapeId++;
    return new Promise((resolve) => {
      const scrape: PendingScrape = {
        waitingFor: new Set(),
        replies: new Map(),
        done: () => {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve(scrape.replies);
        },
      };
      const timer = setTimeout(scrape.done, this.settings.scrapeTimeoutMs);
      this.pending.set(id, scrape);
      const request: ScrapeRequest = { type: SCRAPE_REQUEST, id };
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (!worker?.isConnected() || !this.slots.has(worker.id)) continue;
        scrape.waitingFor.add(worker.id);
        worker.send(request, (error: Error | null) => {
          if (error && scrape.waitingFor.delete(worker.id) && scrape.waitingFor.size === 0)
            scrape.done();
        });
      }
      if (scrape.waitingFor.size === 0) scrape.done();
    });
  }

  private async aggregate(): Promise<{
    registry: Registry;
    prefix: string;
    defaultLabels: Record<string, string>;
  }> {
    const replies = await this.collect();
    const snapshots: MetricSnapshot[][] = [];
    for (const [workerId, reply] of replies) {
      const slot = this.slots.get(workerId)?.slot;
      if (slot === undefined) continue;
      this.renderOptions = { prefix: reply.prefix, defaultLabels: reply.defaultLabels };
      this.lastCounts.set(workerId, reply.metrics.filter(isCumulative));
      snapshots.push(reply.metrics.map((metric) => withAggregation(metric, reply.prefix, slot)));
    }
    // A live worker too slow for this scrape still counts with what it last reported, so that the
    // cluster's counters do not dip, which Prometheus would read as a reset.
    for (const [workerId, counts] of this.lastCounts) {
      if (!replies.has(workerId) && this.slots.has(workerId)) snapshots.push(counts);
    }
    if (this.retired.length > 0) snapshots.push(this.retired);
    const registry: Registry = AggregatorRegistry.aggregate(snapshots);
    carryNewestExemplars(registry, snapshots);
    return { registry, ...this.renderOptions };
  }

  private retire(workerId: number): void {
    const counts = this.lastCounts.get(workerId);
    this.lastCounts.delete(workerId);
    if (!counts) return;
    const merged = AggregatorRegistry.aggregate([this.retired, counts]);
    // The aggregated registry's metrics are plain objects; their `get()` returns the merged values.
    this.retired = merged
      .getMetricsAsArray()
      .map((metric) => (metric as unknown as { get(): MetricSnapshot }).get());
  }
}

function isCumulative(metric: MetricSnapshot): boolean {
  const type: unknown = metric.type;
  return type === 'counter' || type === 'histogram';
}

/** Sets how a worker's metric combines with the other workers', labelling per-worker series. */
function withAggregation(metric: MetricSnapshot, prefix: string, slot: number): MetricSnapshot {
  const unprefixed = metric.name.startsWith(prefix)
    ? metric.name.slice(prefix.length)
    : metric.name;
  if (isCumulative(metric) || SUMMED_GAUGES.includes(unprefixed))
    return { ...metric, aggregator: 'sum' };
  if (SHARED_GAUGES.includes(unprefixed)) return { ...metric, aggregator: 'first' };
  const worker = String(slot);
  return {
    ...metric,
    aggregator: 'sum',
    values: metric.values.map((value) => ({
      ...value,
      labels: { ...value.labels, [WORKER_LABEL]: worker },
    })),
  };
}
