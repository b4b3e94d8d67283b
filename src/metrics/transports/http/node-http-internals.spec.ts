/**
 * Fails, naming the internal, when a Node upgrade moves what the library reads. When it does, find
 * where Node now keeps it and change node-http-internals.ts alone.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { LOOPBACK, closeServer, listenOnLoopback } from '../../../../test/support/loopback.js';
import { NODE_HTTP_INTERNALS, headerBlockOf, socketBytesWritten } from './node-http-internals.js';

let server: Server | undefined;
afterEach(async () => {
  if (server) await closeServer(server);
  server = undefined;
});

/** GETs `/` `count` times over one keep-alive connection; resolves with the bodies. */
async function getInTurn(port: number, count: number): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const bodies: string[] = [];
  for (let index = 0; index < count; index++) {
    bodies.push(
      await new Promise<string>((resolve, reject) => {
        httpRequest({ host: LOOPBACK, port, path: '/', agent }, (response) => {
          let body = '';
          response.setEncoding('latin1');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve(body));
        })
          .on('error', reject)
          .end();
      }),
    );
  }
  agent.destroy();
  return bodies;
}

describe(`the Node internals the library reads: ${Object.values(NODE_HTTP_INTERNALS).join(', ')}`, () => {
  it(`${NODE_HTTP_INTERNALS.bytesDispatched}: read where bytesWritten would be, and equal to it`, async () => {
    const seen: Array<{ dispatched: unknown; ours: number; node: number | undefined }> = [];
    server = createServer((request, response) => {
      const socket = request.socket as Socket & { _bytesDispatched?: unknown };
      seen.push({
        dispatched: socket._bytesDispatched,
        ours: socketBytesWritten(socket),
        node: socket.bytesWritten,
      });
      response.end('x'.repeat(100));
    });
    const port = await listenOnLoopback(server);
    await getInTurn(port, 3);
    expect(seen.map(({ dispatched }) => typeof dispatched)).toEqual(['number', 'number', 'number']);
    expect(seen.map(({ ours }) => ours)).toEqual(seen.map(({ node }) => node));
    // The later requests of the connection see the earlier answers' bytes.
    expect(seen[0]!.ours).toBe(0);
    expect(seen[2]!.ours).toBe(2 * seen[1]!.ours);
  });

  it('counts the queued chunks too, as bytesWritten does, while the socket has some', () => {
    const queued = {
      _bytesDispatched: 10,
      writableLength: 5,
      bytesWritten: 15,
    } as unknown as Socket;
    expect(socketBytesWritten(queued)).toBe(15);
  });

  it(`${NODE_HTTP_INTERNALS.headerBlock}: the headers writeHead() sent, which getHeader() does not see`, async () => {
    const seen: Array<{ block: string | undefined; header: unknown }> = [];
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-length': '2', 'content-type': 'text/plain' });
      response.end('ok');
      seen.push({ block: headerBlockOf(response), header: response.getHeader('content-length') });
    });
    const port = await listenOnLoopback(server);
    expect(await getInTurn(port, 1)).toEqual(['ok']);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.header).toBeUndefined();
    expect(seen[0]!.block).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(seen[0]!.block).toContain('\r\ncontent-length: 2\r\n');
    expect(seen[0]!.block).toMatch(/\r\n\r\n$/);
  });
});
