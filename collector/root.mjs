// The repository root, for everything that finds files in it (dist/, snippet/,
// collector/public/): the collector, the tests and the bench.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
