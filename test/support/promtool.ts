/**
 * Locating external binaries (promtool, prometheus, prometheus-pushgateway, ...)
 * for e2e suites.
 *
 * On a developer machine a missing binary skips the suites that need it, with
 * the install hint in the suite title, so `npm test` stays usable without the
 * whole Prometheus toolchain. Under CI (CI=true) a missing binary is an error
 * instead: a silently skipped suite there would turn a broken CI image into a
 * green build.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

type Env = Record<string, string | undefined>;

/**
 * Searched after PATH: CI runners and IDE-launched jest often run with a
 * trimmed PATH, while Debian installs these tools into /usr/bin.
 */
const FALLBACK_DIRS = ['/usr/local/bin', '/usr/bin', '/usr/sbin', '/bin'];

/** Debian's `prometheus` package ships both `prometheus` and `promtool`; .ci/run installs it. */
export const PROMETHEUS_INSTALL_HINT =
  'sudo apt-get install prometheus (Debian/Ubuntu; it ships promtool too)';

export function isCi(env: Env = process.env): boolean {
  return env.CI === 'true';
}

/**
 * Environment variable that points at a binary outside PATH, e.g. PROMTOOL_BIN
 * or PROMETHEUS_PUSHGATEWAY_BIN.
 */
export function binaryEnvVar(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BIN`;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of an executable `name`, or undefined when there is none. */
export function findBinary(name: string, env: Env = process.env): string | undefined {
  const override = env[binaryEnvVar(name)];
  if (override) {
    // An explicit override that does not work must not fall back to some
    // other copy on PATH: that would test a different version than intended.
    return isExecutableFile(override) ? override : undefined;
  }
  if (isAbsolute(name)) return isExecutableFile(name) ? name : undefined;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly installHint: string,
    env: Env = process.env,
  ) {
    const variable = binaryEnvVar(binary);
    const where = env[variable]
      ? `${variable}=${env[variable]} is not an executable file`
      : `${binary} was not found on PATH (set ${variable} to point at it elsewhere)`;
    super(
      `${where}, and CI=true forbids skipping the tests that need it. Install it: ${installHint}`,
    );
    this.name = 'MissingBinaryError';
  }
}

/**
 * Path of `name` if available. When it is missing: throws MissingBinaryError
 * under CI, otherwise returns undefined so the caller can skip.
 */
export function requireBinary(
  name: string,
  installHint: string,
  env: Env = process.env,
): string | undefined {
  const found = findBinary(name, env);
  if (found) return found;
  if (isCi(env)) throw new MissingBinaryError(name, installHint, env);
  return undefined;
}

/**
 * `describe` whose tests need the binary `name`; `body` receives its path.
 *
 * Missing locally: the block is registered with describe.skip (body still runs
 * so the skipped tests are listed, but receives the bare name, which it must
 * not execute at collection time). Missing under CI: the block holds a single
 * failing test carrying MissingBinaryError, so the report says what to install
 * rather than just "suite failed to run".
 */
export function describeWithBinary(
  name: string,
  installHint: string,
  title: string,
  body: (binaryPath: string) => void,
  env: Env = process.env,
): void {
  let found: string | undefined;
  try {
    found = requireBinary(name, installHint, env);
  } catch (err) {
    describe(title, () => {
      it(`requires ${name}`, () => {
        throw err;
      });
    });
    return;
  }
  if (found) {
    describe(title, () => body(found));
    return;
  }
  const reason = `${name} not found; to run these tests: ${installHint}`;
  console.warn(`Skipping "${title}": ${reason}`);
  describe.skip(`${title} [skipped: ${reason}]`, () => body(name));
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together: promtool reports on either, depending on the command. */
  output: string;
}

/** Runs a binary to completion, `input` on its stdin; never throws on a non-zero exit. */
export function runBinary(
  binaryPath: string,
  args: readonly string[],
  options: Pick<SpawnSyncOptions, 'cwd' | 'env' | 'timeout' | 'input'> = {},
): RunResult {
  const result = spawnSync(binaryPath, args, { timeout: 60_000, ...options, encoding: 'utf8' });
  if (result.error) throw result.error;
  const stdout = result.stdout ?? '';
  const stderr = result.stderr ?? '';
  return { status: result.status, stdout, stderr, output: `${stdout}${stderr}` };
}
