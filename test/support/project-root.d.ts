/** The repository's root, where package.json and deploy/ live. */
export declare const PROJECT_ROOT: string;
