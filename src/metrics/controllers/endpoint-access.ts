import { HttpStatus } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { markUnrecorded } from '../transports/http/request-state.js';
import type { MetricsService } from '../metrics.service.js';
import { sendJson } from '../serving/metrics-request-handler.js';
import { authChallenge, isAuthorized } from '../utils/endpoint-auth.js';

/**
 * The checks both endpoints run first: keep the scrape out of the HTTP metrics, answer 404 when the
 * module is disabled or the endpoints are served elsewhere (own port, cluster primary) and 401
 * without valid credentials. Done in the handler rather than a guard so the request is marked
 * unrecorded before anything else can answer it. Returns whether to serve.
 */
export function endpointAccess(
  metrics: MetricsService,
  request: IncomingMessage,
  response: ServerResponse,
): boolean {
  markUnrecorded(response);
  const { enabled, auth } = metrics.options;
  if (!enabled || !metrics.servesEndpointsOnAppPort) {
    // The body of Nest's own not-found answer, on either platform.
    sendJson(response, HttpStatus.NOT_FOUND, {
      message: `Cannot ${request.method} ${pathOf(request)}`,
      error: 'Not Found',
      statusCode: HttpStatus.NOT_FOUND,
    });
    return false;
  }
  if (auth && !isAuthorized(auth, request.headers.authorization)) {
    response.setHeader('WWW-Authenticate', authChallenge(auth));
    sendJson(response, HttpStatus.UNAUTHORIZED, {
      message: 'Unauthorized',
      statusCode: HttpStatus.UNAUTHORIZED,
    });
    return false;
  }
  return true;
}

function pathOf(request: IncomingMessage): string {
  // Express rewrites `url` inside mounted routers; `originalUrl` is what the client sent.
  const url =
    (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url ?? '/';
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}
