import type { FastifyRouteConfig } from './fastify-internals.js';

/**
 * Whether `config` is the route @fastify/cors adds for `app.enableCors()`, `OPTIONS *`, which only
 * lets Fastify route preflights: its hook answers them. Such a response was answered by the CORS
 * handler, not by a route of the app, and is counted as on Express, where the cors middleware
 * answers it: as a middleware's answer to a path no route serves.
 */
export function isCorsPreflightRoute(config: FastifyRouteConfig & { method?: unknown }): boolean {
  return config.url === '*' && config.method === 'OPTIONS';
}
