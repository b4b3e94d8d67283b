/**
 * The one place the library reaches into Fastify's internals. Keep every other use of them out of the
 * library, so that a Fastify upgrade that moves one breaks this file and its spec, and nothing else.
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
 * Thrown when Fastify no longer keeps its hooks where this file looks; its message names what moved,
 * so a Fastify upgrade fails the spec with a message that says what to look for.
 */
export class FastifyInternalMovedError extends Error {
  override readonly name = 'FastifyInternalMovedError';
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
