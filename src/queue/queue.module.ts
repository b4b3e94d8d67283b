import { Module } from '@nestjs/common';
import { EmailQueue } from './email.queue.js';

@Module({
  providers: [EmailQueue],
  exports: [EmailQueue],
})
export class QueueModule {}
