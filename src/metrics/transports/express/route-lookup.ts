/** Finds the Express route that a request would have reached, for responses that ended before it. */

/** Router 2.x matcher: a pure function of the path (unlike `Layer#match`, which stores its result). */
type Matcher = (path: string) => { path?: unknown } | false;

interface RouterLayer {
  route?: { methods?: Record<string, boolean | undefined> };
  /** A nested router (`app.use(path, router)`) has a stack of its own. */
  handle?: { stack?: unknown };
  matchers?: unknown;
}

/** Nested routers followed; Nest mounts none deeper than one. */
const MAX_DEPTH = 8;

/**
 * The route, as `req.route` would have been, that Express's router would hand `request` to, or
 * `undefined` when none would. Only the path and method are matched, in the router's order, with the
 * router's own matchers, so the route found is the one the router would pick unless a middleware
 * between them answers or rewrites the URL. Runs for responses that ended before the router reached a
 * route (a body the parser refused, a middleware that failed), never for a routed one.
 */
export function findRouteOf(
  app: unknown,
  request: { method?: string; url?: string; originalUrl?: unknown },
): object | undefined {
  const stack = (app as { router?: { stack?: unknown } } | undefined)?.router?.stack;
  const url = typeof request.originalUrl === 'string' ? request.originalUrl : request.url;
  if (!Array.isArray(stack) || typeof url !== 'string' || !url.startsWith('/')) return undefined;
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const method = (request.method ?? '').toLowerCase();
  return findInStack(stack as RouterLayer[], method, path, 0);
}

function findInStack(
  stack: RouterLayer[],
  method: string,
  path: string,
  depth: number,
): object | undefined {
  for (const layer of stack) {
    // The cheap tests first: a route's methods, a middleware's lack of a nested router.
    if (layer.route) {
      if (!handlesMethod(layer.route.methods, method)) continue;
      if (matchedPrefix(layer, path) !== undefined) return layer.route;
      continue;
    }
    const nested = layer.handle?.stack;
    if (!Array.isArray(nested) || depth >= MAX_DEPTH) continue;
    const matched = matchedPrefix(layer, path);
    if (matched === undefined) continue;
    // As the router trims a mount path before handing the rest to a nested router.
    const rest = path.slice(matched.length);
    const found = findInStack(
      nested as RouterLayer[],
      method,
      rest.startsWith('/') ? rest : `/${rest}`,
      depth + 1,
    );
    if (found) return found;
  }
  return undefined;
}

/** The part of `path` the layer matches, or `undefined` when it does not match. */
function matchedPrefix(layer: RouterLayer, path: string): string | undefined {
  if (!Array.isArray(layer.matchers)) return undefined;
  for (const matcher of layer.matchers as Matcher[]) {
    try {
      const match = matcher(path);
      if (match) return typeof match.path === 'string' ? match.path : '';
    } catch {
      // A parameter the router cannot decode: the router answers 400 without a route, too.
      return undefined;
    }
  }
  return undefined;
}

/** As the router's `Route#_handlesMethod`: `all()` routes take every method, GET routes take HEAD. */
function handlesMethod(methods: Record<string, boolean | undefined> = {}, method: string): boolean {
  if (methods._all) return true;
  if (method === 'head' && !methods.head) return Boolean(methods.get);
  return Boolean(methods[method]);
}
