import {
  BadRequestException,
  Injectable,
  ServiceUnavailableException,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import type { QuoteRequest } from './quotes.rpc-controller.js';

/**
 * Calls the demo's own microservice over TCP, as another service would:
 * `rpc_client_messages_total{transport="tcp", …}`. Connected by main.ts once the microservice listens.
 */
@Injectable()
export class QuotesClient implements OnApplicationShutdown {
  private client?: ClientProxy;

  connectTo(host: string, port: number): void {
    this.client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host, port } });
  }

  async quote(request: QuoteRequest): Promise<{ total: number }> {
    if (!this.client)
      throw new ServiceUnavailableException('the quotes microservice is not running');
    this.client.emit('quote.viewed', String(request.price));
    try {
      return await firstValueFrom(this.client.send<{ total: number }>({ cmd: 'quote' }, request));
    } catch (error) {
      // The microservice answers a refused quote with { status: 'error', message }.
      throw new BadRequestException((error as { message?: string }).message ?? 'quote refused');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.close();
  }
}
