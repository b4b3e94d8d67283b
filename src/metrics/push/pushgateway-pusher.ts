import { Logger } from '@nestjs/common';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ResolvedMetricsOptions } from '../interfaces/metrics-module-options.interface.js';
import { excludeFromClientMetrics } from '../transports/http-client/index.js';

type PushgatewayOptions = NonNullable<ResolvedMetricsOptions['pushgateway']>;

/**
 * Pushes the exposition to a Pushgateway on an interval and once more when stopped, so a job that ends
 * before any scrape still leaves its metrics behind. Pushes replace the whole group (HTTP PUT): the
 * Pushgateway then holds exactly what the registry held at the last push. No push ever throws: a failure
 * is logged and the next interval tries again.
 */
export class PushgatewayPusher {
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  private failing = false;
  private readonly target: URL;

  constructor(
    private readonly options: PushgatewayOptions,
    private readonly render: () => Promise<string>,
    private readonly logger = new Logger('MetricsModule'),
  ) {
    this.target = new URL(
      `${options.url}/metrics${groupingPath(options.jobName, options.groupingLabels)}`,
    );
  }

  start(): void {
    this.timer = setInterval(() => void this.push(), this.options.intervalMs);
    // A batch job must end when its work does; the interval alone never keeps it alive.
    this.timer.unref();
  }

  /**
   * Stops the interval and pushes one last time. Takes at most `timeoutMs`, or twice that when an
   * interval push was still under way, since the last push must carry the final figures.
   */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    await this.push(true);
  }

  /** Pushes now unless a push is still under way; resolves when it has ended, whatever the outcome. */
  push(final = false): Promise<void> {
    this.inFlight ??= this.pushOnce(final).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async pushOnce(final: boolean): Promise<void> {
    try {
      const body = await this.render();
      await this.send(body);
      if (this.failing)
        this.logger.log(`Pushes to the Pushgateway at ${this.target.origin} work again`);
      this.failing = false;
    } catch (error) {
      this.failing = true;
      const reason = error instanceof Error ? error.message : String(error);
      const next = final ? 'it was the last one' : `retrying in ${this.options.intervalMs} ms`;
      this.logger.warn(
        `Push to the Pushgateway at ${this.target.origin} failed (${reason}); ${next}`,
      );
    }
  }

  private send(body: string): Promise<void> {
    const send = this.target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(
        this.target,
        {
          method: 'PUT',
          headers: { 'Content-Type': 'text/plain; version=0.0.4', Connection: 'close' },
          timeout: this.options.timeoutMs,
          agent: false,
        },
        (response) => {
          let answer = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (answer.length < 1000) answer += chunk;
          });
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else
              reject(
                new Error(`HTTP ${status}${answer ? `: ${answer.trim().slice(0, 200)}` : ''}`),
              );
          });
          response.on('error', reject);
        },
      );
      // Pushes are the library's traffic, not the app's; the outbound metrics leave them out.
      excludeFromClientMetrics(request);
      request.on('timeout', () =>
        request.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)),
      );
      request.on('error', reject);
      request.end(body);
    });
  }
}

/**
 * `/job/<name>/<label>/<value>…` with every value base64url-encoded (the `@base64` form), which is the
 * one form that carries any value, slashes and empty strings included.
 */
function groupingPath(jobName: string, groupingLabels: Readonly<Record<string, string>>): string {
  const segment = (name: string, value: string) =>
    `/${name}@base64/${Buffer.from(value, 'utf8').toString('base64url') || '='}`;
  let path = segment('job', jobName);
  for (const [name, value] of Object.entries(groupingLabels)) path += segment(name, value);
  return path;
}
