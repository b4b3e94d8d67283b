import { Module } from '@nestjs/common';
import { QuotesClient } from './quotes.client.js';
import { QuotesController } from './quotes.controller.js';
import { QuotesRpcController } from './quotes.rpc-controller.js';

@Module({
  controllers: [QuotesController, QuotesRpcController],
  providers: [QuotesClient],
})
export class RpcModule {}
