import { Logger } from '@nestjs/common';

/**
 * Instrumentation must never change a response or crash the app, so every hook runs behind this guard.
 * A failure is logged once per place it happens, not once per request, to keep a broken hook from
 * flooding the logs.
 */
export class InstrumentationErrors {
  private readonly reported = new Set<string>();

  constructor(private readonly logger = new Logger('MetricsModule')) {}

  report(where: string, error: unknown): void {
    if (this.reported.has(where)) return;
    this.reported.add(where);
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.logger.error(`Metrics were not recorded in ${where}; the app is unaffected. ${detail}`);
  }
}
