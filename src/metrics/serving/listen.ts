import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP listener of the library's own, outside the Nest app. */
export interface OwnListener {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/**
 * Starts a plain HTTP server and resolves once it listens; rejects when it cannot (port in use), so a
 * misconfigured port fails the app's bootstrap instead of leaving the metrics unreachable.
 */
export function listen(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  port: number,
  host?: string,
): Promise<OwnListener> {
  const server = createServer(handler);
  // Scrapers reuse connections; without this a closing app would wait for their idle sockets.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({ address: server.address() as AddressInfo, close: () => closeServer(server) });
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
