/**
 * The repository's root, where package.json and deploy/ live. Plain JavaScript, so that scripts run
 * by plain `node` (bench/) can share it with the suites.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
