/**
 * The one place the library reaches into @nestjs/websockets' internals (and @nestjs/platform-ws'). Keep
 * every other use of them out of the library, so that an upgrade that moves one breaks this file and
 * its spec, and nothing else.
 */
import type { MessageMappingProperties } from '@nestjs/websockets/gateway-metadata-explorer.js';
import type { WebSocketsController } from '@nestjs/websockets/web-sockets-controller.js';
import { locatePrototype, type NestInternalMethod } from '../nest-internal.js';

export type { MessageMappingProperties, WebSocketsController };

const CONTROLLER_MODULE = '@nestjs/websockets/web-sockets-controller.js';

/**
 * The methods of the controller that connects every gateway that the library wraps:
 * - `getConnectionHandler(context, instance, subscribersMap, disconnect, connection)` makes the
 *   handler of each gateway's connections, whose `disconnect` subject ends each one;
 * - `subscribeMessages(subscribersMap, client, instance)` binds a client to its gateway's
 *   `@SubscribeMessage` handlers, which is where each gets measured.
 * Through the controller's private `config.getIoAdapter()` the library also finds the adapter.
 */
export const NEST_WEBSOCKETS_CONTROLLER_INTERNALS: readonly NestInternalMethod[] = [
  {
    module: CONTROLLER_MODULE,
    className: 'WebSocketsController',
    method: 'getConnectionHandler',
    arity: 5,
  },
  {
    module: CONTROLLER_MODULE,
    className: 'WebSocketsController',
    method: 'subscribeMessages',
    arity: 3,
  },
];

/** Where the controller keeps the app's adapter: `this.config.getIoAdapter()`. */
export const NEST_WEBSOCKETS_ADAPTER_INTERNAL = 'WebSocketsController#config.getIoAdapter()';

/**
 * `WsProxy#handleError(exceptionsHandler, args, error)` hands a handler's exception to the exception
 * filters, which swallow it before the handler's caller sees it.
 */
export const NEST_WS_PROXY_INTERNALS: readonly NestInternalMethod[] = [
  {
    module: '@nestjs/websockets/context/ws-proxy.js',
    className: 'WsProxy',
    method: 'handleError',
    arity: 3,
  },
];

/**
 * `WsAdapter#bindMessageHandler(frame, handlersMap, transform)` of @nestjs/platform-ws parses each frame
 * and looks its event up in `handlersMap`: a lookup that misses is an unmatched event. The adapter is
 * optional, so it is wrapped per adapter instance when there is one, and a missing method leaves ws
 * frames without `<unmatched>` counts.
 */
export const NEST_WS_ADAPTER_INTERNALS: readonly NestInternalMethod[] = [
  { module: '@nestjs/platform-ws', className: 'WsAdapter', method: 'bindMessageHandler', arity: 3 },
];

/** Every gateway connection and WebSocket handler of the process goes through these prototypes. */
export interface WebSocketsInternals {
  readonly controller: WebSocketsController;
  readonly wsProxy: { handleError(this: unknown, ...args: unknown[]): unknown };
}

let located: Promise<WebSocketsInternals> | undefined;

/**
 * Finds the prototypes whose methods the library wraps.
 * @throws NestInternalMovedError naming the internal that is no longer where it was.
 */
export function locateWebSocketsInternals(): Promise<WebSocketsInternals> {
  // Once per process: the prototypes do not change, and a module imported once need not be again.
  located ??= (async () => {
    return {
      controller: await locatePrototype<WebSocketsController>(NEST_WEBSOCKETS_CONTROLLER_INTERNALS),
      wsProxy: await locatePrototype<WebSocketsInternals['wsProxy']>(NEST_WS_PROXY_INTERNALS),
    };
  })();
  return located;
}

/** The adapter `controller` serves gateways with; undefined when Nest no longer keeps it there. */
export function ioAdapterOf(controller: WebSocketsController): unknown {
  const config = (controller as unknown as { config?: { getIoAdapter?: () => unknown } }).config;
  return typeof config?.getIoAdapter === 'function' ? config.getIoAdapter() : undefined;
}
