import type { INestApplication } from '@nestjs/common';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { Server } from 'node:net';
import { QuotesClient } from './quotes.client.js';

const RPC_HOST = '127.0.0.1';

/**
 * Starts the demo's TCP microservice inside the HTTP app (a hybrid app) on `port`, 0 for one the
 * kernel picks, and points the demo's client at it.
 */
export async function startMicroservice(app: INestApplication, port: number): Promise<number> {
  const microservice = app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.TCP,
    options: { host: RPC_HOST, port },
  });
  await app.startAllMicroservices();
  const address = microservice.unwrap<Server>().address();
  const bound = typeof address === 'object' && address ? address.port : port;
  app.get(QuotesClient).connectTo(RPC_HOST, bound);
  return bound;
}
