// Locates (building if needed) the pinned upstream binaries via build.sh, which
// owns the pins (test/cluster/go/*/go.mod) and the cache layout.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './paths.js';

const run = promisify(execFile);

export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
  kwokctl: string;
  helm: string;
  /** The Dex OIDC provider (SSO tests and `wheelhouse demo --sso`). */
  dex: string;
  metricsServer: string;
}

function buildScript(): string {
  return join(packageDir(), 'build.sh');
}

/** Builds whatever is missing from the cache; progress goes to stderr. */
export async function buildBinaries(): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [buildScript()], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`test/cluster/build.sh exited with ${String(code)}`)),
    );
  });
}

export async function binaryPaths(): Promise<Binaries> {
  const { stdout } = await run('bash', [buildScript(), '--print']);
  const dirs = new Map<string, string>();
  for (const line of stdout.trim().split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) dirs.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const dir = (group: string): string => {
    const d = dirs.get(group);
    if (!d) throw new Error(`build.sh --print did not name a directory for ${group}`);
    return d;
  };
  return {
    etcd: join(dir('etcd'), 'etcd'),
    kubeApiserver: join(dir('kubernetes'), 'kube-apiserver'),
    kubeControllerManager: join(dir('kubernetes'), 'kube-controller-manager'),
    kubeScheduler: join(dir('kubernetes'), 'kube-scheduler'),
    kubectl: join(dir('kubernetes'), 'kubectl'),
    kwok: join(dir('kwok'), 'kwok'),
    kwokctl: join(dir('kwok'), 'kwokctl'),
    helm: join(dir('helm'), 'helm'),
    dex: join(dir('dex'), 'dex'),
    metricsServer: join(dir('metrics-server'), 'metrics-server'),
  };
}

/** The versions pinned in test/cluster/go/<group>/go.mod, e.g. { kubernetes: 'v1.35.4', ... }. */
export function pinnedVersions(): { kubernetes: string; etcd: string; kwok: string; helm: string } {
  const version = (group: string, module: string): string => {
    const gomod = readFileSync(join(packageDir(), 'go', group, 'go.mod'), 'utf8');
    const m = new RegExp(`^\\s*${module.replace(/[.]/g, '\\.')} (v\\S+)`, 'm').exec(gomod);
    if (!m?.[1]) throw new Error(`${module} is not pinned in test/cluster/go/${group}/go.mod`);
    return m[1];
  };
  return {
    kubernetes: version('kubernetes', 'k8s.io/kubernetes'),
    etcd: version('etcd', 'go.etcd.io/etcd/server/v3'),
    kwok: version('kwok', 'sigs.k8s.io/kwok'),
    helm: version('helm', 'helm.sh/helm/v3'),
  };
}
