import { Controller } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';

export interface QuoteRequest {
  price: number;
  quantity: number;
}

/** The demo's in-process TCP microservice: `rpc_messages_total{transport="tcp", …}`. */
@Controller()
export class QuotesRpcController {
  private readonly viewed = new Map<string, number>();

  @MessagePattern({ cmd: 'quote' })
  quote(@Payload() { price, quantity }: QuoteRequest): { total: number } {
    if (!(quantity > 0)) throw new RpcException('quantity must be positive');
    return { total: price * quantity };
  }

  @EventPattern('quote.viewed')
  onViewed(@Payload() item: string): void {
    this.viewed.set(item, (this.viewed.get(item) ?? 0) + 1);
  }
}
