/** Where Express's router says a middleware was mounted (router 2.3 and later). */
import type {
  MiddlewareMount,
  MiddlewareMountReader,
} from '../http/mounted-middleware-endpoint.js';

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
 * Express sets `req.baseUrl` to the part of the path a middleware's mount matched while it handles
 * the request, and resets it when the middleware passes the request on; its router keeps each
 * middleware layer's paths as the app passed them (`rawPath`) with a matcher for each.
 */
export function expressMiddlewareMounts(expressApp: () => unknown): MiddlewareMountReader {
  return {
    mountedPathOf(request: object): string {
      const baseUrl = (request as MountedRequest).baseUrl;
      return typeof baseUrl === 'string' ? baseUrl : '';
    },
    *mounts(): Iterable<MiddlewareMount> {
      const app = expressApp() as { router?: { stack?: ExpressMountLayer[] } } | undefined;
      for (const layer of app?.router?.stack ?? []) {
        const matchers = layer.matchers;
        if (layer.route || !Array.isArray(matchers)) continue;
        const paths: unknown[] = Array.isArray(layer.rawPath) ? layer.rawPath : [layer.rawPath];
        for (const [index, path] of paths.entries()) {
          yield {
            path,
            matches: (mounted) => {
              const match = matchers[index]?.(mounted);
              return match !== false && match?.path === mounted;
            },
          };
        }
      }
    },
  };
}
