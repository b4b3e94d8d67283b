/**
 * Bounded polling for e2e suites that wait on other processes (a server starting, a scrape landing).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  /** @default 100 */
  attempts?: number;
  /** @default 100 */
  intervalMs?: number;
  /** Checked before each attempt; a reason returned stops the polling at once (e.g. the server exited). */
  giveUpIf?: () => string | undefined;
}

/**
 * For state that settles within milliseconds (a response's `close` event landing just after the
 * client has its answer, a worker coming up): 200 attempts 25 ms apart.
 */
export const FAST_POLL = { attempts: 200, intervalMs: 25 } as const satisfies PollOptions;

/**
 * Calls `attempt` until it returns something other than `undefined`, and returns that. An attempt
 * that throws counts as not ready (a server that is still starting refuses connections).
 *
 * @throws Error naming `what` when every attempt came back empty (with the last attempt's error), or
 *   as soon as `giveUpIf` gives a reason.
 */
export async function pollUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  { attempts = 100, intervalMs = 100, giveUpIf }: PollOptions = {},
): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const reason = giveUpIf?.();
    if (reason) throw new Error(`Gave up waiting for ${what}: ${reason}`);
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (i < attempts - 1) await sleep(intervalMs);
  }
  const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`Gave up waiting for ${what} after ${attempts} attempts${cause}`, {
    cause: lastError,
  });
}
