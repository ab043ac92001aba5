// Where the local control plane keeps its binaries and state: outside the
// repository, so a fresh clone reuses a warm cache and `git status` stays clean.
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_CLUSTER_NAME = 'wheelhouse';

export function cacheDir(): string {
  return process.env.WHEELHOUSE_CACHE ?? join(homedir(), '.cache', 'wheelhouse');
}

/** kwokctl's own work directory (KWOK_WORKDIR): cluster state, logs, pki. */
export function kwokWorkdir(): string {
  return join(cacheDir(), 'kwok');
}

export function clusterDir(name: string): string {
  return join(kwokWorkdir(), 'clusters', name);
}

export function kubeconfigPath(name: string): string {
  return join(clusterDir(name), 'kubeconfig.yaml');
}

/** test/cluster, found from this file whether it runs from src (vitest) or dist. */
export function packageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes('/dist/') ? join(here, '..', '..') : join(here, '..');
}
