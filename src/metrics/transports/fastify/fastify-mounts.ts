/** Where @fastify/middie says a middleware was mounted, read the way Express's router is. */
import { Logger } from '@nestjs/common';
import type {
  MiddlewareMount,
  MiddlewareMountReader,
} from '../http/mounted-middleware-endpoint.js';
import { middieMountPathsOf } from './fastify-internals.js';

/** Stands for a mounted path this file cannot work out; no mount path is ever equal to it. */
const UNKNOWN_MOUNTED_PATH = '\0';

/** The Node request as @fastify/middie leaves it while (and after) a middleware handles it. */
type MiddieRequest = { url?: unknown; originalUrl?: unknown };

/**
 * @fastify/middie strips the part of the path a middleware's mount matched from `req.url` while the
 * middleware runs, as Express does, keeping the whole URL in `req.originalUrl`, and restores
 * `req.url` when the middleware passes the request on: at the end of a response a middleware
 * answered, the two tell the part its mount matched. Which paths the middleware were mounted at is
 * read from middie's own list (see fastify-internals.ts); should it move, every middleware that
 * answers counts as `<middleware>`, as before the list was read, and the module says so once.
 */
export class FastifyMiddlewareMounts implements MiddlewareMountReader {
  private instance?: object;
  private warned = false;

  /** `instance` is Fastify's root instance, read once routes and middleware are registered. */
  attach(instance: object): void {
    this.instance = instance;
    this.mountPaths();
  }

  mountedPathOf(request: object): string {
    const { url, originalUrl } = request as MiddieRequest;
    if (typeof url !== 'string' || typeof originalUrl !== 'string' || url === originalUrl)
      return '';
    const whole = pathOf(originalUrl);
    // middie leaves the path after the mount, with a "/" put in front where nothing followed it.
    const rest = pathOf(url);
    if (rest === '/') return withoutTrailingSlashes(whole);
    // With Fastify's `ignoreTrailingSlash` or `ignoreDuplicateSlashes`, middie drops those slashes.
    let end = whole.length - rest.length;
    if (!whole.endsWith(rest)) {
      if (!whole.endsWith(`${rest}/`)) return UNKNOWN_MOUNTED_PATH;
      end--;
    }
    return withoutTrailingSlashes(whole.slice(0, end)) || UNKNOWN_MOUNTED_PATH;
  }

  *mounts(): Iterable<MiddlewareMount> {
    for (const entry of this.mountPaths()) {
      for (const path of Array.isArray(entry) ? entry : [entry]) {
        if (typeof path !== 'string') continue;
        // middie matches a mount path case-insensitively, with or without its trailing "/".
        const expected = withoutTrailingSlashes(path).toLowerCase();
        yield { path, matches: (mounted) => mounted.toLowerCase() === expected };
      }
    }
  }

  private mountPaths(): unknown[] {
    if (this.instance === undefined) return [];
    try {
      return middieMountPathsOf(this.instance);
    } catch (error) {
      if (!this.warned) {
        this.warned = true;
        new Logger('MetricsModule').warn(
          `Responses that a mounted middleware answers are counted under <middleware>: ${String(error)}`,
        );
      }
      return [];
    }
  }
}

function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end--;
  return path.slice(0, end);
}
