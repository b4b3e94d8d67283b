/**
 * The real processes e2e suites need (the demo service, a Prometheus server, a Pushgateway, cluster
 * primaries, batch jobs), watched through their output and always stopped by their own pid, with
 * every wait bounded.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil, type PollOptions } from './poll.js';

/** Enough of a child's output to explain a failure, without pasting a chatty server's whole log. */
const REPORTED_OUTPUT_CHARS = 16_000;
const GRACEFUL_STOP_MS = 5_000;
const LINE_TIMEOUT_MS = 30_000;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildProcessHandle {
  readonly name: string;
  readonly pid: number;
  /** Everything written to stdout and stderr so far, interleaved. */
  output(): string;
  /** The exit code, or the signal's name, once the process has ended; undefined while it runs. */
  exitStatus(): number | string | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /**
   * Resolves with the first output line matching `pattern`.
   * @default timeoutMs 30000
   * @throws Error with the output when the process exits first or time runs out.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /**
   * Sends SIGTERM to the pid, then SIGKILL if it has not exited within `graceMs`, and resolves once
   * it has exited. Safe to call more than once and after the process has ended.
   * @default graceMs 5000
   */
  stop(graceMs?: number): Promise<void>;
}

export interface StartChildOptions {
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Starts `command` with piped output (kept for assertions and diagnostics) and no stdin.
 *
 * @example
 * const job = await startChild('batch job', process.execPath, [script], { env: { SHARD: '3' } });
 * expect((await job.exited).code).toBe(0);
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
  let status: number | string | undefined;
  /** Called on every change a line waiter could be waiting for: more output, or the exit. */
  const watchers = new Set<() => void>();
  const changed = () => {
    for (const watcher of watchers) watcher();
  };
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    changed();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      status = code ?? signal ?? undefined;
      changed();
      resolve({ code, signal });
    });
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
  const handle: ChildProcessHandle = {
    name,
    pid,
    output: () => output,
    exitStatus: () => status,
    exited,
    waitForLine(pattern, timeoutMs = LINE_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const finish = (error?: Error, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          watchers.delete(check);
          if (match) resolve(match);
          else reject(new Error(`${error?.message}\n${reportedOutput(handle)}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`No line matching ${pattern} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = () => {
          const match = output
            .split('\n')
            .map((line) => line.match(pattern))
            .find((found) => found !== null);
          if (match) finish(undefined, match);
          else if (status !== undefined)
            finish(new Error(`${name} exited (${status}) before a line matching ${pattern}`));
        };
        watchers.add(check);
        check();
      });
    },
    async stop(graceMs = GRACEFUL_STOP_MS) {
      if (status !== undefined) return;
      signalPid(pid, 'SIGTERM');
      await waitForExit(graceMs);
      if (status !== undefined) return;
      signalPid(pid, 'SIGKILL');
      await exited;
    },
  };
  return handle;
}

/** Why a child is no longer running, for polling loops that should not wait on a dead process. */
export function exitReason(child: ChildProcessHandle): string | undefined {
  const status = child.exitStatus();
  return status === undefined ? undefined : `${child.name} exited (${status})`;
}

/**
 * Polls `url` until it answers with a 2xx status, for a server the child runs.
 *
 * @default poll `{ attempts: 150 }`, 100 ms apart
 * @throws Error carrying the child's output when it exits first or does not answer in time.
 */
export async function waitUntilServing(
  child: ChildProcessHandle,
  url: string,
  poll: Omit<PollOptions, 'giveUpIf'> = { attempts: 150 },
): Promise<void> {
  try {
    await pollUntil(
      `${child.name} at ${url}`,
      async () => ((await fetch(url)).ok ? true : undefined),
      { ...poll, giveUpIf: () => exitReason(child) },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${reportedOutput(child)}`);
  }
}

/** The tail of the child's output, headed by its name, for error messages. */
function reportedOutput(child: ChildProcessHandle): string {
  return `--- ${child.name} output ---\n${child.output().slice(-REPORTED_OUTPUT_CHARS)}`;
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    // ESRCH: it exited between the check and the signal, which is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
