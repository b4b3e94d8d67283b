import { Module } from '@nestjs/common';
import { ItemsController } from './items.controller.js';
import { PricingClient } from './pricing.client.js';
import { PricingUpstream } from './pricing.upstream.js';

@Module({
  controllers: [ItemsController],
  providers: [PricingUpstream, PricingClient],
})
export class ItemsModule {}
