import { Module } from '@nestjs/common';
import { CacheModule } from '../cache/cache.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { QueueModule } from '../queue/queue.module.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';
import { WelcomeEmailService } from './welcome-email.service.js';

@Module({
  imports: [DatabaseModule, CacheModule, QueueModule],
  controllers: [UsersController],
  providers: [UsersRepository, UsersService, WelcomeEmailService],
  exports: [UsersService],
})
export class UsersModule {}
