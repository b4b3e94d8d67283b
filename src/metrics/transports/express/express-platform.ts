import type { IncomingMessage } from 'node:http';
import type { HttpPlatform } from '../http/http-platform.interface.js';

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

  attach(): void {}

  /**
   * Nest answers unknown paths under a global prefix (and unknown methods on paths excluded from it)
   * with routes of its own, so such a request does have `req.route`. Finding Nest's not-found handler
   * once, after the routes are registered, lets those requests count as unmatched like any other 404.
   */
  bootstrapped(app: unknown): void {
    const stack = (app as { router?: { stack?: ExpressLayer[] } } | undefined)?.router?.stack;
    this.notFoundHandler = stack ? findNotFoundHandler(stack) : undefined;
  }

  detach(): void {}

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
