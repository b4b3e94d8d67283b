import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import {
  register as globalRegistry,
  type Counter,
  type Gauge,
  type Histogram,
  type LabelValues,
  type Registry,
} from 'prom-client';
import { METRIC_NAMES, RESOLVED_METRICS_OPTIONS } from './metrics.constants.js';
import type { ResolvedMetricsOptions } from './interfaces/metrics-module-options.interface.js';
import type { MetricsSummary } from './interfaces/metrics-summary.interface.js';
import { createMetricSet, type MetricSet } from './metric-set.js';
import { HttpRequestTracker } from './transports/http/http-request-tracker.js';
import { loadHttpPlatform } from './transports/http/load-http-platform.js';
import { markException } from './transports/http/request-state.js';
import { activateMetricsService, deactivateMetricsService } from './utils/active-metrics.js';
import { renderExposition, type Exposition } from './utils/exposition.js';
import { InstrumentationErrors } from './utils/instrumentation-errors.js';
import { SeriesCache } from './utils/series-cache.js';
import { CardinalityGuard } from './utils/cardinality-guard.js';
import { answerClusterScrapes } from './cluster/cluster-worker.js';
import { isAggregatedClusterWorker } from './cluster/cluster-protocol.js';
import { PushgatewayPusher } from './push/pushgateway-pusher.js';
import { createMetricsRequestHandler } from './serving/metrics-request-handler.js';
import { listen, type OwnListener } from './serving/listen.js';
import type { AddressInfo } from 'node:net';
import {
  counterSeries,
  histogramSeries,
  type CounterSeries,
  type HistogramSeries,
} from './utils/buffered-series.js';
import { assertDuration, assertLabel, assertOneOf } from './utils/assert-argument.js';
import { summarize } from './utils/summarize.js';

export type Outcome = 'success' | 'error';
export type BackgroundTaskStatus = 'started' | 'succeeded' | 'failed';
export type QueueSampler = () => number | Promise<number>;

/** A queue sampler that has not answered by then is skipped for that scrape rather than stall it. */
const QUEUE_SAMPLE_TIMEOUT_MS = 1000;

interface QueueSource {
  sampler?: QueueSampler;
  size?: number;
}

/**
 * The module's recording API and registry. Inject it to record what a decorator cannot reach, to
 * register queues, or to read the summary.
 *
 * @example
 * ```ts
 * constructor(private readonly metrics: MetricsService) {
 *   metrics.registerQueue('emails', () => this.queue.length);
 * }
 * ```
 */
@Injectable()
export class MetricsService
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  /** @internal */
  readonly errors = new InstrumentationErrors();
  /** @internal */
  readonly metrics: MetricSet;
  private readonly http: HttpRequestTracker;
  private readonly queues = new Map<string, QueueSource>();
  private readonly dbOperations: SeriesCache<OutcomeSeries>;
  private readonly cacheResults: SeriesCache<CounterSeries>;
  private readonly backgroundTasks: SeriesCache<ReturnType<MetricsService['createTaskSeries']>>;
  private readonly externalCalls: SeriesCache<OutcomeSeries>;
  private readonly authEvents: SeriesCache<CounterSeries>;
  private readonly cardinality: CardinalityGuard;
  private listener?: OwnListener;
  private pusher?: PushgatewayPusher;
  private stopAnsweringCluster?: () => void;

  constructor(
    @Inject(RESOLVED_METRICS_OPTIONS) readonly options: ResolvedMetricsOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.metrics = createMetricSet(options, {
      sampleInProgress: (gauge) => this.http.sampleInProgress(gauge),
      sampleActiveConnections: (gauge) => this.http.sampleActiveConnections(gauge),
      sampleQueues: (gauge) => this.sampleQueues(gauge),
    });
    this.cardinality = new CardinalityGuard(
      options.maxSeriesPerMetric,
      this.metrics.seriesDroppedTotal,
    );
    for (const metric of this.metrics.registry.getMetricsAsArray())
      this.cardinality.protect(metric);
    this.http = new HttpRequestTracker(this.metrics, options, this.errors);
    const m = this.metrics;
    const capacity = options.maxSeriesPerMetric;
    this.dbOperations = new SeriesCache(
      ([operation, table]) =>
        outcomeSeries(m.dbOperationsTotal, m.dbOperationDuration, { operation, table }),
      capacity,
    );
    this.cacheResults = new SeriesCache(
      ([cache, operation, result]) =>
        counterSeries(m.cacheOperationsTotal, { cache, operation, result }),
      capacity,
    );
    this.backgroundTasks = new SeriesCache(
      ([taskType]) => this.createTaskSeries(taskType),
      capacity,
    );
    this.externalCalls = new SeriesCache(
      ([service, operation]) =>
        outcomeSeries(m.externalCallsTotal, m.externalCallDuration, { service, operation }),
      capacity,
    );
    this.authEvents = new SeriesCache(
      ([event, result]) => counterSeries(m.authEventsTotal, { event, result }),
      capacity,
    );
  }

  /** The module's own registry. Metrics made with `@willsoto/nestjs-prometheus` providers live in prom-client's global one; `/metrics` exposes both. */
  get registry(): Registry {
    return this.metrics.registry;
  }

  /** False when disabled by the `enabled` option or the environment; every record method is then a no-op. */
  get enabled(): boolean {
    return this.options.enabled;
  }

  /**
   * False when the metrics endpoints must not answer on the app's own port: they have a listener of
   * their own (the `port` option), or a cluster primary serves them for all workers.
   * @internal
   */
  get servesEndpointsOnAppPort(): boolean {
    return !this.options.listener && !isAggregatedClusterWorker();
  }

  /**
   * Where the separate metrics listener (the `port` option) listens, once the app has bootstrapped;
   * `undefined` without that option.
   */
  get listenerAddress(): AddressInfo | undefined {
    return this.listener?.address;
  }

  async onModuleInit(): Promise<void> {
    if (!this.options.enabled) return;
    await this.attachHttp();
    activateMetricsService(this);
    this.stopAnsweringCluster = answerClusterScrapes(
      [this.metrics.registry, globalRegistry],
      { prefix: this.options.prefix, defaultLabels: { ...this.options.defaultLabels } },
      this.errors,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.enabled) return;
    this.http.bootstrapped();
    this.protectGlobalMetrics();
    const { listener, pushgateway, path, customPath, auth } = this.options;
    if (listener && isAggregatedClusterWorker()) {
      // Every worker would share the one port and a scrape would reach a random worker.
      new Logger('MetricsModule').warn(
        'The "port" option is ignored in workers of bootstrapCluster; its metricsPort serves them all',
      );
    } else if (listener) {
      const handler = createMetricsRequestHandler(this, { path, customPath, auth }, (error) =>
        this.errors.report('the metrics listener', error),
      );
      this.listener = await listen(handler, listener.port, listener.host);
    }
    if (pushgateway) {
      this.pusher = new PushgatewayPusher(pushgateway, async () => (await this.exposition()).text);
      this.pusher.start();
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stop();
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  /** The last push happens here, after every module's destroy hooks have recorded what they do. */
  async onApplicationShutdown(): Promise<void> {
    this.stop();
    const pusher = this.pusher;
    this.pusher = undefined;
    await pusher?.stop();
  }

  /**
   * Counts one database operation and, when given, times it.
   * @throws TypeError when a label is empty or the duration is not a finite, non-negative number.
   */
  recordDbOperation(
    operation: string,
    table: string,
    outcome: Outcome,
    durationSeconds?: number,
  ): void {
    assertLabel('MetricsService.recordDbOperation', 'operation', operation);
    assertLabel('MetricsService.recordDbOperation', 'table', table);
    assertOneOf('MetricsService.recordDbOperation', 'outcome', outcome, OUTCOMES);
    assertDuration('MetricsService.recordDbOperation', durationSeconds);
    if (!this.options.enabled) return;
    const series = this.dbOperations.get(operation, table);
    (outcome === 'success' ? series.succeeded : series.failed).inc();
    if (durationSeconds !== undefined) series.duration.observe(durationSeconds);
  }

  /**
   * Counts one cache lookup as a hit or a miss.
   * @throws TypeError when a label is empty or the result is not `hit` or `miss`.
   */
  recordCacheOperation(cache: string, result: 'hit' | 'miss', operation = 'get'): void {
    assertLabel('MetricsService.recordCacheOperation', 'cache', cache);
    assertOneOf('MetricsService.recordCacheOperation', 'result', result, CACHE_RESULTS);
    assertLabel('MetricsService.recordCacheOperation', 'operation', operation);
    if (!this.options.enabled) return;
    this.cacheResults.get(cache, operation, result).inc();
  }

  /**
   * Counts a background task's start, success or failure; a finished task may carry its duration.
   * @throws TypeError when the task type is empty, the status unknown or the duration invalid.
   */
  recordBackgroundTask(
    taskType: string,
    status: BackgroundTaskStatus,
    durationSeconds?: number,
  ): void {
    assertLabel('MetricsService.recordBackgroundTask', 'taskType', taskType);
    assertOneOf('MetricsService.recordBackgroundTask', 'status', status, TASK_STATUSES);
    assertDuration('MetricsService.recordBackgroundTask', durationSeconds);
    if (!this.options.enabled) return;
    const series = this.backgroundTasks.get(taskType);
    series.count[status].inc();
    if (durationSeconds !== undefined && status !== 'started') {
      series.duration[status].observe(durationSeconds);
    }
  }

  /**
   * Counts one call to an external service and, when given, times it.
   * @throws TypeError when a label is empty or the duration invalid.
   */
  recordExternalCall(
    service: string,
    operation: string,
    outcome: Outcome,
    durationSeconds?: number,
  ): void {
    assertLabel('MetricsService.recordExternalCall', 'service', service);
    assertLabel('MetricsService.recordExternalCall', 'operation', operation);
    assertOneOf('MetricsService.recordExternalCall', 'outcome', outcome, OUTCOMES);
    assertDuration('MetricsService.recordExternalCall', durationSeconds);
    if (!this.options.enabled) return;
    const series = this.externalCalls.get(service, operation);
    (outcome === 'success' ? series.succeeded : series.failed).inc();
    if (durationSeconds !== undefined) series.duration.observe(durationSeconds);
  }

  /**
   * Counts one authentication event.
   * @throws TypeError when the event is empty or the result is not `success` or `failure`.
   */
  recordAuthEvent(event: string, result: 'success' | 'failure'): void {
    assertLabel('MetricsService.recordAuthEvent', 'event', event);
    assertOneOf('MetricsService.recordAuthEvent', 'result', result, AUTH_RESULTS);
    if (!this.options.enabled) return;
    this.authEvents.get(event, result).inc();
  }

  /**
   * Counts the exception that ends this request in `http_exceptions_total`. Only needed in an exception
   * filter of your own that handles exceptions before the module's filter sees them.
   */
  recordException(response: unknown, exception: unknown): void {
    markException(response, exception);
  }

  /**
   * Samples a queue's length at every scrape into `queue_size{queue=name}`. Registering a name again
   * replaces its sampler.
   * @throws TypeError when the name is empty or the sampler is not a function.
   */
  registerQueue(name: string, sampler: QueueSampler): void {
    assertLabel('MetricsService.registerQueue', 'name', name);
    if (typeof sampler !== 'function') {
      throw new TypeError(
        `MetricsService.registerQueue: "sampler" must be a function, got ${typeof sampler}`,
      );
    }
    this.setQueueSource(name, { sampler });
  }

  /** Stops sampling a queue; its series disappears from the next scrape. */
  unregisterQueue(name: string): void {
    this.queues.delete(name);
  }

  /**
   * Sets a queue's length directly, for queues that report their size as it changes.
   * @throws TypeError when the name is empty or the size is not a finite, non-negative number.
   */
  setQueueSize(name: string, size: number): void {
    assertLabel('MetricsService.setQueueSize', 'name', name);
    if (typeof size !== 'number' || !Number.isFinite(size) || size < 0) {
      throw new TypeError(
        `MetricsService.setQueueSize: "size" must be a finite number >= 0, got ${String(size)}`,
      );
    }
    this.setQueueSource(name, { size });
  }

  /** The `/metrics/custom` summary, computed from one snapshot of the registry. */
  async summary(): Promise<MetricsSummary> {
    const snapshot = await this.metrics.registry.getMetricsAsJSON();
    return summarize(snapshot, this.options.prefix, process.uptime());
  }

  /**
   * The exposition of the module's registry and of prom-client's global one, in the format and
   * encoding the request's `Accept` and `Accept-Encoding` headers ask for.
   */
  exposition(accept?: string, acceptEncoding?: string): Promise<Exposition> {
    this.protectGlobalMetrics();
    return renderExposition(
      [this.metrics.registry, globalRegistry],
      accept,
      acceptEncoding,
      this.options.defaultLabels,
    );
  }

  /** Queue names count against `maxSeriesPerMetric` like any label value; past it a new name is dropped. */
  private setQueueSource(name: string, source: QueueSource): void {
    if (this.queues.has(name) || this.queues.size < this.options.maxSeriesPerMetric) {
      this.queues.set(name, source);
      return;
    }
    this.cardinality.dropped(`${this.options.prefix}${METRIC_NAMES.queueSize}`);
  }

  /** Instruments the app's HTTP platform, loading only that platform's part of the library. */
  private async attachHttp(): Promise<void> {
    const adapter = this.adapterHost?.httpAdapter;
    const server = adapter?.getHttpServer() as Server | undefined;
    if (!adapter || !server || typeof server.prependListener !== 'function') return;
    const type = adapter.getType();
    const platform = await loadHttpPlatform(type);
    if (!platform) {
      new Logger('MetricsModule').warn(
        `HTTP requests are not recorded: the "${type}" HTTP platform is not supported (express and fastify are)`,
      );
      return;
    }
    this.http.use({ server, instance: adapter.getInstance(), platform }).attach();
  }

  private stop(): void {
    deactivateMetricsService(this);
    this.http.detach();
    this.stopAnsweringCluster?.();
    this.stopAnsweringCluster = undefined;
  }

  /** Caps user metrics in prom-client's global registry too; ones registered later are caught at the next scrape. */
  private protectGlobalMetrics(): void {
    if (!this.options.enabled) return;
    for (const metric of globalRegistry.getMetricsAsArray()) this.cardinality.protect(metric);
  }

  private async sampleQueues(gauge: Gauge<'queue'>): Promise<void> {
    gauge.reset();
    await Promise.all(
      [...this.queues].map(async ([name, source]) => {
        const size = source.sampler ? await this.sampleQueue(name, source.sampler) : source.size;
        if (size !== undefined) gauge.set({ queue: name }, size);
      }),
    );
  }

  private async sampleQueue(name: string, sampler: QueueSampler): Promise<number | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`sampler did not answer within ${QUEUE_SAMPLE_TIMEOUT_MS} ms`)),
          QUEUE_SAMPLE_TIMEOUT_MS,
        );
      });
      const size = await Promise.race([Promise.resolve().then(sampler), timeout]);
      if (typeof size !== 'number' || !Number.isFinite(size) || size < 0) {
        throw new TypeError(`sampler returned ${String(size)}, not a finite number >= 0`);
      }
      return size;
    } catch (error) {
      this.errors.report(`the sampler of queue "${name}"`, error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private createTaskSeries(taskType: string) {
    const m = this.metrics;
    const count = (status: BackgroundTaskStatus) =>
      counterSeries(m.backgroundTasksTotal, { task_type: taskType, status });
    const duration = (status: BackgroundTaskStatus) =>
      histogramSeries(m.backgroundTaskDuration, { task_type: taskType, status });
    return {
      count: { started: count('started'), succeeded: count('succeeded'), failed: count('failed') },
      duration: { succeeded: duration('succeeded'), failed: duration('failed') },
    };
  }
}

const OUTCOMES: readonly string[] = ['success', 'error'];
const CACHE_RESULTS: readonly string[] = ['hit', 'miss'];
const TASK_STATUSES: readonly string[] = ['started', 'succeeded', 'failed'];
const AUTH_RESULTS: readonly string[] = ['success', 'failure'];

/** The success and error counts and the duration of one operation, as db and external calls record them. */
interface OutcomeSeries {
  readonly succeeded: CounterSeries;
  readonly failed: CounterSeries;
  readonly duration: HistogramSeries;
}

function outcomeSeries<L extends string>(
  counter: Counter<L | 'status'>,
  histogram: Histogram<L>,
  labels: Record<L, string>,
): OutcomeSeries {
  return {
    succeeded: counterSeries(counter, { ...labels, status: 'success' } as LabelValues<
      L | 'status'
    >),
    failed: counterSeries(counter, { ...labels, status: 'error' } as LabelValues<L | 'status'>),
    duration: histogramSeries(histogram, labels as LabelValues<L>),
  };
}
