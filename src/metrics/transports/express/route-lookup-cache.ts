/**
 * Remembers the route lookup's answer per method and path. Every response of a handler mounted with
 * `app.use(path, …)` (Apollo's GraphQL handler above all) ends without `req.route` and would otherwise
 * walk the router's stack again, calling the router's matchers, always to the same answer.
 */

/**
 * Method and path pairs remembered in all; past that, each lookup walks the router again. A client
 * chooses the path, but only responses without a route and with a status other than 404 get here.
 */
export const MAX_REMEMBERED_LOOKUPS = 1000;

/** A request as the lookup reads it. */
export interface LookedUpRequest {
  method?: string;
  url?: string;
  originalUrl?: unknown;
}

type RouterStack = { length: number };

export class RouteLookupCache {
  /** The answer (`null`: no route) by method, then by path without its query. */
  private readonly byMethod = new Map<string | undefined, Map<string, object | null>>();
  private remembered = 0;
  private stack?: RouterStack;
  private stackLength = 0;

  /**
   * @param lookup the uncached lookup, a function of the method and the path alone.
   * @param routerStack the app's router stack: a new or longer one (a route added after bootstrap)
   *   forgets every answer. Routes added to a nested router later are not noticed.
   */
  constructor(
    private readonly lookup: (request: LookedUpRequest) => object | undefined,
    private readonly routerStack: () => RouterStack | undefined,
  ) {}

  routeOf(request: LookedUpRequest): object | undefined {
    const url = typeof request.originalUrl === 'string' ? request.originalUrl : request.url;
    if (typeof url !== 'string') return this.lookup(request);
    this.forgetIfRoutesChanged();
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    let byPath = this.byMethod.get(request.method);
    const known = byPath?.get(path);
    if (known !== undefined) return known ?? undefined;
    const route = this.lookup(request);
    if (this.remembered < MAX_REMEMBERED_LOOKUPS) {
      if (byPath === undefined) this.byMethod.set(request.method, (byPath = new Map()));
      byPath.set(path, route ?? null);
      this.remembered++;
    }
    return route;
  }

  private forgetIfRoutesChanged(): void {
    const stack = this.routerStack();
    if (stack === this.stack && (stack === undefined || stack.length === this.stackLength)) return;
    this.stack = stack;
    this.stackLength = stack?.length ?? 0;
    this.byMethod.clear();
    this.remembered = 0;
  }
}
