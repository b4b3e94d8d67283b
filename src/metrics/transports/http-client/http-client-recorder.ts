import type { Channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import type { Counter, Histogram } from 'prom-client';
import { OTHER_METHOD, STANDARD_HTTP_METHODS } from '../../metrics.constants.js';
import {
  counterSeries,
  histogramSeries,
  type CounterSeries,
  type HistogramSeries,
} from '../../recording/buffered-series.js';
import type { InstrumentationErrors } from '../../recording/instrumentation-errors.js';
import { LabelValueCap } from '../../recording/label-value-cap.js';
import { loadBundledUndici, publisherChannel } from '../publisher-channel.js';
import { clientRequestPeerHost, undiciPeerHost, type ClientRequestPeer } from './peer-host.js';
import { isExcludedFromClientMetrics } from './unrecorded-calls.js';

/** The metrics one recorder writes to. */
export interface HttpClientMetrics {
  readonly requestsTotal: Counter<'method' | 'host' | 'status_code'>;
  readonly requestDuration: Histogram<'method' | 'host'>;
  readonly errorsTotal: Counter<'method' | 'host' | 'error_type'>;
}

/** How a recorder labels what it sees. */
export interface HttpClientRecorderOptions {
  /** Most distinct `host` values before further hosts are labelled `<other>`. */
  readonly maxHosts: number;
  /** The only `host` values recorded as themselves, when given. */
  readonly allowedHosts?: ReadonlySet<string>;
  readonly groupStatusCodes: boolean;
}

/** `status_code` of a call that ended without a response. */
export const CLIENT_ERROR_STATUS = 'error';

/**
 * The channels Node 20 publishes outbound HTTP on: undici's (global `fetch`, and the `undici` package,
 * which publishes to the same channels) and `node:http`'s (`node:https`, axios and `@nestjs/axios`,
 * which sit on top of it). Each call goes through exactly one of the two, so none is counted twice.
 */
interface OutboundChannels {
  readonly undiciCreate: Channel;
  readonly undiciHeaders: Channel;
  readonly undiciError: Channel;
  readonly httpStart: Channel;
  readonly httpResponse: Channel;
  readonly httpError: Channel;
}

let outboundChannels: OutboundChannels | undefined;

/**
 * The channel objects undici and `node:http` publish on, taken once undici is loaded so that they are
 * the publishers' own (see publisher-channel.ts for how a channel looked up before its publisher
 * loads can lose every message). Loading undici costs an app that never calls `fetch` about 20–40 ms
 * of CPU and 3 MB of heap, once; so not at import, but when an app with outbound metrics is created.
 */
function channels(): OutboundChannels {
  if (!outboundChannels) {
    loadBundledUndici();
    outboundChannels = {
      undiciCreate: publisherChannel('undici:request:create'),
      undiciHeaders: publisherChannel('undici:request:headers'),
      undiciError: publisherChannel('undici:request:error'),
      httpStart: publisherChannel('http.client.request.start'),
      httpResponse: publisherChannel('http.client.response.finish'),
      httpError: publisherChannel('http.client.request.error'),
    };
  }
  return outboundChannels;
}

interface UndiciRequest {
  method?: unknown;
  origin?: unknown;
}

interface ChannelMessage {
  request?: object;
  response?: { statusCode?: unknown };
  error?: unknown;
}

type ClientRequestLike = ClientRequestPeer & {
  method?: unknown;
  on?(event: 'close', listener: () => void): unknown;
};

interface CallSeries {
  readonly requests: CounterSeries;
  readonly duration: HistogramSeries;
}

/**
 * Counts and times every outbound HTTP call of the process from Node's diagnostics channels, without
 * patching any client. A call is recorded once, when its outcome is known: when the response headers
 * arrive (its status, and the time to them), or when it fails before any response (`status_code`
 * "error", and its error type counted). What happens to the body after the headers, such as a stream
 * the caller abandons, does not change the call's record.
 */
export class HttpClientRecorder {
  /**
   * The property under which this recorder keeps, on the request object itself (a `node:http`
   * ClientRequest or an undici request), when a call in flight started, or {@link RECORDED} once
   * counted. A property costs less per call than a WeakMap entry and goes with the request, so a call
   * that never ends leaks nothing. A symbol of each recorder's own, so that two apps in one process
   * each count every call.
   */
  private readonly callState = Symbol('outbound call');
  private readonly hosts: LabelValueCap;
  /**
   * By host, method and status label: nested maps of label values the recorder already holds, so
   * that finding a call's series builds no key string.
   */
  private readonly callSeries = new Map<string, Map<string, Map<string, CallSeries>>>();
  private readonly statusLabels = new Map<number, string>();
  /** Series of answered calls found before, by how undici names the peer: its request's origin. */
  private readonly undiciCalls: KnownCalls = new Map();
  /** Series of answered calls found before, by the `node:http` request's peer host. */
  private readonly clientRequestCalls: KnownCalls = new Map();
  private readonly errorSeries = new Map<string, CounterSeries>();
  private readonly handlers: ReadonlyArray<[Channel, (message: unknown) => void]>;
  private subscribed = false;
  /** One listener for every `node:http` request; `this` is the request, so no closure per call. */
  private readonly onClientRequestClose: (this: object) => void;

  constructor(
    private readonly metrics: HttpClientMetrics,
    private readonly options: HttpClientRecorderOptions,
    private readonly errors: InstrumentationErrors,
  ) {
    this.hosts = new LabelValueCap(options.maxHosts, options.allowedHosts);
    // Each handler catches what it throws itself (a subscriber's exception would reach the app as an
    // uncaught one): a shared wrapper calling the handler would be one more call per message, through
    // a call site that sees six targets and so is never inlined.
    const published = channels();
    this.handlers = [
      [
        published.undiciCreate,
        (message) => {
          try {
            this.started((message as ChannelMessage).request);
          } catch (error) {
            this.errors.report('the fetch request hook', error);
          }
        },
      ],
      [
        published.undiciHeaders,
        (message) => {
          try {
            const { request, response } = message as ChannelMessage;
            this.answered(request, response, undici, this.undiciCalls);
          } catch (error) {
            this.errors.report('the fetch response hook', error);
          }
        },
      ],
      [
        published.undiciError,
        (message) => {
          try {
            const { request, error } = message as ChannelMessage;
            this.failed(request, error, undici);
          } catch (error) {
            this.errors.report('the fetch error hook', error);
          }
        },
      ],
      [
        published.httpStart,
        (message) => {
          try {
            const request = (message as ChannelMessage).request as ClientRequestLike | undefined;
            if (!this.started(request)) return;
            // Node publishes no error for a request aborted without one (`abort()`, or `destroy()`
            // once the socket is gone); its `close` is then the only sign it ended. A `close`
            // listener, unlike an `error` one, changes nothing for the caller.
            request?.on?.('close', this.onClientRequestClose);
          } catch (error) {
            this.errors.report('the http.request hook', error);
          }
        },
      ],
      [
        published.httpResponse,
        (message) => {
          try {
            const { request, response } = message as ChannelMessage;
            this.answered(request, response, clientRequest, this.clientRequestCalls);
          } catch (error) {
            this.errors.report('the http.request response hook', error);
          }
        },
      ],
      [
        published.httpError,
        (message) => {
          try {
            const { request, error } = message as ChannelMessage;
            this.failed(request, error, clientRequest);
          } catch (error) {
            this.errors.report('the http.request error hook', error);
          }
        },
      ],
    ];
    const aborted = (request: object) => {
      try {
        this.failed(request, ABORTED, clientRequest);
      } catch (error) {
        this.errors.report('the http.request close hook', error);
      }
    };
    const callState = this.callState;
    this.onClientRequestClose = function (this: object) {
      // Almost every request closes after its response was counted: nothing more to do then.
      if ((this as TrackedCall)[callState] !== RECORDED) aborted(this);
    };
  }

  /** Starts recording; calling it again changes nothing. */
  start(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    for (const [channel, handler] of this.handlers) channel.subscribe(handler);
  }

  /** Stops recording. Calls in flight are not recorded, so an app closed and created again counts each call once. */
  stop(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    for (const [channel, handler] of this.handlers) channel.unsubscribe(handler);
  }

  private started(request: object | undefined): boolean {
    if (!request) return false;
    (request as TrackedCall)[this.callState] = performance.now();
    return true;
  }

  private answered(
    request: object | undefined,
    response: ChannelMessage['response'],
    peer: PeerReader,
    known: KnownCalls,
  ): void {
    if (!request) return;
    const startedAt = this.finish(request);
    if (startedAt === RECORDED) return;
    const status = response?.statusCode;
    let series: CallSeries;
    if (typeof status === 'number') {
      series = this.answeredSeries(request, status, peer, known);
    } else {
      const { method, host } = this.callLabels(request, peer);
      series = this.seriesFor(method, host, CLIENT_ERROR_STATUS);
    }
    series.requests.inc();
    if (startedAt !== undefined) series.duration.observe((performance.now() - startedAt) / 1000);
  }

  /**
   * The series of an answered call. Finding it by its labels takes eight map lookups (method, peer
   * host, host cap, status label, then host, method and status); in a real call each map is one more
   * thing to fetch from memory the CPU's caches lost since the last call. So the series found is kept
   * by what the request already carries (the peer as the client names it, the method and the numeric
   * status) and found again in three lookups.
   */
  private answeredSeries(
    request: object,
    status: number,
    peer: PeerReader,
    known: KnownCalls,
  ): CallSeries {
    const peerKey = peer.key(request);
    const method = (request as { method?: unknown }).method;
    const byStatus = peerKey === undefined ? undefined : known.get(peerKey)?.get(method);
    const found = byStatus?.get(status);
    if (found) return found;
    const labels = this.callLabels(request, peer);
    const series = this.seriesFor(labels.method, labels.host, this.statusLabel(status));
    // Only what is bounded is kept: known peers and statuses are capped, and a method only when it is
    // its own label value, so that invented methods cannot grow the maps.
    if (peerKey === undefined || labels.method !== method) return series;
    let byMethod = known.get(peerKey);
    if (!byMethod) {
      if (known.size >= MAX_KNOWN_PEERS) return series;
      byMethod = new Map();
      known.set(peerKey, byMethod);
    }
    let statuses = byMethod.get(method);
    if (!statuses) {
      statuses = new Map();
      byMethod.set(method, statuses);
    }
    if (statuses.size < MAX_CACHED_STATUSES) statuses.set(status, series);
    return series;
  }

  private failed(request: object | undefined, error: unknown, peer: PeerReader): void {
    if (!request) return;
    const startedAt = this.finish(request);
    if (startedAt === RECORDED) return;
    const { method, host } = this.callLabels(request, peer, error);
    this.count(method, host, CLIENT_ERROR_STATUS, startedAt);
    const errorType = errorTypeOf(error);
    const key = `${method}\u0000${host}\u0000${errorType}`;
    let errors = this.errorSeries.get(key);
    if (!errors) {
      errors = counterSeries(this.metrics.errorsTotal, { method, host, error_type: errorType });
      this.errorSeries.set(key, errors);
    }
    errors.inc();
  }

  /**
   * Marks the call counted and returns when it started; {@link RECORDED} when it must not be counted
   * (again). `undefined` for a call that ends without having been seen to start: Node reports no
   * start for a `node:http` request whose host lookup fails at once.
   */
  private finish(request: object): number | typeof RECORDED | undefined {
    const startedAt = (request as TrackedCall)[this.callState];
    if (startedAt === RECORDED) return RECORDED;
    (request as TrackedCall)[this.callState] = RECORDED;
    // Checked here, not at the start: the Pushgateway pusher can only mark its request once created.
    return isExcludedFromClientMetrics(request) ? RECORDED : startedAt;
  }

  /** Counts one call; times it when its start was seen. */
  private count(method: string, host: string, status: string, startedAt: number | undefined) {
    const series = this.seriesFor(method, host, status);
    series.requests.inc();
    if (startedAt !== undefined) series.duration.observe((performance.now() - startedAt) / 1000);
  }

  private callLabels(request: object, peer: PeerReader, error?: unknown) {
    const method = (request as { method?: unknown }).method;
    return {
      method:
        typeof method === 'string' && STANDARD_HTTP_METHODS.has(method) ? method : OTHER_METHOD,
      host: this.hosts.label(peer.host(request, error) ?? UNKNOWN_HOST),
    };
  }

  private seriesFor(method: string, host: string, status: string): CallSeries {
    let byMethod = this.callSeries.get(host);
    if (!byMethod) {
      byMethod = new Map();
      this.callSeries.set(host, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (!byStatus) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let series = byStatus.get(status);
    if (!series) {
      series = {
        requests: counterSeries(this.metrics.requestsTotal, { method, host, status_code: status }),
        duration: histogramSeries(this.metrics.requestDuration, { method, host }),
      };
      byStatus.set(status, series);
    }
    return series;
  }

  /** The same string for every call with that status, so no label is built per call. */
  private statusLabel(status: number): string {
    let label = this.statusLabels.get(status);
    if (label === undefined) {
      label = this.options.groupStatusCodes ? `${Math.floor(status / 100)}xx` : String(status);
      // Bounded against a peer answering odd statuses; real ones are a few dozen.
      if (this.statusLabels.size < MAX_CACHED_STATUSES) this.statusLabels.set(status, label);
    }
    return label;
  }
}

/** How one client's requests name their peer. */
interface PeerReader {
  /** The peer's `host` label value, before the recorder's cap. */
  host(request: object, error?: unknown): string | undefined;
  /**
   * A string that names the peer as cheaply as the request allows, one `host` value for each, to
   * find the call's series again by; `undefined` when there is none.
   */
  key(request: object): string | undefined;
}

const undici: PeerReader = {
  host: (request) => undiciPeerHost((request as UndiciRequest).origin),
  // undici keeps one origin string per connection pool, so the same string comes call after call.
  key: (request) => {
    const origin = (request as UndiciRequest).origin;
    return typeof origin === 'string' ? origin : undefined;
  },
};

const clientRequest: PeerReader = {
  host: (request, error) => clientRequestPeerHost(request as ClientRequestPeer, error),
  key: (request) => clientRequestPeerHost(request as ClientRequestPeer),
};

/** Series of answered calls, by peer key, method and status code. */
type KnownCalls = Map<string, Map<unknown, Map<number, CallSeries>>>;

/** Peers a recorder keeps the series of; others are found by their labels on every call. */
const MAX_KNOWN_PEERS = 1000;

/** State of a call that has been counted, or must never be. */
const RECORDED = Symbol('recorded');

/** A request as a recorder marks it, under the recorder's own symbol. */
type TrackedCall = Record<symbol, number | typeof RECORDED | undefined>;

const MAX_CACHED_STATUSES = 1000;

/** `host` of a call whose peer cannot be read; never expected, but it must not throw or vanish. */
const UNKNOWN_HOST = '<unknown>';

/** What a `node:http` request closed without a response or an error is counted as. */
const ABORTED = Object.freeze({ name: 'AbortError' });

/**
 * `error_type` of a failed call: the error's code when it has one (`ECONNREFUSED`, `ENOTFOUND`,
 * `ECONNRESET`, axios' `ECONNABORTED`, undici's `UND_ERR_…`), else its name (`TimeoutError`,
 * `AbortError` for fetch). Only identifier-like strings pass, so no message text becomes a label.
 */
export function errorTypeOf(error: unknown): string {
  if (error === null || typeof error !== 'object') return 'Error';
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code)) return code;
  if (typeof name === 'string' && /^[A-Za-z_$][\w$]{0,63}$/.test(name)) return name;
  return 'Error';
}
