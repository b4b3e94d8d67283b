/**
 * Long-running child processes for e2e suites (the demo service, a Prometheus server), stopped by
 * their own pid however the suite ends.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil } from './poll.js';

/** Enough of a child's output to explain why it failed, without holding a chatty server's whole log. */
const KEPT_OUTPUT_CHARS = 16_000;
const GRACEFUL_STOP_MS = 5_000;

export interface ChildProcessHandle {
  readonly name: string;
  readonly pid: number;
  /** The tail of stdout and stderr, interleaved, for error messages. */
  output(): string;
  /** The exit code, or the signal's name, once the process has ended; undefined while it runs. */
  exitStatus(): number | string | undefined;
  /**
   * Sends SIGTERM to the pid, then SIGKILL if it has not exited within a few seconds, and resolves once
   * it has exited. Safe to call more than once and after the process has ended.
   */
  stop(): Promise<void>;
}

export interface StartChildOptions {
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Starts `command` with piped output (kept for diagnostics) and no stdin.
 *
 * @throws Error when the process cannot be spawned at all (e.g. the binary is missing).
 */
export async function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: StartChildOptions = {},
): Promise<ChildProcessHandle> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let status: number | string | undefined;
  const exited = once(child, 'exit').then(([code, signal]) => {
    status = (code as number | null) ?? (signal as string);
  });
  child.on('error', (error) => keep(Buffer.from(`\n[${name}] ${error.message}\n`)));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} did not start`);

  const waitForExit = async (ms: number) => {
    const timeout = new AbortController();
    await Promise.race([
      exited,
      sleep(ms, undefined, { signal: timeout.signal }).catch(() => undefined),
    ]);
    timeout.abort();
  };
  return {
    name,
    pid,
    output: () => output,
    exitStatus: () => status,
    async stop() {
      if (status !== undefined) return;
      signalPid(pid, 'SIGTERM');
      await waitForExit(GRACEFUL_STOP_MS);
      if (status !== undefined) return;
      signalPid(pid, 'SIGKILL');
      await exited;
    },
  };
}

/** Why a child is no longer running, for polling loops that should not wait on a dead process. */
export function exitReason(child: ChildProcessHandle): string | undefined {
  const status = child.exitStatus();
  return status === undefined ? undefined : `${child.name} exited (${status})`;
}

/**
 * Polls `url` until it answers with a 2xx status, for a server the child runs.
 *
 * @throws Error carrying the child's output when it exits first or does not answer in time.
 */
export async function waitUntilServing(
  child: ChildProcessHandle,
  url: string,
  attempts = 150,
): Promise<void> {
  try {
    await pollUntil(
      `${child.name} at ${url}`,
      async () => ((await fetch(url)).ok ? true : undefined),
      {
        attempts,
        giveUpIf: () => exitReason(child),
      },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- ${child.name} output ---\n${child.output()}`);
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    // ESRCH: it exited between the check and the signal, which is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
