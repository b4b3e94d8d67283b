import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '../metrics/index.js';

export interface EmailJob {
  /** Shown in logs when the job fails or is dropped. */
  description: string;
  run: () => Promise<void>;
}

/**
 * Runs email jobs one at a time, after the request that queued them has been answered. A job that
 * fails is logged and dropped: email delivery must never fail the request that asked for it.
 */
@Injectable()
export class EmailQueue implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EmailQueue.name);
  private readonly pending: EmailJob[] = [];
  private worker: Promise<void> | undefined;
  private accepting = true;

  constructor(private readonly metrics: MetricsService) {}

  /** Jobs waiting to start; the one being run is not counted. */
  get size(): number {
    return this.pending.length;
  }

  onModuleInit(): void {
    this.metrics.registerQueue('email', () => this.size);
  }

  // Waiting for the worker is what lets app.close() return with no job timers left behind.
  async onModuleDestroy(): Promise<void> {
    this.accepting = false;
    await this.worker;
  }

  enqueue(job: EmailJob): void {
    if (!this.accepting) {
      this.logger.warn(`Shutting down; dropped ${job.description}`);
      return;
    }
    this.pending.push(job);
    this.worker ??= this.drain();
  }

  private async drain(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      const job = this.pending.shift() as EmailJob;
      try {
        await job.run();
      } catch (error) {
        this.logger.error(`Failed ${job.description}: ${describeError(error)}`);
      }
    }
    // Nothing awaits between the loop's last empty check and this line, so every job enqueued while
    // this worker was set has already been run; later ones start a new worker.
    this.worker = undefined;
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
