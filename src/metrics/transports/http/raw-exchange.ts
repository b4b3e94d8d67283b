import type { IncomingMessage, ServerResponse } from 'node:http';

/** A platform's request or response: Node's own object (Express), or a wrapper holding it in `raw` (Fastify). */
type PlatformObject<T> = T | { raw: T; hijack?: () => unknown };

/**
 * Node's request and response behind whatever `@Req()` and `@Res()` gave a handler that answers on its
 * own. Express hands Node's objects (extended); Fastify wraps them and is told (`hijack()`) to keep out
 * of a response the handler writes itself. The metrics endpoints answer through these, exactly as the
 * listeners outside the app do.
 */
export function rawExchange(
  request: unknown,
  response: unknown,
): { request: IncomingMessage; response: ServerResponse } {
  const reply = response as PlatformObject<ServerResponse>;
  if ('raw' in reply && reply.raw) {
    reply.hijack?.();
    return { request: (request as { raw: IncomingMessage }).raw, response: reply.raw };
  }
  return { request: request as IncomingMessage, response: reply as ServerResponse };
}
