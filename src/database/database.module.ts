import { Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Database } from 'better-sqlite3';
import { openDatabase } from './database.connection.js';
import { DATABASE } from './database.tokens.js';

const DEFAULT_DATABASE_PATH = './data/demo.db';

@Module({
  providers: [
    {
      provide: DATABASE,
      inject: [ConfigService],
      useFactory: (config: ConfigService): Promise<Database> =>
        openDatabase(config.get<string>('DATABASE_PATH') || DEFAULT_DATABASE_PATH),
    },
  ],
  exports: [DATABASE],
})
export class DatabaseModule implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseModule.name);

  constructor(@Inject(DATABASE) private readonly database: Database) {}

  // Shutdown hooks run after every module's destroy hook, so nothing needs the connection anymore.
  onApplicationShutdown(): void {
    if (this.database.open) {
      this.database.close();
      this.logger.log('Database connection closed');
    }
  }
}
