import type { IncomingMessage } from 'node:http';
import type { HttpPlatform } from '../http/http-platform.interface.js';
import type { RequestState } from '../http/request-state.js';
import { MountedMiddlewareEndpoints } from '../http/mounted-middleware-endpoint.js';
import { expressMiddlewareMounts } from './express-mounts.js';
import { findRouteOf } from './route-lookup.js';
import { RouteLookupCache } from './route-lookup-cache.js';

/** An Express route: `path` is the template the app registered, `stack` its handlers. */
interface ExpressRoute {
  path?: unknown;
  stack?: Array<{ handle?: unknown }>;
}

interface ExpressLayer {
  route?: ExpressRoute;
  handle?: { stack?: ExpressLayer[] };
}

/**
 * Express: the route that answered is `req.route`, set by Express's router when a route matches; its
 * `path` is the template with the global prefix and version. Nothing runs per request beyond the
 * tracker's own listener.
 */
export class ExpressPlatform implements HttpPlatform {
  private notFoundHandler?: unknown;
  private app?: unknown;
  private readonly middlewareEndpoints = new MountedMiddlewareEndpoints(
    expressMiddlewareMounts(() => this.app),
  );
  private readonly routeLookups = new RouteLookupCache(
    (request) => findRouteOf(this.app, request),
    () => (this.app as { router?: { stack?: ExpressLayer[] } } | undefined)?.router?.stack,
  );

  attach(app: unknown): void {
    this.app = app;
  }

  /**
   * Nest answers unknown paths under a global prefix (and unknown methods on paths excluded from it)
   * with routes of its own, so such a request does have `req.route`. Finding Nest's not-found handler
   * once, after the routes are registered, lets those requests count as unmatched like any other 404.
   */
  bootstrapped(app: unknown): void {
    const stack = (app as { router?: { stack?: ExpressLayer[] } } | undefined)?.router?.stack;
    this.notFoundHandler = stack ? findNotFoundHandler(stack) : undefined;
  }

  detach(): void {
    this.app = undefined;
  }

  /** Apollo's GraphQL handler, static files and the like are mounted with `app.use(path, …)`. */
  unroutedEndpointOf(request: IncomingMessage, status: number | undefined): string {
    return this.middlewareEndpoints.endpointOf(request, status);
  }

  routeOf(
    request: IncomingMessage,
    _state: RequestState,
    status: number | undefined,
  ): object | undefined {
    const route = (request as IncomingMessage & { route?: ExpressRoute }).route;
    return route ?? this.routeThatWouldHaveAnswered(request, status);
  }

  /**
   * Express parses bodies and runs middleware (Nest's and the app's own) before its router reaches the
   * route, so a body the parser refuses or a middleware that fails or answers ends the response
   * without `req.route`. Such a response is labelled with the route the router would have picked, as
   * on Fastify, which routes first; being that route, it is excluded with it by `excludePaths`. Looked
   * up only once the response has ended (not while it is in flight) and never for a 404: nothing
   * answered that one. A path only Nest's not-found route takes is left to the mount-path rules.
   */
  private routeThatWouldHaveAnswered(
    request: IncomingMessage,
    status: number | undefined,
  ): object | undefined {
    if (status === undefined || status === 404) return undefined;
    const route = this.routeLookups.routeOf(request);
    return route && this.templateOf(route) !== undefined ? route : undefined;
  }

  templateOf(route: object): string | undefined {
    const { path, stack = [] } = route as ExpressRoute;
    if (typeof path === 'string' && !path.startsWith('/')) return undefined;
    const notFound =
      this.notFoundHandler !== undefined &&
      stack.length > 0 &&
      stack.every((layer) => layer.handle === this.notFoundHandler);
    if (notFound) return undefined;
    return typeof path === 'string' ? path : String(path);
  }
}

/** Nest mounts its not-found handler on a relative catch-all route (`*path`) inside the prefix router. */
function findNotFoundHandler(stack: ExpressLayer[]): unknown {
  for (const layer of stack) {
    const route = layer.route;
    if (route && typeof route.path === 'string' && !route.path.startsWith('/')) {
      return route.stack?.[0]?.handle;
    }
    const nested = layer.handle?.stack;
    if (Array.isArray(nested)) {
      const found = findNotFoundHandler(nested);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
