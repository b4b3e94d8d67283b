import type { FastifyRouteConfig } from './fastify-internals.js';

/**
 * Whether the route that answered `request` is the one @fastify/cors adds for `app.enableCors()`,
 * `OPTIONS *`, which only lets Fastify route preflights: its hook answers them. Such a response was
 * answered by the CORS handler, not by a route of the app, and is counted as on Express, where the
 * cors middleware answers it: as a middleware's answer to a path no route serves.
 *
 * An app without @fastify/cors may register an `OPTIONS *` route of its own, which is labelled like
 * any route. The two cannot share an app (Fastify refuses a second route with the same method and
 * path), and @fastify/cors decorates every request with `corsPreflightEnabled`, so that decoration
 * tells them apart. Only `OPTIONS *` responses get that far.
 */
export function isCorsPreflightRoute(
  config: FastifyRouteConfig & { method?: unknown },
  request: object,
): boolean {
  return config.url === '*' && config.method === 'OPTIONS' && 'corsPreflightEnabled' in request;
}
