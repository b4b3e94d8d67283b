// The local upstream that outbound calls go to: a node:http server on 127.0.0.1 answering every
// request with the same small JSON body.
import { createServer } from 'node:http';

/** Starts the upstream on a port the kernel picks; read it from `server.address().port`. */
export async function startUpstream() {
  const body = JSON.stringify({ items: [1, 2, 3], source: 'upstream' });
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
