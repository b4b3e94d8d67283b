import { HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { markUnrecorded } from '../http/request-state.js';
import type { MetricsService } from '../metrics.service.js';
import { authChallenge, isAuthorized } from '../utils/endpoint-auth.js';

/**
 * The checks every endpoint runs first: keep the scrape out of the HTTP metrics, answer 404 when the
 * module is disabled, the endpoint is off (`served`) or the endpoints are served elsewhere (own port,
 * cluster primary) and 401 without valid credentials. Done in the handler rather than a guard so the
 * request is marked unrecorded before anything else can answer it. Returns whether to serve.
 */
export function endpointAccess(
  metrics: MetricsService,
  response: Response,
  served = true,
): boolean {
  markUnrecorded(response);
  const { enabled, auth } = metrics.options;
  if (!enabled || !served || !metrics.servesEndpointsOnAppPort) {
    refuse(
      response,
      HttpStatus.NOT_FOUND,
      `Cannot ${response.req.method} ${response.req.path}`,
      'Not Found',
    );
    return false;
  }
  if (auth && !isAuthorized(auth, response.req.headers.authorization)) {
    response.setHeader('WWW-Authenticate', authChallenge(auth));
    refuse(response, HttpStatus.UNAUTHORIZED, 'Unauthorized');
    return false;
  }
  return true;
}

function refuse(response: Response, statusCode: number, message: string, error?: string): void {
  response
    .status(statusCode)
    .json(error ? { message, error, statusCode } : { message, statusCode });
}
