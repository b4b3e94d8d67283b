/**
 * Measures every `@WebSocketGateway` of the process: connections, and each `@SubscribeMessage`
 * handler, on the ws and socket.io adapters. Loaded only when `@nestjs/websockets` is installed.
 */
import type { Subject } from 'rxjs';
import { measureHandler, noteHandlerException } from '../handler-recorder.js';
import { UNMATCHED_HANDLER, webSocketMetricsOf } from '../transport-metrics.js';
import { activeMetricsService } from '../../decorators/active-metrics.js';
import { keepSignatures } from '../nest-internal.js';
import {
  ioAdapterOf,
  locateWebSocketsInternals,
  type MessageMappingProperties,
  type WebSocketsController,
} from './nest-websockets-internals.js';

type Callback = (...args: unknown[]) => unknown;
type HandlersMap = Map<unknown, unknown>;

const INSTALLED = Symbol.for('nestjs-instrumentator.websockets');
/** The gateway each connected client belongs to, for the adapter hooks that only see the client. */
const gatewayOfClient = new WeakMap<object, string>();
const measuredMappings = new WeakMap<MessageMappingProperties[], MessageMappingProperties[]>();

/**
 * Patches the shared prototypes once per process; every app's active metrics module records into it.
 * @throws NestInternalMovedError when a Nest internal it wraps has moved; nothing is patched then.
 */
export async function instrumentWebSockets(): Promise<void> {
  const { controller, wsProxy } = await locateWebSocketsInternals();
  const installed = controller as unknown as Record<PropertyKey, unknown>;
  if (installed[INSTALLED]) return;
  installed[INSTALLED] = true;

  const getConnectionHandler = controller.getConnectionHandler;
  controller.getConnectionHandler = function (
    this: WebSocketsController,
    context,
    instance,
    subscribersMap,
    disconnect: Subject<unknown>,
    connection,
  ) {
    const gateway = gatewayName(instance);
    disconnect.subscribe(() =>
      record('a WebSocket disconnect', (metrics) => metrics.connections.dec({ gateway })),
    );
    const handler = getConnectionHandler.call(
      this,
      context,
      instance,
      subscribersMap,
      disconnect,
      connection,
    );
    return (...args: unknown[]) => {
      record('a WebSocket connection', (metrics) => {
        metrics.connections.inc({ gateway });
        metrics.connectionsTotal.inc({ gateway });
      });
      return handler(...args);
    };
  };

  const subscribeMessages = controller.subscribeMessages;
  controller.subscribeMessages = function (
    this: WebSocketsController,
    subscribersMap,
    client,
    instance,
  ) {
    const gateway = gatewayName(instance);
    if (client !== null && typeof client === 'object') {
      gatewayOfClient.set(client, gateway);
      countUnmatchedSocketIoEvents(client, gateway, subscribersMap);
    }
    countUnmatchedWsMessages(ioAdapterOf(this));
    return subscribeMessages.call(
      this,
      measuredMappingsOf(subscribersMap, gateway),
      client,
      instance,
    );
  };

  const handleError = wsProxy.handleError;
  wsProxy.handleError = function (this: unknown, ...args: unknown[]) {
    noteHandlerException(args[2]);
    return handleError.apply(this, args);
  };
  keepSignatures(controller, { getConnectionHandler, subscribeMessages });
  keepSignatures(wsProxy, { handleError });
}

function measuredMappingsOf(
  mappings: MessageMappingProperties[],
  gateway: string,
): MessageMappingProperties[] {
  let measured = measuredMappings.get(mappings);
  if (!measured) {
    measured = mappings.map((mapping) => {
      const event = String(mapping.message);
      return {
        ...mapping,
        callback: measureHandler(
          mapping.callback as Callback,
          'a WebSocket message handler',
          (service, { outcome, exceptionType, durationSeconds }) => {
            const metrics = webSocketMetricsOf(service);
            metrics.messagesTotal.inc({ gateway, event, status: outcome });
            metrics.messageDuration.observe({ gateway, event }, durationSeconds);
            if (exceptionType !== undefined) {
              metrics.exceptionsTotal.inc({ gateway, event, exception_type: exceptionType });
            }
          },
        ) as MessageMappingProperties['callback'],
      };
    });
    measuredMappings.set(mappings, measured);
  }
  return measured;
}

/** socket.io delivers only the events a handler listens to; `onAny` sees the rest. */
function countUnmatchedSocketIoEvents(
  client: object,
  gateway: string,
  mappings: MessageMappingProperties[],
): void {
  const onAny = (client as { onAny?: unknown }).onAny;
  if (typeof onAny !== 'function') return;
  const handled = new Set(mappings.map((mapping) => mapping.message));
  (onAny as (listener: (event: unknown) => void) => void).call(client, (event) => {
    // socket.io has decoded the packet by now and drops it right after: a duration of next to nothing.
    if (!handled.has(event)) countUnmatched(gateway, process.hrtime.bigint());
  });
}

/**
 * The ws adapter parses each frame and looks its event up in a map of handlers; a map that counts
 * failed lookups sees unknown events after the adapter's own parsing, and malformed frames not at all.
 * The adapter builds that map once per client, so the counting view of it is made once per client too,
 * and a frame costs no allocation beyond its arrival time.
 */
function countUnmatchedWsMessages(adapter: unknown): void {
  const target = adapter as Record<PropertyKey, unknown>;
  const bindMessageHandler = target?.bindMessageHandler;
  if (typeof bindMessageHandler !== 'function' || target[INSTALLED]) return;
  target[INSTALLED] = true;
  target.bindMessageHandler = function (
    this: unknown,
    frame: { target?: unknown },
    handlers: HandlersMap,
    ...rest: unknown[]
  ) {
    const client = frame?.target;
    const gateway =
      client !== null && typeof client === 'object' ? gatewayOfClient.get(client) : undefined;
    if (gateway === undefined || typeof handlers !== 'object' || handlers === null) {
      return (bindMessageHandler as Callback).call(this, frame, handlers, ...rest);
    }
    frameArrived = process.hrtime.bigint();
    return (bindMessageHandler as Callback).call(
      this,
      frame,
      countingLookupsOf(handlers, gateway),
      ...rest,
    );
  };
}

/**
 * When the frame the ws adapter is handling now arrived. The adapter looks the event up synchronously
 * within `bindMessageHandler`, right after this is set, so a miss reads its own frame's time.
 */
let frameArrived = 0n;

const countingViews = new WeakMap<HandlersMap, { gateway: string; view: HandlersMap }>();

/** The one counting view of `handlers` for `gateway`. */
function countingLookupsOf(handlers: HandlersMap, gateway: string): HandlersMap {
  const cached = countingViews.get(handlers);
  if (cached?.gateway === gateway) return cached.view;
  const view = countingLookups(handlers, () => countUnmatched(gateway, frameArrived));
  countingViews.set(handlers, { gateway, view });
  return view;
}

/** `handlers` as it is, except that a `get` that finds nothing calls `onMiss`. */
function countingLookups(handlers: HandlersMap, onMiss: () => void): HandlersMap {
  const get = (key: unknown) => {
    const handler = handlers.get(key);
    if (handler === undefined) onMiss();
    return handler;
  };
  // A Proxy, not a look-alike object: an adapter of the app's own may call any other Map method.
  return new Proxy(handlers, {
    get(target, property) {
      if (property === 'get') return get;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as Callback).bind(target) : value;
    },
  });
}

/** Counts an event no handler subscribes to, timed from its arrival to its being dropped. */
function countUnmatched(gateway: string, arrived: bigint): void {
  record('an unmatched WebSocket message', (metrics) => {
    const labels = { gateway, event: UNMATCHED_HANDLER };
    metrics.messagesTotal.inc({ ...labels, status: 'error' });
    metrics.messageDuration.observe(labels, Number(process.hrtime.bigint() - arrived) / 1e9);
  });
}

function record(where: string, write: (metrics: ReturnType<typeof webSocketMetricsOf>) => void) {
  const service = activeMetricsService();
  if (!service) return;
  try {
    write(webSocketMetricsOf(service));
  } catch (error) {
    service.errors.report(where, error);
  }
}

function gatewayName(instance: object): string {
  return instance.constructor?.name || 'Gateway';
}
