import { Controller, Get, ParseIntPipe, Query } from '@nestjs/common';
import { QuotesClient } from './quotes.client.js';

@Controller('quotes')
export class QuotesController {
  constructor(private readonly quotes: QuotesClient) {}

  /** `GET /quotes?price=3&quantity=2` asks the TCP microservice; quantity 0 shows an RPC error. */
  @Get()
  quote(
    @Query('price', ParseIntPipe) price: number,
    @Query('quantity', ParseIntPipe) quantity: number,
  ): Promise<{ total: number }> {
    return this.quotes.quote({ price, quantity });
  }
}
