export interface NodeBuild {
  outDir: string;
  /** Where the compiled form of a repo-relative `.ts` entry lies. */
  entry(path: string): string;
  remove(): Promise<void>;
}

export interface BuildForNodeOptions {
  /**
   * `false` only emits (`--noCheck`), in about half the time, for sources that `npm run build` and
   * ts-jest check anyway.
   * @default true
   */
  typeCheck?: boolean;
}

/**
 * Compiles the library and `entries` (repo-relative `.ts` paths) into a fresh directory below
 * node_modules/.cache, for `node` to run as a separate process.
 *
 * @example
 * const build = await buildForNode([BATCH_JOB]);
 * try {
 *   await startChild('batch job', process.execPath, [build.entry(BATCH_JOB)]);
 * } finally {
 *   await build.remove();
 * }
 * @throws Error with tsc's output when the compilation fails; the directory is removed first.
 */
export declare function buildForNode(
  entries: string[],
  options?: BuildForNodeOptions,
): Promise<NodeBuild>;
