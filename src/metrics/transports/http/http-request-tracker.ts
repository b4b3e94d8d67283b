import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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
} from '../../recording/buffered-series.js';
import type { InstrumentationErrors } from '../../recording/instrumentation-errors.js';
import type { TransportInstrumentation } from '../transport-instrumentation.interface.js';
import type { HttpPlatform } from './http-platform.interface.js';
import { RequestLabelResolver } from '../../request-labels/request-label-resolver.js';
import type { ExemplarReader } from '../../exemplars/trace-exemplars.js';
import {
  enqueueRequest,
  requestsOn,
  unwatchSocket,
  watchSocket,
  type RequestRecorder,
  type RequestState,
} from './request-state.js';
import { watchFinishedResponses } from './response-finish-channel.js';

type HttpLabels = 'method' | 'endpoint';

/** The prom-client children of one (method, endpoint) pair, created once and reused by every request. */
interface MethodSeries {
  readonly method: string;
  readonly endpoint: string;
  /** Values of the `httpLabels` option; empty without it. */
  readonly requestLabels: Readonly<Record<string, string>>;
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
 * interceptor: interceptors never see requests that a guard, a body parser or the router rejects. A
 * response is recorded when Node reports it sent (the `http.server.response.finish` channel), or, if
 * it never is, when its connection closes: between them they see every response, finished or
 * abandoned, with no listener added per request. The endpoint label is read from the platform's
 * matched route at that moment, so it is always a template, never a path.
 */
export class HttpRequestTracker implements TransportInstrumentation, RequestRecorder {
  /** Connections that carried a request, until they close: the in-flight requests are queued on them. */
  private readonly sockets = new Set<Socket>();
  private stopWatchingResponses?: () => void;
  /** Keyed by the platform's route object; `null` marks a route excluded by `excludePaths`. */
  private readonly seriesByRoute = new Map<object, RouteSeries | null>();
  private readonly unmatchedSeries: RouteSeries = {
    endpoint: UNMATCHED_ENDPOINT,
    byMethod: new Map(),
  };
  /** Responses no route matched, by the label the platform gives them (`<unmatched>` among them). */
  private readonly routelessSeries = new Map<string, RouteSeries>([
    [UNMATCHED_ENDPOINT, this.unmatchedSeries],
  ]);
  private readonly allSeries: MethodSeries[] = [];
  private target?: HttpTarget;
  private readonly requestLabels: RequestLabelResolver;
  private readExemplar?: ExemplarReader;

  constructor(
    private readonly metrics: MetricSet,
    private readonly options: ResolvedMetricsOptions,
    private readonly errors: InstrumentationErrors,
  ) {
    this.requestLabels = new RequestLabelResolver(options.httpLabels, errors);
  }

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
    this.stopWatchingResponses = watchFinishedResponses();
    target.platform.attach(target.instance);
  }

  bootstrapped(): void {
    this.target?.platform.bootstrapped?.(this.target.instance);
  }

  /** Links each request's duration and count to its trace from now on; `undefined` stops it. */
  useExemplars(reader: ExemplarReader | undefined): void {
    this.readExemplar = reader;
  }

  detach(): void {
    const target = this.target;
    if (target) {
      target.server.removeListener('request', this.onRequest);
      target.platform.detach();
    }
    this.stopWatchingResponses?.();
    this.stopWatchingResponses = undefined;
    for (const socket of this.sockets) unwatchSocket(socket);
    this.sockets.clear();
  }

  /** Sets the in-progress gauge from the requests in flight right now; runs at scrape time only. */
  sampleInProgress(gauge: Gauge<HttpLabels>): void {
    if (!this.options.inProgressLabels) {
      let count = 0;
      for (const state of this.inFlightRequests()) if (!state.unrecorded) count++;
      gauge.set(count);
      return;
    }
    // Series seen before drop back to 0 instead of vanishing, so graphs and alerts see the return to idle.
    for (const series of this.allSeries) series.inProgress?.set(0);
    for (const state of this.inFlightRequests()) {
      if (!state.unrecorded) this.seriesFor(state.request, state)?.inProgress?.inc();
    }
  }

  private *inFlightRequests(): Generator<RequestState> {
    for (const socket of this.sockets) yield* requestsOn(socket);
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
      if (this.isExcludedPath(request)) return;
      const socket = request.socket;
      const state: RequestState = {
        request,
        response,
        startedAt: performance.now(),
        socketBytesBefore: socket.bytesWritten ?? 0,
        exceptionType: undefined,
        // OpenTelemetry's HTTP instrumentation starts the server span around this event.
        exemplar: this.readExemplar?.(),
        unrecorded: false,
        platformRequest: undefined,
        recorder: this,
        next: undefined,
      };
      // Once per connection, not per request: keep-alive connections carry many requests.
      if (watchSocket(socket, this)) this.sockets.add(socket);
      enqueueRequest(socket, state);
    } catch (error) {
      this.errors.report('the HTTP request hook', error);
    }
  };

  /** The requests still queued on a closed connection were abandoned before their answer was sent. */
  connectionClosed(socket: Socket, abandoned: RequestState | undefined): void {
    this.sockets.delete(socket);
    for (let state = abandoned; state; state = state.next) this.finish(state, false);
  }

  finish(state: RequestState, delivered: boolean): void {
    if (state.unrecorded) return;
    try {
      const { request, response } = state;
      // An abandoned response never reached the client, whatever status the handler had set.
      const status = delivered ? response.statusCode : CLIENT_CLOSED_REQUEST_STATUS;
      const series = this.seriesFor(request, state, status);
      if (!series) return;
      // A span started later, by a middleware, is active where the handler ends the response, which
      // is the async context Node reports the finished response in.
      const exemplar = state.exemplar ?? this.readExemplar?.();
      this.responseCounter(series, status).inc(exemplar);
      series.duration.observe((performance.now() - state.startedAt) / 1000, exemplar);
      series.requestSize.observe(declaredRequestLength(request) ?? 0);
      const responseSize = delivered
        ? responseBodySize(series.method, status, request, response, state)
        : undefined;
      if (responseSize !== undefined) series.responseSize.observe(responseSize);
      if (state.exceptionType !== undefined) {
        this.metrics.httpExceptionsTotal.inc({
          exception_type: state.exceptionType,
          method: series.method,
          endpoint: series.endpoint,
          status_code: this.statusLabel(status),
          ...series.requestLabels,
        });
      }
    } catch (error) {
      this.errors.report('the HTTP response hook', error);
    }
  }

  /** `status` is undefined while the response is still in flight. */
  private seriesFor(
    request: IncomingMessage,
    state: RequestState | undefined,
    status?: number,
  ): MethodSeries | undefined {
    const platform = this.target?.platform;
    const route = platform && state ? platform.routeOf(request, state, status) : undefined;
    let routeSeries: RouteSeries | null | undefined;
    if (!route) {
      routeSeries = this.routelessSeriesFor(
        platform?.unroutedEndpointOf?.(request, status) ?? UNMATCHED_ENDPOINT,
      );
    } else {
      routeSeries = this.seriesByRoute.get(route);
      if (routeSeries === undefined) {
        routeSeries = this.newRouteSeries(platform!.templateOf(route));
        this.seriesByRoute.set(route, routeSeries);
      }
      if (routeSeries === null) return undefined;
    }
    const method = normalizeMethod(request.method);
    const requestLabels = this.requestLabels.resolve(request);
    const key = requestLabels ? method + requestLabels.key : method;
    let series = routeSeries.byMethod.get(key);
    if (!series) {
      series = this.createSeries(method, routeSeries.endpoint, requestLabels?.values ?? {});
      routeSeries.byMethod.set(key, series);
    }
    return series;
  }

  private routelessSeriesFor(endpoint: string): RouteSeries {
    let series = this.routelessSeries.get(endpoint);
    if (!series) {
      series = { endpoint, byMethod: new Map() };
      this.routelessSeries.set(endpoint, series);
    }
    return series;
  }

  /** A not-found route shares the unmatched requests' series; an excluded route has none (`null`). */
  private newRouteSeries(template: string | undefined): RouteSeries | null {
    if (template === undefined) return this.unmatchedSeries;
    if (this.options.excludePaths.has(template)) return null;
    return { endpoint: template, byMethod: new Map() };
  }

  private createSeries(
    method: string,
    endpoint: string,
    requestLabels: Readonly<Record<string, string>>,
  ): MethodSeries {
    const labels = { method, endpoint, ...requestLabels };
    const series: MethodSeries = {
      method,
      endpoint,
      requestLabels,
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
        ...series.requestLabels,
      });
      series.responsesByStatus.set(status, counter);
    }
    return counter;
  }

  private statusLabel(status: number): string {
    return this.options.groupStatusCodes ? `${Math.floor(status / 100)}xx` : String(status);
  }

  /**
   * The URL is read only when something is excluded: Express gives every request object a map of its
   * own, so each property read on one misses V8's caches and costs about a thousand instructions.
   */
  private isExcludedPath(request: IncomingMessage): boolean {
    const { excludePaths, excludePatterns } = this.options;
    if (excludePaths.size === 0 && excludePatterns.length === 0) return false;
    const raw = request.url ?? '/';
    const queryStart = raw.indexOf('?');
    const path = queryStart === -1 ? raw : raw.slice(0, queryStart);
    if (excludePaths.has(path)) return true;
    for (const pattern of excludePatterns) if (pattern.test(path)) return true;
    return false;
  }
}

function normalizeMethod(method: string | undefined): string {
  return method !== undefined && STANDARD_HTTP_METHODS.has(method) ? method : OTHER_METHOD;
}

/**
 * The request's Content-Length, read from its raw header list: Node builds `request.headers` only when
 * asked, and a platform that never asks for it (Fastify, for a GET) would otherwise build it for us.
 */
function declaredRequestLength(request: IncomingMessage): number | undefined {
  const raw = request.rawHeaders;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      return declaredLength(raw[index + 1]);
    }
  }
  return undefined;
}

function declaredLength(header: number | string | string[] | undefined): number | undefined {
  if (typeof header === 'number') return header >= 0 ? header : undefined;
  if (typeof header !== 'string' || !/^\d{1,15}$/.test(header)) return undefined;
  return Number(header);
}

/**
 * The body's size: its Content-Length when declared (Nest declares it for every JSON or text body);
 * otherwise, for streamed bodies, the bytes written to the socket after the header block. `method`
 * (normalised) and `status` are the ones already read for the labels, not read again.
 */
function responseBodySize(
  method: string,
  status: number,
  request: IncomingMessage,
  response: ServerResponse,
  state: RequestState,
): number | undefined {
  if (method === 'HEAD' || status === 204 || status === 304) return 0;
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
