// Where the local cluster keeps its binaries and run folders. Everything lives
// under one ignored cache folder so a clean checkout never carries built files.
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** SVO_CLUSTER_CACHE moves the cache (CI points it outside the clone so warm reruns reuse binaries). */
export function cacheDir(): string {
  const fromEnv = process.env.SVO_CLUSTER_CACHE;
  return fromEnv !== undefined && fromEnv !== '' ? resolve(fromEnv) : join(repoRoot, '.cache', 'cluster');
}

export function binRoot(): string {
  return join(cacheDir(), 'bin');
}

export function runsDir(): string {
  return join(cacheDir(), 'run');
}

/** The run a person or a helper can find without knowing its name: a symlink to the newest run. */
export function currentRunLink(): string {
  return join(runsDir(), 'current');
}

export function toolsDir(): string {
  return join(repoRoot, 'test', 'cluster', 'tools');
}
