import type { IncomingMessage } from 'node:http';
import type { RequestState } from './request-state.js';

/**
 * What an HTTP platform (Express, Fastify) tells the platform-neutral tracker: which route answered a
 * request and what its template is. Everything else (timing, sizes, status, exclusion, exceptions,
 * in-progress) is recorded by the tracker in one place, the same way on every platform.
 */
export interface HttpPlatform {
  /**
   * Starts whatever the platform needs per request (a Fastify hook; nothing for Express), called once
   * the app's routes are registered. `app` is the platform's own instance (`getInstance()`).
   */
  attach(app: unknown): void;
  /** Called once the app has bootstrapped, when routes of the app's own (404 handlers) exist. */
  bootstrapped?(app: unknown): void;
  detach(): void;
  /**
   * The route that answered, as an object that is the same for every request it answers (so the
   * tracker can cache its series), or `undefined` when no route matched. A response that ended before
   * the platform ran its route (a body parser or a middleware answered) counts under that route.
   * `status` is undefined while the response is in flight.
   */
  routeOf(
    request: IncomingMessage,
    state: RequestState,
    status: number | undefined,
  ): object | undefined;
  /**
   * The route's template, with the global prefix and version, or `undefined` when the route only
   * answers unmatched requests (a not-found handler). Asked once per route.
   */
  templateOf(route: object): string | undefined;
  /**
   * The endpoint label of a response that no route answered, for platforms where a handler mounted
   * outside the router (a middleware) can answer; `<unmatched>` when absent. Must return a bounded
   * label written by the app, never client text. `status` is undefined while the response is in flight.
   */
  unroutedEndpointOf?(request: IncomingMessage, status: number | undefined): string;
}
