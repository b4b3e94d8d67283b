/**
 * The one place the library reaches into @nestjs/microservices' internals. Keep every other use of them
 * out of the library, so that an upgrade that moves one breaks this file and its spec, and nothing else.
 */
import type { Server } from '@nestjs/microservices';
import { locatePrototype, type NestInternalMethod } from '../nest-internal.js';

const SERVER_MODULE = '@nestjs/microservices/server/server.js';
const server = (method: string, arity: number): NestInternalMethod => ({
  module: SERVER_MODULE,
  className: 'Server',
  method,
  arity,
});

/**
 * The methods of the base class of every transport's server that the library wraps:
 * - `addHandler(pattern, callback, isEventHandler, extras)` registers each `@MessagePattern` and
 *   `@EventPattern` handler, which is where each gets measured;
 * - `getHandlerByPattern(pattern)` finds a message's handler, so a miss is an unmatched message (a
 *   transport may override it on its own prototype, and `handleMessage` per transport is wrapped too);
 * - `handleEvent(pattern, packet, context)` looks event handlers up, telling events from messages;
 * - `normalizePattern(pattern)` turns a pattern into the route string the `pattern` label is made of.
 * Each transport's server also reads its messages in a `handleMessage` of its own, and may override the
 * lookups above on its own prototype: those are wrapped per server instance, when they are there.
 */
export const NEST_MICROSERVICES_SERVER_INTERNALS: readonly NestInternalMethod[] = [
  server('addHandler', 2),
  server('getHandlerByPattern', 1),
  server('handleEvent', 3),
  server('normalizePattern', 1),
];

/**
 * `RpcProxy#handleError(exceptionsHandler, args, error)` hands a handler's exception to the exception
 * filters, which turn it into an error reply before the handler's caller sees it.
 */
export const NEST_RPC_PROXY_INTERNALS: readonly NestInternalMethod[] = [
  {
    module: '@nestjs/microservices/context/rpc-proxy.js',
    className: 'RpcProxy',
    method: 'handleError',
    arity: 3,
  },
];

/** Every server and RPC proxy of the process shares these prototypes. */
export interface MicroservicesInternals {
  readonly server: Server;
  readonly rpcProxy: { handleError(this: unknown, ...args: unknown[]): unknown };
}

let located: Promise<MicroservicesInternals> | undefined;

/**
 * Finds the prototypes whose methods the library wraps.
 * @throws NestInternalMovedError naming the internal that is no longer where it was.
 */
export function locateMicroservicesInternals(): Promise<MicroservicesInternals> {
  // Once per process: the prototypes do not change, and a module imported once need not be again.
  located ??= (async () => {
    return {
      server: await locatePrototype<Server>(NEST_MICROSERVICES_SERVER_INTERNALS),
      rpcProxy: await locatePrototype<MicroservicesInternals['rpcProxy']>(NEST_RPC_PROXY_INTERNALS),
    };
  })();
  return located;
}

/**
 * The route `client` sends `pattern` under, as its server routes it (`ClientProxy#normalizePattern`, a
 * protected method); the pattern itself from a client that has no such method.
 */
export function clientRouteOf(client: object, pattern: unknown): unknown {
  const normalize = (client as { normalizePattern?: (pattern: unknown) => unknown })
    .normalizePattern;
  return typeof normalize === 'function' ? normalize.call(client, pattern) : pattern;
}
