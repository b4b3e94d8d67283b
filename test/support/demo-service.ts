/**
 * The demo service (src/main.ts) as a real child process, the way an operator runs it with `npm start`.
 *
 * The suite compiles src/ itself rather than relying on dist/, which may be missing or older than the
 * sources. It emits into node_modules/.cache so that the compiled files resolve the project's
 * node_modules like dist/ would, without touching dist/. Type-checking is skipped (`--noCheck`): it
 * is `npm run build`'s job and ts-jest's, and skipping it halves the time.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startChild, waitUntilServing, type ChildProcessHandle } from './child-process.js';
import { freePort, LOOPBACK } from './free-port.js';
import { PROJECT_ROOT } from './project-root.js';

const execFileAsync = promisify(execFile);

const BUILD_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'nestjs-instrumentator', 'demo');

/** Compiles src/ into a private build directory and returns the path of its main.js. */
export async function buildDemo(): Promise<string> {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['-p', 'tsconfig.build.json', '--outDir', BUILD_DIR, '--noCheck'];
  await execFileAsync(
    process.execPath,
    [tsc, ...args, '--declaration', 'false', '--sourceMap', 'false'],
    {
      cwd: PROJECT_ROOT,
    },
  );
  // Outside the project's own package scope (node_modules ends it), so say again that .js is ESM.
  mkdirSync(BUILD_DIR, { recursive: true });
  writeFileSync(join(BUILD_DIR, 'package.json'), '{ "type": "module" }\n');
  return join(BUILD_DIR, 'main.js');
}

export interface DemoService {
  /** e.g. `http://127.0.0.1:40123` */
  readonly url: string;
  /** `127.0.0.1:40123`, as a Prometheus target. */
  readonly address: string;
  readonly process: ChildProcessHandle;
  stop(): Promise<void>;
}

export interface StartDemoOptions {
  /** Added to the demo's environment; DATABASE_PATH defaults to `:memory:`. */
  env?: Record<string, string>;
  /** Chosen up front when others must know the address before the demo runs. @default a free port */
  port?: number;
}

/**
 * Starts the compiled demo on a loopback port with an in-memory database and waits until /health
 * answers.
 *
 * @throws Error with the demo's output when it exits or does not become healthy in time; the process
 *   is stopped first.
 */
export async function startDemo(
  mainJs: string,
  { env = {}, port }: StartDemoOptions = {},
): Promise<DemoService> {
  port ??= await freePort();
  const child = await startChild('demo service', process.execPath, [mainJs], {
    cwd: PROJECT_ROOT,
    env: { DATABASE_PATH: ':memory:', ...env, PORT: String(port), HOST: LOOPBACK, NO_COLOR: '1' },
  });
  const url = `http://${LOOPBACK}:${port}`;
  try {
    await waitUntilServing(child, `${url}/health`);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { url, address: `${LOOPBACK}:${port}`, process: child, stop: () => child.stop() };
}
