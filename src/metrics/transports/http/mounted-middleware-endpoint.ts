/** The endpoint label of a response that a middleware, not a route, answered, on any platform. */
import { MIDDLEWARE_ENDPOINT, UNMATCHED_ENDPOINT } from '../../metrics.constants.js';

/** Distinct mount paths remembered; a literal mount path is written by the app, so few ever exist. */
const MAX_REMEMBERED_MOUNTS = 1000;

/** A mount path without parameters, wildcards or patterns: text the app wrote, fit for a label. */
const LITERAL_PATH = /^\/[\w\-./~]*$/;

/** One path a middleware was mounted at, as the app registered it. */
export interface MiddlewareMount {
  /** As the app passed it (with the prefix of the plugin it was mounted in, on Fastify). */
  readonly path: unknown;
  /** Whether the part of a request's path that this mount matched can be `mounted`. */
  matches(mounted: string): boolean;
}

/** What a platform tells about the middleware mounted with `app.use(path, …)`. */
export interface MiddlewareMountReader {
  /**
   * The part of the request's path matched by the mount of the middleware handling it, as the
   * client wrote it; `''` for a middleware at the root, or when none is handling it. Client text:
   * it is only looked up, never a label.
   */
  mountedPathOf(request: object): string;
  /** The mounts of the app's middleware, in the order they run. */
  mounts(): Iterable<MiddlewareMount>;
}

/**
 * Names the handler of a response that no route matched, so that handlers mounted with
 * `app.use(path, …)` (Apollo's GraphQL handler, static files, Swagger UI's assets) are not counted
 * with the 404s:
 * - a middleware mounted at a literal path answered → that mount path (e.g. `/graphql`, with any
 *   global prefix), the path the app wrote, never one a client chose;
 * - a middleware at the root or at a parameterized path answered with a status below 400 →
 *   `<middleware>`;
 * - anything else (a not-found answer, a malformed request) → `<unmatched>`.
 *
 * Express and Fastify (@fastify/middie) both leave the request's mounted path set while a mounted
 * middleware handles it and reset it when the middleware passes the request on, so at the end of
 * the response it names the middleware that answered.
 */
export class MountedMiddlewareEndpoints {
  /** Mount path (or `undefined`: none) by the mounted path it was found for. */
  private readonly mountByMountedPath = new Map<string, string | undefined>();

  constructor(private readonly reader: MiddlewareMountReader) {}

  /** `status` is undefined while the response is still in flight. */
  endpointOf(request: object, status: number | undefined): string {
    const mounted = this.reader.mountedPathOf(request);
    if (mounted !== '') return this.literalMountOf(mounted) ?? MIDDLEWARE_ENDPOINT;
    return status !== undefined && status < 400 ? MIDDLEWARE_ENDPOINT : UNMATCHED_ENDPOINT;
  }

  private literalMountOf(mounted: string): string | undefined {
    if (this.mountByMountedPath.has(mounted)) return this.mountByMountedPath.get(mounted);
    const mount = this.findLiteralMount(mounted);
    if (this.mountByMountedPath.size < MAX_REMEMBERED_MOUNTS) {
      this.mountByMountedPath.set(mounted, mount);
    }
    return mount;
  }

  /**
   * The label is the path as the app registered it, never the mounted path itself: both platforms
   * match mount paths case-insensitively, so that holds whatever casing the client sent.
   */
  private findLiteralMount(mounted: string): string | undefined {
    for (const mount of this.reader.mounts()) {
      const path = mount.path;
      if (typeof path === 'string' && LITERAL_PATH.test(path) && mount.matches(mounted))
        return path;
    }
    return undefined;
  }
}
