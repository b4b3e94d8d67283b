import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrackBackgroundTask } from '../metrics/index.js';
import type { User } from './user.model.js';

const SIMULATED_DELIVERY_MS = 10;

@Injectable()
export class WelcomeEmailService {
  private readonly logger = new Logger(WelcomeEmailService.name);

  /**
   * Stands in for a mail provider. Addresses under the reserved `.invalid` TLD bounce, so the
   * failed-task path can be seen in the metrics without a real provider.
   */
  @TrackBackgroundTask('welcome_email')
  async send(user: User): Promise<void> {
    await sleep(SIMULATED_DELIVERY_MS);
    if (user.email.toLowerCase().endsWith('.invalid')) {
      throw new Error(`Welcome email to user ${user.id} bounced`);
    }
    this.logger.log(`Welcome email sent to user ${user.id}`);
  }
}
