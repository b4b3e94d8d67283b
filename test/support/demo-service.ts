/**
 * The demo service (src/main.ts) as a real child process, the way an operator runs it with `npm start`.
 */
import { startChild, waitUntilServing, type ChildProcessHandle } from './child-process.js';
import { freePort, LOOPBACK } from './loopback.js';
import { buildForNode, type NodeBuild } from './node-build.js';
import { PROJECT_ROOT } from './project-root.js';

const DEMO_ENTRY = 'src/main.ts';

/**
 * Compiles the demo for `node`, without type-checking: that is `npm run build`'s job and ts-jest's,
 * and skipping it halves the time. The caller removes the build when done.
 *
 * @throws Error with tsc's output when the sources do not compile.
 */
export function buildDemo(): Promise<NodeBuild> {
  return buildForNode([DEMO_ENTRY], { typeCheck: false });
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
 * Starts the demo from `build` (see {@link buildDemo}) on a loopback port with an in-memory
 * database and waits until /health answers.
 *
 * @throws Error with the demo's output when it exits or does not become healthy in time; the process
 *   is stopped first.
 */
export async function startDemo(
  build: NodeBuild,
  { env = {}, port }: StartDemoOptions = {},
): Promise<DemoService> {
  port ??= await freePort();
  const child = await startChild('demo service', process.execPath, [build.entry(DEMO_ENTRY)], {
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
