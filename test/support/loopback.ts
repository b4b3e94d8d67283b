/**
 * Servers on the loopback interface for e2e suites: free ports for child processes that must be
 * told theirs up front, and listening and closing for servers the suite runs itself.
 */
import type { INestApplication } from '@nestjs/common';
import { createServer, type Server } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/**
 * Asks the kernel for an ephemeral port on the loopback interface and releases it. Another process
 * could take it before the caller binds it; ephemeral ports are handed out in rotation, so that is
 * rare enough for tests, and the caller's readiness check reports it if it happens.
 *
 * @throws Error when no port can be bound.
 */
export async function freePort(host = LOOPBACK): Promise<number> {
  const server = createServer();
  server.unref();
  const port = await listenOnLoopback(server, host);
  await closeServer(server);
  if (port === 0) throw new Error('No port was assigned');
  return port;
}

/**
 * Starts `server` on a port the kernel picks.
 *
 * @returns the port, `0` if the server reports none.
 * @throws Error when the server cannot listen.
 */
export function listenOnLoopback(server: Server, host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve(boundPort(server));
    });
  });
}

/**
 * Starts a Nest app on a free loopback port.
 *
 * @returns its base URL, e.g. `http://127.0.0.1:40123`.
 */
export async function listenAppOnLoopback(app: INestApplication): Promise<string> {
  await app.listen(0, LOOPBACK);
  return `http://${LOOPBACK}:${boundPort(app.getHttpServer() as Server)}`;
}

/** Stops `server` accepting connections and resolves once those open have ended. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function boundPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}
