import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MIDDLEWARE_ENDPOINT, UNMATCHED_ENDPOINT } from '../../metrics.constants.js';
import type { HttpPlatform } from '../http/http-platform.interface.js';
import { REQUEST_STATE, type RequestState, type TrackedResponse } from '../http/request-state.js';
import { addFirstOnRequestHook } from './first-on-request-hook.js';

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
 * hooks for every request it routes, its 404s included, before body parsing, guards or handlers. The
 * hook runs first, ahead of Nest's middleware (run by @fastify/middie's hook), so a request that a
 * middleware answers or fails is labelled with its route too, as on Express.
 */
export class FastifyPlatform implements HttpPlatform {
  private attached = false;

  attach(app: unknown): void {
    // Fastify cannot remove a hook; the hook is inert once the tracker stops creating request states.
    if (this.attached) return;
    this.attached = true;
    try {
      addFirstOnRequestHook(app as object, onRequest);
    } catch (error) {
      new Logger('MetricsModule').warn(
        `Requests that a middleware answers are counted under <unmatched>: ${String(error)}`,
      );
      (app as FastifyInstanceLike).addHook('onRequest', onRequest);
    }
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

  /**
   * Fastify's not-found handler and Nest's answer 404, so a request no route matched that is answered
   * below 400 was answered by a middleware or a hook, as on Express.
   */
  unroutedEndpointOf(_request: IncomingMessage, status: number | undefined): string {
    return status !== undefined && status < 400 ? MIDDLEWARE_ENDPOINT : UNMATCHED_ENDPOINT;
  }
}

/** Shared by every request (no closure each): stores Fastify's request on the tracker's state. */
function onRequest(request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void): void {
  const state = (reply.raw as TrackedResponse)[REQUEST_STATE];
  if (state) state.platformRequest = request;
  done();
}
