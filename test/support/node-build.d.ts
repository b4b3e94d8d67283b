export declare const REPO_ROOT: string;

export interface NodeBuild {
  outDir: string;
  /** Where the compiled form of a repo-relative `.ts` entry lies. */
  entry(path: string): string;
  remove(): Promise<void>;
}

export declare function buildForNode(entries: string[]): Promise<NodeBuild>;
