import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Gauge } from 'prom-client';
import {
  CLIENT_CLOSED_REQUEST_STATUS,
  OTHER_METHOD,
  STANDARD_HTTP_METHODS,
  UNMATCHED_ENDPOINT,
} from '../../metrics.constants.js';
import type { ResolvedMetricsOptions } from '../../interfaces/metrics-module-options.interface.js';
import type { MetricSet } from '../../metric-set.js';
import {
  counterSeries,
  histogramSeries,
  type CounterSeries,
  type HistogramSeries,
} from '../../utils/buffered-series.js';
import type { InstrumentationErrors } from '../../utils/instrumentation-errors.js';
import type { TransportInstrumentation } from '../transport-instrumentation.interface.js';
import type { HttpPlatform } from './http-platform.interface.js';
import { REQUEST_STATE, type RequestState, type TrackedResponse } from './request-state.js';

type HttpLabels = 'method' | 'endpoint';

/** The prom-client children of one (method, endpoint) pair, created once and reused by every request. */
interface MethodSeries {
  readonly method: string;
  readonly endpoint: string;
  readonly duration: HistogramSeries;
  readonly requestSize: HistogramSeries;
  readonly responseSize: HistogramSeries;
  readonly inProgress?: Gauge.Internal<HttpLabels>;
  readonly responsesByStatus: Map<number, CounterSeries>;
}

/** The series of one endpoint, by normalised method. */
interface RouteSeries {
  readonly endpoint: string;
  readonly byMethod: Map<string, MethodSeries>;
}

/** The app's server and instance, and the platform that knows how its routes are matched. */
export interface HttpTarget {
  readonly server: Server;
  /** The platform's own app instance: Express's app or Fastify's instance. */
  readonly instance: unknown;
  readonly platform: HttpPlatform;
}

/**
 * Records every HTTP response exactly once, on any platform: the one place where a finished response
 * becomes metrics. The platform (Express, Fastify) only says which route answered.
 *
 * It listens to the server's `request` event ahead of the platform rather than using a Nest
 * interceptor: interceptors never see requests that a guard, a body parser or the router rejects, and
 * the response's `close` event is the one signal that fires for every response, finished or
 * abandoned. The endpoint label is read from the platform's matched route at that moment, so it is
 * always a template, never a path.
 */
export class HttpRequestTracker implements TransportInstrumentation {
  private readonly inFlight = new Set<TrackedResponse>();
  /** Keyed by the platform's route object; `null` marks a route excluded by `excludePaths`. */
  private readonly seriesByRoute = new Map<object, RouteSeries | null>();
  private readonly unmatchedSeries: RouteSeries = {
    endpoint: UNMATCHED_ENDPOINT,
    byMethod: new Map(),
  };
  private readonly allSeries: MethodSeries[] = [];
  private target?: HttpTarget;

  constructor(
    private readonly metrics: MetricSet,
    private readonly options: ResolvedMetricsOptions,
    private readonly errors: InstrumentationErrors,
  ) {}

  /** Chooses the app to record; `attach()` starts recording it. */
  use(target: HttpTarget | undefined): this {
    this.detach();
    this.target = target;
    return this;
  }

  /** Starts recording the server's requests. Listening first means the clock starts on arrival. */
  attach(): void {
    const target = this.target;
    if (!target) return;
    target.server.prependListener('request', this.onRequest);
    target.platform.attach(target.instance);
  }

  bootstrapped(): void {
    this.target?.platform.bootstrapped?.(this.target.instance);
  }

  detach(): void {
    const target = this.target;
    if (target) {
      target.server.removeListener('request', this.onRequest);
      target.platform.detach();
    }
    this.inFlight.clear();
  }

  /** Sets the in-progress gauge from the requests in flight right now; runs at scrape time only. */
  sampleInProgress(gauge: Gauge<HttpLabels>): void {
    if (!this.options.inProgressLabels) {
      let count = 0;
      for (const response of this.inFlight) {
        if (!response[REQUEST_STATE]?.unrecorded) count++;
      }
      gauge.set(count);
      return;
    }
    // Series seen before drop back to 0 instead of vanishing, so graphs and alerts see the return to idle.
    for (const series of this.allSeries) series.inProgress?.set(0);
    for (const response of this.inFlight) {
      if (response[REQUEST_STATE]?.unrecorded) continue;
      this.seriesFor(response.req, response[REQUEST_STATE])?.inProgress?.inc();
    }
  }

  async sampleActiveConnections(gauge: Gauge): Promise<void> {
    const server = this.target?.server;
    if (!server) {
      gauge.set(0);
      return;
    }
    const count = await new Promise<number>((resolve) =>
      server.getConnections((error, connections) => resolve(error ? 0 : connections)),
    );
    gauge.set(count);
  }

  private readonly onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    try {
      if (this.isExcludedPath(request.url)) return;
      const state: RequestState = {
        startedAt: performance.now(),
        socketBytesBefore: request.socket?.bytesWritten ?? 0,
        unrecorded: false,
        platformRequest: undefined,
        finish: this.finish,
      };
      (response as TrackedResponse)[REQUEST_STATE] = state;
      this.inFlight.add(response as TrackedResponse);
      response.on('close', onResponseClose);
    } catch (error) {
      this.errors.report('the HTTP request hook', error);
    }
  };

  private readonly finish = (response: TrackedResponse, state: RequestState): void => {
    this.inFlight.delete(response);
    if (state.unrecorded) return;
    try {
      const request = response.req;
      const series = this.seriesFor(request, state);
      if (!series) return;
      // An abandoned response never reached the client, whatever status the handler had set.
      const delivered = response.writableFinished;
      const status = delivered ? response.statusCode : CLIENT_CLOSED_REQUEST_STATUS;
      this.responseCounter(series, status).inc();
      series.duration.observe((performance.now() - state.startedAt) / 1000);
      series.requestSize.observe(declaredLength(request.headers['content-length']) ?? 0);
      const responseSize = delivered ? responseBodySize(request, response, state) : undefined;
      if (responseSize !== undefined) series.responseSize.observe(responseSize);
      if (state.exceptionType !== undefined) {
        this.metrics.httpExceptionsTotal.inc({
          exception_type: state.exceptionType,
          method: series.method,
          endpoint: series.endpoint,
          status_code: this.statusLabel(status),
        });
      }
    } catch (error) {
      this.errors.report('the HTTP response hook', error);
    }
  };

  private seriesFor(
    request: IncomingMessage,
    state: RequestState | undefined,
  ): MethodSeries | undefined {
    const platform = this.target?.platform;
    const route = platform && state ? platform.routeOf(request, state) : undefined;
    let routeSeries: RouteSeries | null | undefined = this.unmatchedSeries;
    if (route) {
      routeSeries = this.seriesByRoute.get(route);
      if (routeSeries === undefined) {
        routeSeries = this.newRouteSeries(platform!.templateOf(route));
        this.seriesByRoute.set(route, routeSeries);
      }
      if (routeSeries === null) return undefined;
    }
    const method = normalizeMethod(request.method);
    let series = routeSeries.byMethod.get(method);
    if (!series) {
      series = this.createSeries(method, routeSeries.endpoint);
      routeSeries.byMethod.set(method, series);
    }
    return series;
  }

  /** A not-found route shares the unmatched requests' series; an excluded route has none (`null`). */
  private newRouteSeries(template: string | undefined): RouteSeries | null {
    if (template === undefined) return this.unmatchedSeries;
    if (this.options.excludePaths.has(template)) return null;
    return { endpoint: template, byMethod: new Map() };
  }

  private createSeries(method: string, endpoint: string): MethodSeries {
    const labels = { method, endpoint };
    const series: MethodSeries = {
      method,
      endpoint,
      duration: histogramSeries(this.metrics.httpRequestDuration, labels),
      requestSize: histogramSeries(this.metrics.httpRequestSize, labels),
      responseSize: histogramSeries(this.metrics.httpResponseSize, labels),
      inProgress: this.options.inProgressLabels
        ? this.metrics.httpRequestsInProgress.labels(labels)
        : undefined,
      responsesByStatus: new Map(),
    };
    this.allSeries.push(series);
    return series;
  }

  private responseCounter(series: MethodSeries, status: number) {
    let counter = series.responsesByStatus.get(status);
    if (!counter) {
      counter = counterSeries(this.metrics.httpRequestsTotal, {
        method: series.method,
        endpoint: series.endpoint,
        status_code: this.statusLabel(status),
      });
      series.responsesByStatus.set(status, counter);
    }
    return counter;
  }

  private statusLabel(status: number): string {
    return this.options.groupStatusCodes ? `${Math.floor(status / 100)}xx` : String(status);
  }

  private isExcludedPath(url: string | undefined): boolean {
    const { excludePaths, excludePatterns } = this.options;
    if (excludePaths.size === 0 && excludePatterns.length === 0) return false;
    const raw = url ?? '/';
    const queryStart = raw.indexOf('?');
    const path = queryStart === -1 ? raw : raw.slice(0, queryStart);
    if (excludePaths.has(path)) return true;
    for (const pattern of excludePatterns) if (pattern.test(path)) return true;
    return false;
  }
}

/** One shared listener for every response; `this` is the response, so no closure per request. */
function onResponseClose(this: TrackedResponse): void {
  const state = this[REQUEST_STATE];
  if (state) state.finish(this, state);
}

function normalizeMethod(method: string | undefined): string {
  return method !== undefined && STANDARD_HTTP_METHODS.has(method) ? method : OTHER_METHOD;
}

function declaredLength(header: number | string | string[] | undefined): number | undefined {
  if (typeof header === 'number') return header >= 0 ? header : undefined;
  if (typeof header !== 'string' || !/^\d{1,15}$/.test(header)) return undefined;
  return Number(header);
}

/**
 * The body's size: its Content-Length when declared (Nest declares it for every JSON or text body);
 * otherwise, for streamed bodies, the bytes written to the socket after the header block.
 */
function responseBodySize(
  request: IncomingMessage,
  response: ServerResponse,
  state: RequestState,
): number | undefined {
  if (request.method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304)
    return 0;
  const declared = declaredLength(
    response.getHeader('content-length') as string | number | undefined,
  );
  if (declared !== undefined) return declared;
  const socket = request.socket;
  if (!socket) return undefined;
  const headerBlock = (response as ServerResponse & { _header?: string | null })._header;
  const headerBytes =
    typeof headerBlock === 'string' ? Buffer.byteLength(headerBlock, 'latin1') : 0;
  return Math.max(0, socket.bytesWritten - state.socketBytesBefore - headerBytes);
}
