import { Module } from '@nestjs/common';
import { CacheService } from './cache.service.js';

@Module({
  providers: [
    {
      provide: CacheService,
      useFactory: () => new CacheService({ ttlMs: 30_000, maxEntries: 1_000 }),
    },
  ],
  exports: [CacheService],
})
export class CacheModule {}
