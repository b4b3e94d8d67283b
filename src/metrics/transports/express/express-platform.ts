import type { IncomingMessage } from 'node:http';
import type { HttpPlatform } from '../http/http-platform.interface.js';
import { MountedMiddlewareEndpoints } from './mounted-middleware-endpoint.js';
import { findRouteOf } from './route-lookup.js';

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
  private readonly middlewareEndpoints = new MountedMiddlewareEndpoints(() => this.app);

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

  /**
   * Express parses bodies and runs Nest's middleware before its router reaches the route, so a body
   * the parser refuses or a middleware that fails ends the response without `req.route`. Such a
   * response is labelled with the route the router would have picked, as on Fastify, which routes
   * first. A 404 is never looked up: nothing answered it. Otherwise Apollo's GraphQL handler, static
   * files and the like, mounted with `app.use(path, …)`, are named by their mount path.
   */
  unroutedEndpointOf(request: IncomingMessage, status: number | undefined): string {
    if (status !== undefined && status !== 404) {
      const route = findRouteOf(this.app, request);
      const template = route && this.templateOf(route);
      if (template !== undefined) return template;
    }
    return this.middlewareEndpoints.endpointOf(request, status);
  }

  routeOf(request: IncomingMessage): object | undefined {
    return (request as IncomingMessage & { route?: ExpressRoute }).route;
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
