import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { AuthModule } from './auth/auth.module.js';
import { DemoGraphqlModule } from './graphql/demo-graphql.module.js';
import { ChatModule } from './chat/chat.module.js';
import { HealthModule } from './health/health.module.js';
import { ItemsModule } from './items/items.module.js';
import { MetricsModule, type MetricsModuleOptions } from './metrics/index.js';
import { QueueModule } from './queue/queue.module.js';
import { RpcModule } from './rpc/rpc.module.js';
import { UsersModule } from './users/users.module.js';

export const APP_NAME = 'nestjs-instrumentator-demo';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    MetricsModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService): MetricsModuleOptions => {
        const bearerToken = config.get<string>('METRICS_AUTH_TOKEN');
        return {
          appName: APP_NAME,
          graphqlResolverDuration: true,
          // The live page at /metrics/custom/dashboard; off by default in the library.
          dashboard: true,
          auth: bearerToken ? { bearerToken } : undefined,
        };
      },
    }),
    QueueModule,
    UsersModule,
    AuthModule,
    ItemsModule,
    HealthModule,
    DemoGraphqlModule,
    RpcModule,
    ChatModule,
  ],
})
export class AppModule {}
