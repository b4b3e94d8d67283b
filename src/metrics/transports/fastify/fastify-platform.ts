import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpPlatform } from '../http/http-platform.interface.js';
import { REQUEST_STATE, type RequestState, type TrackedResponse } from '../http/request-state.js';

/** The parts of Fastify's request the library reads; Fastify's own types are not imported. */
interface FastifyRequestLike {
  /** True when Fastify's not-found handler (Nest's, or Fastify's own) answers the request. */
  readonly is404: boolean;
  /** The matched route: `config` is the same object for every request it answers, `url` its template. */
  readonly routeOptions: { readonly config?: { readonly url?: string } };
}

interface FastifyReplyLike {
  readonly raw: ServerResponse;
}

interface FastifyInstanceLike {
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void) => void,
  ): unknown;
}

/**
 * Fastify: the raw request does not know its route, so one `onRequest` hook hands Fastify's request to
 * the tracker's state; the route is read from it when the response ends. Fastify runs `onRequest`
 * hooks for every request it routes, its 404s included, before body parsing, guards or handlers.
 */
export class FastifyPlatform implements HttpPlatform {
  private attached = false;

  attach(app: unknown): void {
    // Fastify cannot remove a hook; the hook is inert once the tracker stops creating request states.
    if (this.attached) return;
    this.attached = true;
    (app as FastifyInstanceLike).addHook('onRequest', onRequest);
  }

  detach(): void {}

  routeOf(_request: IncomingMessage, state: RequestState): object | undefined {
    const request = state.platformRequest as FastifyRequestLike | undefined;
    // Read at the end, not in the hook: `callNotFound()` may hand the request to the 404 handler later.
    if (!request || request.is404) return undefined;
    return request.routeOptions.config;
  }

  templateOf(route: object): string | undefined {
    return (route as { url?: string }).url;
  }
}

/** Shared by every request (no closure each): stores Fastify's request on the tracker's state. */
function onRequest(request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void): void {
  const state = (reply.raw as TrackedResponse)[REQUEST_STATE];
  if (state) state.platformRequest = request;
  done();
}
