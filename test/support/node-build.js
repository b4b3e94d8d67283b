/**
 * Compiles the library, and the entries a suite names, to plain ES modules that `node` runs as a
 * separate process: cluster workers, batch jobs and the demo service cannot live inside Jest's
 * module sandbox. The sources are compiled rather than dist/ used, which may be missing or older.
 * Each build goes to a fresh directory below node_modules/.cache, where the package's own
 * node_modules resolve; the caller removes it when done.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from './project-root.js';

const CACHE_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'nestjs-instrumentator');

/**
 * @param {string[]} entries repo-relative paths of the TypeScript entry files to compile besides the library
 * @param {{ typeCheck?: boolean }} [options] `typeCheck: false` only emits (`--noCheck`), in
 *   about half the time, for sources that `npm run build` and ts-jest check anyway
 * @returns {Promise<{ outDir: string, entry(path: string): string, remove(): Promise<void> }>}
 */
export async function buildForNode(entries, { typeCheck = true } = {}) {
  await mkdir(CACHE_DIR, { recursive: true });
  const buildDir = await mkdtemp(join(CACHE_DIR, 'node-build-'));
  const outDir = join(buildDir, 'out');
  const remove = () => rm(buildDir, { recursive: true, force: true });
  try {
    await writeFile(
      join(buildDir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(PROJECT_ROOT, 'tsconfig.json'),
        compilerOptions: {
          outDir,
          rootDir: PROJECT_ROOT,
          types: ['node'],
          sourceMap: false,
          declaration: false,
        },
        files: [
          join(PROJECT_ROOT, 'src/metrics/index.ts'),
          ...entries.map((entry) => join(PROJECT_ROOT, entry)),
        ],
        include: [],
      }),
    );
    const tsc = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [tsc, '-p', join(buildDir, 'tsconfig.json'), ...(typeCheck ? [] : ['--noCheck'])],
        { timeout: 120_000 },
        (error, stdout) =>
          error ? reject(new Error(`tsc failed: ${stdout || error.message}`)) : resolve(undefined),
      );
    });
    // Below node_modules, Node looks for no package scope above the build, so it declares its own.
    await writeFile(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    outDir,
    entry: (path) => join(outDir, path.replace(/\.ts$/, '.js')),
    remove,
  };
}
