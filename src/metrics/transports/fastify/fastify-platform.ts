import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpPlatform } from '../http/http-platform.interface.js';
import { MountedMiddlewareEndpoints } from '../http/mounted-middleware-endpoint.js';
import { stateOfArrivingResponse, type RequestState } from '../http/request-state.js';
import {
  addFirstOnRequestHook,
  routeConfigOf,
  type FastifyRouteConfig,
} from './fastify-internals.js';
import { isCorsPreflightRoute } from './cors-preflight-route.js';
import { FastifyMiddlewareMounts } from './fastify-mounts.js';

/** Fastify's request; the library reads it only through fastify-internals.ts. */
type FastifyRequestLike = object;

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
  private readonly mounts = new FastifyMiddlewareMounts();
  private readonly middlewareEndpoints = new MountedMiddlewareEndpoints(this.mounts);

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

  /** By now the app has mounted its middleware (`app.use()`, Nest's middleware consumer). */
  bootstrapped(app: unknown): void {
    this.mounts.attach(app as object);
  }

  detach(): void {}

  routeOf(_request: IncomingMessage, state: RequestState): object | undefined {
    const request = state.platformRequest as FastifyRequestLike | undefined;
    // Read at the end, not in the hook: `callNotFound()` may hand the request to the 404 handler later.
    if (!request) return undefined;
    const config = routeConfigOf(request);
    // The not-found handler's route has no template: that is how Fastify's own `is404` tells it.
    return config?.url === undefined || isCorsPreflightRoute(config, request) ? undefined : config;
  }

  templateOf(route: object): string | undefined {
    return (route as FastifyRouteConfig).url;
  }

  /** Static files, Swagger UI's assets and the like are mounted with `app.use(path, …)`, as on Express. */
  unroutedEndpointOf(request: IncomingMessage, status: number | undefined): string {
    return this.middlewareEndpoints.endpointOf(request, status);
  }
}

/** Shared by every request (no closure each): stores Fastify's request on the tracker's state. */
function onRequest(request: FastifyRequestLike, reply: FastifyReplyLike, done: () => void): void {
  const state = stateOfArrivingResponse(reply.raw);
  if (state) state.platformRequest = request;
  done();
}
