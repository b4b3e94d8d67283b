/** The endpoint label of a response that a middleware, not a Nest route, answered. */
import { MIDDLEWARE_ENDPOINT, UNMATCHED_ENDPOINT } from '../../metrics.constants.js';

/** Distinct mount paths remembered; a literal mount path is written by the app, so few ever exist. */
const MAX_REMEMBERED_MOUNTS = 1000;

/** A mount path without parameters, wildcards or patterns: text the app wrote, fit for a label. */
const LITERAL_PATH = /^\/[\w\-./~]*$/;

interface ExpressMountLayer {
  route?: unknown;
  /** The path or paths the layer was mounted at, as the app passed them (router 2.3 and later). */
  rawPath?: unknown;
  /** Set by router 2.x: one matcher per path the layer was mounted at; pure functions of the path. */
  matchers?: Array<(path: string) => { path?: unknown; params?: object } | false>;
}

/** A request as Express leaves it: `baseUrl` is the path prefix of the middleware handling it. */
type MountedRequest = { baseUrl?: unknown };

/**
 * Names the handler of a response that no Nest route matched, so that handlers mounted with
 * `app.use(path, …)` (Apollo's GraphQL handler, static files, Swagger UI's assets) are not counted
 * with the 404s:
 * - a middleware mounted at a literal path answered → that mount path (e.g. `/graphql`, with any
 *   global prefix), the path the app wrote, never one a client chose;
 * - a middleware at the root or at a parameterized path answered with a status below 400 →
 *   `<middleware>`;
 * - anything else (Nest's not-found answer, a malformed request) → `<unmatched>`.
 *
 * Express leaves `req.baseUrl` at the mount path while a middleware handles the request and resets it
 * when the middleware passes the request on, so at the end of the response it names the middleware
 * that answered.
 */
export class MountedMiddlewareEndpoints {
  /** Mount path (or `undefined`: none) by the `baseUrl` it was found for. */
  private readonly mountByBaseUrl = new Map<string, string | undefined>();

  constructor(private readonly expressApp: () => unknown) {}

  /** `status` is undefined while the response is still in flight. */
  endpointOf(request: object, status: number | undefined): string {
    const baseUrl = (request as MountedRequest).baseUrl;
    if (typeof baseUrl === 'string' && baseUrl !== '') {
      return this.literalMountOf(baseUrl) ?? MIDDLEWARE_ENDPOINT;
    }
    return status !== undefined && status < 400 ? MIDDLEWARE_ENDPOINT : UNMATCHED_ENDPOINT;
  }

  private literalMountOf(baseUrl: string): string | undefined {
    if (this.mountByBaseUrl.has(baseUrl)) return this.mountByBaseUrl.get(baseUrl);
    const mount = this.findLiteralMount(baseUrl);
    if (this.mountByBaseUrl.size < MAX_REMEMBERED_MOUNTS) this.mountByBaseUrl.set(baseUrl, mount);
    return mount;
  }

  /**
   * The label is the path as the app registered it (`rawPath`), never `baseUrl` itself: Express matches
   * mount paths case-insensitively, so `baseUrl` holds whatever casing the client sent.
   */
  private findLiteralMount(baseUrl: string): string | undefined {
    const app = this.expressApp() as { router?: { stack?: ExpressMountLayer[] } } | undefined;
    for (const layer of app?.router?.stack ?? []) {
      if (layer.route || !Array.isArray(layer.matchers)) continue;
      const paths: unknown[] = Array.isArray(layer.rawPath) ? layer.rawPath : [layer.rawPath];
      for (const [index, path] of paths.entries()) {
        if (typeof path !== 'string' || !LITERAL_PATH.test(path)) continue;
        const match = layer.matchers[index]?.(baseUrl);
        if (match && match.path === baseUrl) return path;
      }
    }
    return undefined;
  }
}
