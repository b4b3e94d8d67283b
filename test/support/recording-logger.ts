import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps what is logged at error level and drops the rest, so tests stay quiet. */
export class RecordingLogger implements LoggerService {
  readonly errors: string[] = [];

  error(message: unknown, ...details: unknown[]): void {
    this.errors.push([message, ...details].map(String).join(' '));
  }

  log(): void {}
  warn(): void {}
  debug(): void {}
  verbose(): void {}
}
