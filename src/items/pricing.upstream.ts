import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Its price lookup always fails, so the external-call error path can be demonstrated. */
export const UNPRICEABLE_ITEM_ID = 13;

/**
 * Stands in for a remote pricing service: a plain HTTP server inside the demo's process, on a free
 * 127.0.0.1 port, so the demo's outbound calls are real HTTP calls (and its outbound-call metrics
 * real numbers) without depending on anything outside. A short id-dependent latency and a
 * deterministic price give the latency histograms something to show.
 */
@Injectable()
export class PricingUpstream implements OnModuleInit, OnModuleDestroy {
  private readonly server: Server = createServer((request, response) => {
    void this.answer(request.url ?? '/', response);
  });

  /** Base URL of the running upstream, e.g. `http://127.0.0.1:41234`. */
  url = '';

  async onModuleInit(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async onModuleDestroy(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(url: string, response: ServerResponse): Promise<void> {
    const id = Number(/^\/prices\/(\d{1,9})$/.exec(url)?.[1]);
    if (!Number.isInteger(id)) {
      response.writeHead(404).end();
      return;
    }
    await sleep(5 + (id % 20));
    if (id === UNPRICEABLE_ITEM_ID) {
      response
        .writeHead(503, { 'Content-Type': 'application/json' })
        .end('{"error":"unavailable"}');
      return;
    }
    const priceInCents = 100 + ((id * 7919) % 9900);
    response
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ id, price: priceInCents / 100, currency: 'EUR' }));
  }
}
