/**
 * The one place the library reaches into the internals of Fastify and of @fastify/middie. Keep every
 * other use of them out of the library, so that an upgrade that moves one breaks this file and its
 * spec, and nothing else.
 */

/**
 * Fastify keeps each context's lifecycle hooks in arrays, in the order they run, under a symbol, and
 * the contexts created from it (encapsulated plugins) under another; each route copies the arrays of
 * its context when Fastify gets ready.
 */
export const FASTIFY_HOOK_INTERNALS = {
  hooks: "Symbol('fastify.hooks') holding { onRequest: Function[] }",
  children: "Symbol('fastify.children') holding the child contexts",
} as const;

/**
 * Each Fastify request holds its route's context under a symbol; the context's `config` is what the
 * public `request.routeOptions.config` returns. That getter builds a new options object per call and,
 * with Nest's version constraint registered, makes Node build the request's header object, which a
 * Fastify GET otherwise never needs: reading the context directly costs the request neither.
 */
export const FASTIFY_ROUTE_CONTEXT_INTERNAL = "Symbol('fastify.context') holding { config }";

/**
 * Thrown when Fastify or middie no longer keeps something where this file looks; its message names
 * what moved, so an upgrade fails the spec with a message that says what to look for.
 */
export class FastifyInternalMovedError extends Error {
  override readonly name = 'FastifyInternalMovedError';
}

/** What a route's `config` tells: its template, `undefined` for the not-found handler's. */
export interface FastifyRouteConfig {
  readonly url?: string;
}

interface FastifyRequestLike {
  readonly routeOptions: { readonly config?: FastifyRouteConfig };
}

let routeContextKey: symbol | undefined;

type RouteContextHolder = Record<symbol, { config?: FastifyRouteConfig } | undefined>;

/**
 * The config of the route that answers `request`, the same object for every request it answers.
 * Falls back to the public `routeOptions` when Fastify no longer keeps the context where it did.
 */
export function routeConfigOf(request: object): FastifyRouteConfig | undefined {
  // A plain load with the symbol found once: `Reflect.get()` and an `in` check cost each request a
  // builtin call and a second lookup; a request without the context takes the slow path below.
  if (routeContextKey !== undefined) {
    const context = (request as RouteContextHolder)[routeContextKey];
    if (context !== undefined) return context.config;
  }
  routeContextKey = ownSymbol(request, 'fastify.context');
  if (routeContextKey === undefined) return (request as FastifyRequestLike).routeOptions.config;
  return (request as RouteContextHolder)[routeContextKey]?.config;
}

/**
 * Whether requests still hold their route context where {@link routeConfigOf} looks.
 * @throws FastifyInternalMovedError naming the internal when they do not.
 */
export function assertRouteContextOn(request: object): void {
  const key = ownSymbol(request, 'fastify.context');
  const context: unknown = key ? Reflect.get(request, key) : undefined;
  if (typeof context !== 'object' || context === null || !('config' in context)) {
    throw new FastifyInternalMovedError(
      `Fastify internal ${FASTIFY_ROUTE_CONTEXT_INTERNAL} is no longer on the request`,
    );
  }
}

type OnRequestHook = (request: never, reply: never, done: () => void) => void;

function ownSymbol(instance: object, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(instance).find(
    (symbol) => symbol.description === description,
  );
}

/**
 * The `onRequest` hook list of `instance` and of every context created from it so far.
 * @throws FastifyInternalMovedError when Fastify no longer keeps them where it did.
 */
export function locateOnRequestHooks(instance: object): unknown[][] {
  const hooksKey = ownSymbol(instance, 'fastify.hooks');
  const hooks: unknown = hooksKey ? Reflect.get(instance, hooksKey) : undefined;
  const onRequest: unknown =
    typeof hooks === 'object' && hooks !== null ? Reflect.get(hooks, 'onRequest') : undefined;
  if (!Array.isArray(onRequest)) {
    throw new FastifyInternalMovedError(
      `Fastify internal ${FASTIFY_HOOK_INTERNALS.hooks} is no longer on the instance`,
    );
  }
  const childrenKey = ownSymbol(instance, 'fastify.children');
  const children: unknown = childrenKey ? Reflect.get(instance, childrenKey) : undefined;
  if (!Array.isArray(children)) {
    throw new FastifyInternalMovedError(
      `Fastify internal ${FASTIFY_HOOK_INTERNALS.children} is no longer on the instance`,
    );
  }
  return [onRequest, ...children.flatMap((child: object) => locateOnRequestHooks(child))];
}

/**
 * Adds `hook` as the first `onRequest` hook of `instance` and of the contexts created from it, ahead
 * of hooks added earlier: @fastify/middie's, which runs Nest middleware and `app.use()` middleware,
 * among them. `addHook()` can only append, and Nest's Fastify adapter registers middie in `init()`,
 * before any module can add a hook. Must be called before Fastify is ready, as `addHook()` must.
 * @throws FastifyInternalMovedError when Fastify no longer keeps its hooks where it did; nothing is
 * added then.
 */
export function addFirstOnRequestHook(instance: object, hook: OnRequestHook): void {
  for (const list of locateOnRequestHooks(instance)) list.unshift(hook);
}

/**
 * @fastify/middie, which runs Nest's and `app.use()` middleware on Fastify, keeps the middleware of
 * each context with the path it was mounted at (the context's prefix joined in) in a list under a
 * symbol, in the order they run; its public API does not say where a middleware was mounted.
 */
export const MIDDIE_MIDDLEWARES_INTERNAL =
  "Symbol('fastify-middie-middlewares') holding [path, middleware] pairs";

/** The name @fastify/middie registers under, as `fastify.hasPlugin()` knows it. */
const MIDDIE_PLUGIN = '@fastify/middie';

/**
 * The paths the middleware of `instance` and of the contexts created from it were mounted at, as
 * the app passed them to `use()`: a string, an array of them, or the middleware itself when it was
 * mounted without a path. Empty when @fastify/middie is not registered: no middleware is mounted.
 * @throws FastifyInternalMovedError when middie is registered but no longer keeps its list there.
 */
export function middieMountPathsOf(instance: object): unknown[] {
  const registered = (instance as { hasPlugin?: (name: string) => boolean }).hasPlugin?.(
    MIDDIE_PLUGIN,
  );
  if (!registered) return [];
  const paths: unknown[] = [];
  for (const context of contextsOf(instance)) {
    const key = ownSymbol(context, 'fastify-middie-middlewares');
    const middlewares: unknown = key ? Reflect.get(context, key) : undefined;
    if (key === undefined && context !== instance) continue;
    if (!Array.isArray(middlewares)) {
      throw new FastifyInternalMovedError(
        `@fastify/middie internal ${MIDDIE_MIDDLEWARES_INTERNAL} is no longer on the instance`,
      );
    }
    for (const entry of middlewares) paths.push(Array.isArray(entry) ? entry[0] : undefined);
  }
  return paths;
}

/** `instance` and every context created from it, parents first. */
function contextsOf(instance: object): object[] {
  const childrenKey = ownSymbol(instance, 'fastify.children');
  const children: unknown = childrenKey ? Reflect.get(instance, childrenKey) : undefined;
  const nested = Array.isArray(children)
    ? children.flatMap((child: object) => contextsOf(child))
    : [];
  return [instance, ...nested];
}
