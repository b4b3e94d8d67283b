import { Controller, Get, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ItemQueryDto } from './item-query.dto.js';
import { PricingClient, type ItemPrice } from './pricing.client.js';

@Controller('items')
export class ItemsController {
  constructor(private readonly pricing: PricingClient) {}

  @Get(':id')
  getById(
    @Param('id', ParseIntPipe) id: number,
    @Query() query: ItemQueryDto,
  ): { id: number; q: string | null } {
    return { id, q: query.q ?? null };
  }

  @Get(':id/price')
  getPrice(@Param('id', ParseIntPipe) id: number): Promise<ItemPrice> {
    return this.pricing.getPrice(id);
  }

  /** Fails on purpose with a plain Error, to show how unhandled errors are counted as 500s. */
  @Get(':id/fail')
  fail(): never {
    throw new Error('boom');
  }
}
