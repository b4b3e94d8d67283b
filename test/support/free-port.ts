/**
 * Finds a TCP port nothing listens on, for child processes that must be told their port up front.
 */
import { createServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/**
 * Asks the kernel for an ephemeral port on the loopback interface and releases it. Another process
 * could take it before the caller binds it; ephemeral ports are handed out in rotation, so that is
 * rare enough for tests, and the caller's readiness check reports it if it happens.
 */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('No port was assigned'))));
    });
  });
}
