import { Module } from '@nestjs/common';
import { ItemsController } from './items.controller.js';
import { PricingClient } from './pricing.client.js';

@Module({
  controllers: [ItemsController],
  providers: [PricingClient],
})
export class ItemsModule {}
