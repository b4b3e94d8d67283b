import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import type { Database, Statement } from 'better-sqlite3';
import { DATABASE } from '../database/database.tokens.js';

export interface HealthStatus {
  status: 'ok';
  uptime_seconds: number;
}

@Controller('health')
export class HealthController {
  private readonly ping: Statement<[]>;

  constructor(@Inject(DATABASE) database: Database) {
    this.ping = database.prepare('SELECT 1');
  }

  @Get()
  check(): HealthStatus {
    try {
      this.ping.get();
    } catch {
      throw new ServiceUnavailableException({ status: 'error', reason: 'database unavailable' });
    }
    return { status: 'ok', uptime_seconds: Math.floor(process.uptime()) };
  }
}
