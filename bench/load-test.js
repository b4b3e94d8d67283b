/**
 * `npm run load-test`: compiles the load runner (test/fixtures/processes/load-run.ts) and runs it in a
 * process of its own with --expose-gc, so that its heap figures are the app's and nothing else's.
 */
import { spawn } from 'node:child_process';
import { buildForNode } from '../test/support/node-build.js';

const RUNNER = 'test/fixtures/processes/load-run.ts';

const build = await buildForNode([RUNNER]);
try {
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', build.entry(RUNNER)], {
      stdio: 'inherit',
    });
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  process.exitCode = code;
} finally {
  await build.remove();
}
