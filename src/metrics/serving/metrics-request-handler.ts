import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsAuthOptions } from '../interfaces/metrics-module-options.interface.js';
import type { MetricsSummary } from '../interfaces/metrics-summary.interface.js';
import { writeExposition, type Exposition } from '../utils/exposition.js';
import { authChallenge, isAuthorized } from '../utils/endpoint-auth.js';

/** What a listener outside the app serves: the same exposition and summary as the app's routes. */
export interface MetricsSource {
  exposition(accept?: string, acceptEncoding?: string): Promise<Exposition>;
  summary(): Promise<MetricsSummary>;
}

export interface MetricsRoutes {
  path: string;
  customPath: string;
  auth?: MetricsAuthOptions;
}

/**
 * A plain Node request handler for `path` and `customPath`, for listeners that are not the Nest app:
 * the module's separate metrics port and the cluster primary. Anything else answers 404; a failure
 * while rendering answers 500 without the error's text, which could carry label values.
 */
export function createMetricsRequestHandler(
  source: MetricsSource,
  routes: MetricsRoutes,
  onError: (error: unknown) => void,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    serve(source, routes, request, response).catch((error: unknown) => {
      onError(error);
      if (!response.headersSent)
        sendJson(response, 500, { message: 'Internal Server Error', statusCode: 500 });
      else response.destroy();
    });
  };
}

async function serve(
  source: MetricsSource,
  routes: MetricsRoutes,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = request.url ?? '/';
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const route =
    path === routes.path ? 'exposition' : path === routes.customPath ? 'summary' : undefined;
  if (route === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
    sendJson(response, 404, { message: 'Not Found', statusCode: 404 });
    return;
  }
  if (routes.auth && !isAuthorized(routes.auth, request.headers.authorization)) {
    response.setHeader('WWW-Authenticate', authChallenge(routes.auth));
    sendJson(response, 401, { message: 'Unauthorized', statusCode: 401 });
    return;
  }
  if (route === 'summary') {
    response.setHeader('Cache-Control', 'no-store');
    sendJson(response, 200, await source.summary());
    return;
  }
  const exposition = await source.exposition(
    request.headers.accept,
    request.headers['accept-encoding'],
  );
  writeExposition(request, response, exposition);
}

/** Answers with a JSON body; the app's metrics routes and the listeners outside the app share it. */
export function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.statusCode = statusCode;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(text));
  response.end(text);
}
