/**
 * The metrics of non-HTTP transports. They are registered in a module's registry the first time its
 * app uses the transport, so an app without microservices or gateways exposes none of them.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { MetricsService } from '../metrics.service.js';
import { cutLabelValue } from '../recording/label-value-cap.js';

/** Pattern or event label of a message that no handler matched: one series, whatever clients send. */
export const UNMATCHED_HANDLER = '<unmatched>';

/**
 * Microservice patterns longer than this are cut to it, marked with a trailing `…`, on the server and
 * the client side alike: a pattern has no length limit of its own, and a label is no place for a
 * megabyte.
 */
export const MAX_PATTERN_LENGTH = 128;

/**
 * The `pattern` label of a pattern as Nest routes it (`normalizePattern`: a string as written, an object
 * as JSON with its keys sorted), cut to {@link MAX_PATTERN_LENGTH}. Server and client both call it, so
 * that one pattern is one label on either side.
 */
export function rpcPatternLabel(normalized: unknown): string {
  return cutLabelValue(String(normalized), MAX_PATTERN_LENGTH);
}

/** Names of the transport metrics, before the configured prefix. */
export const TRANSPORT_METRIC_NAMES = {
  rpcMessagesTotal: 'rpc_messages_total',
  rpcMessageDuration: 'rpc_message_duration_seconds',
  rpcExceptionsTotal: 'rpc_exceptions_total',
  rpcClientMessagesTotal: 'rpc_client_messages_total',
  rpcClientMessageDuration: 'rpc_client_message_duration_seconds',
  // OpenMetrics would name the counter below's family `websocket_connections` too; the exposition
  // writes that counter untyped there, so both keep these names (exposition.ts).
  websocketConnections: 'websocket_connections',
  websocketConnectionsTotal: 'websocket_connections_total',
  websocketMessagesTotal: 'websocket_messages_total',
  websocketMessageDuration: 'websocket_message_duration_seconds',
  websocketExceptionsTotal: 'websocket_exceptions_total',
} as const;

type RpcLabel = 'transport' | 'pattern' | 'kind';
type WsLabel = 'gateway' | 'event';

export interface RpcMetrics {
  readonly messagesTotal: Counter<RpcLabel | 'status'>;
  readonly messageDuration: Histogram<RpcLabel>;
  readonly exceptionsTotal: Counter<'transport' | 'pattern' | 'exception_type'>;
}

export type RpcClientMetrics = Omit<RpcMetrics, 'exceptionsTotal'>;

export interface WebSocketMetrics {
  readonly connections: Gauge<'gateway'>;
  readonly connectionsTotal: Counter<'gateway'>;
  readonly messagesTotal: Counter<WsLabel | 'status'>;
  readonly messageDuration: Histogram<WsLabel>;
  readonly exceptionsTotal: Counter<WsLabel | 'exception_type'>;
}

const rpcMetrics = new WeakMap<MetricsService, RpcMetrics>();
const rpcClientMetrics = new WeakMap<MetricsService, RpcClientMetrics>();
const webSocketMetrics = new WeakMap<MetricsService, WebSocketMetrics>();

/** The RPC server metrics of `service`, registered on first use. */
export function rpcMetricsOf(service: MetricsService): RpcMetrics {
  let metrics = rpcMetrics.get(service);
  if (!metrics) {
    const { registers, name, buckets } = registration(service);
    metrics = {
      messagesTotal: new Counter({
        name: name('rpcMessagesTotal'),
        help: 'Microservice messages and events handled, by transport, pattern, kind and outcome.',
        labelNames: ['transport', 'pattern', 'kind', 'status'],
        registers,
      }),
      messageDuration: new Histogram({
        name: name('rpcMessageDuration'),
        help: 'Time a microservice handler took, from its invocation to its last reply, in seconds.',
        labelNames: ['transport', 'pattern', 'kind'],
        buckets,
        registers,
      }),
      exceptionsTotal: new Counter({
        name: name('rpcExceptionsTotal'),
        help: 'Exceptions thrown by microservice handlers, by exception class.',
        labelNames: ['transport', 'pattern', 'exception_type'],
        registers,
      }),
    };
    protect(service, metrics);
    rpcMetrics.set(service, metrics);
  }
  return metrics;
}

/** The metrics of messages `ClientProxy` sends and emits, registered on first use. */
export function rpcClientMetricsOf(service: MetricsService): RpcClientMetrics {
  let metrics = rpcClientMetrics.get(service);
  if (!metrics) {
    const { registers, name, buckets } = registration(service);
    metrics = {
      messagesTotal: new Counter({
        name: name('rpcClientMessagesTotal'),
        help: 'Microservice messages and events a ClientProxy sent, by transport, pattern, kind and outcome.',
        labelNames: ['transport', 'pattern', 'kind', 'status'],
        registers,
      }),
      messageDuration: new Histogram({
        name: name('rpcClientMessageDuration'),
        help: 'Time from sending a microservice message or event to its last reply or its dispatch, in seconds.',
        labelNames: ['transport', 'pattern', 'kind'],
        buckets,
        registers,
      }),
    };
    protect(service, metrics);
    rpcClientMetrics.set(service, metrics);
  }
  return metrics;
}

/** The WebSocket gateway metrics of `service`, registered on first use. */
export function webSocketMetricsOf(service: MetricsService): WebSocketMetrics {
  let metrics = webSocketMetrics.get(service);
  if (!metrics) {
    const { registers, name, buckets } = registration(service);
    metrics = {
      connections: new Gauge({
        name: name('websocketConnections'),
        help: 'WebSocket clients connected to each gateway now.',
        labelNames: ['gateway'],
        registers,
      }),
      connectionsTotal: new Counter({
        name: name('websocketConnectionsTotal'),
        help: 'WebSocket clients that have connected to each gateway.',
        labelNames: ['gateway'],
        registers,
      }),
      messagesTotal: new Counter({
        name: name('websocketMessagesTotal'),
        help: 'WebSocket messages received by each gateway, by event and outcome.',
        labelNames: ['gateway', 'event', 'status'],
        registers,
      }),
      messageDuration: new Histogram({
        name: name('websocketMessageDuration'),
        help: 'Time a WebSocket message handler took, in seconds.',
        labelNames: ['gateway', 'event'],
        buckets,
        registers,
      }),
      exceptionsTotal: new Counter({
        name: name('websocketExceptionsTotal'),
        help: 'Exceptions thrown by WebSocket message handlers, by exception class.',
        labelNames: ['gateway', 'event', 'exception_type'],
        registers,
      }),
    };
    protect(service, metrics);
    webSocketMetrics.set(service, metrics);
  }
  return metrics;
}

function registration(service: MetricsService) {
  const { prefix, durationBuckets } = service.options;
  return {
    registers: [service.registry],
    name: (key: keyof typeof TRANSPORT_METRIC_NAMES) => `${prefix}${TRANSPORT_METRIC_NAMES[key]}`,
    buckets: [...durationBuckets],
  };
}

function protect(service: MetricsService, metrics: object): void {
  for (const metric of Object.values(metrics)) service.cardinality.protect(metric as object);
}
