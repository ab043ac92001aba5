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

/** Our own files for one cluster (kwok configuration, exec scratch directory, container logs). */
export function clusterDataDir(name: string): string {
  return join(kwokWorkdir(), 'data', name);
}

/** The CRI-format log file kwok serves as every container's current log (and attach stream). */
export function containerLogFile(name: string): string {
  return join(clusterDataDir(name), 'container.log');
}

/** kube-apiserver's audit log (JSON lines; policy in audit.ts): who did what, impersonated users included. */
export function auditLogFile(name: string): string {
  return join(clusterDataDir(name), 'audit.log');
}

/** The CRI-format log file kwok serves for `logs --previous`. */
export function previousContainerLogFile(name: string): string {
  return join(clusterDataDir(name), 'container-previous.log');
}

/** test/cluster, found from this file whether it runs from src (vitest) or dist. */
export function packageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes('/dist/') ? join(here, '..', '..') : join(here, '..');
}
