// Starts, stops and reports on the local control plane: upstream etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler run by
// `kwokctl --runtime binary`, with kwok simulating nodes and pods.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { ensureAdmissionClient } from './admission.js';
import { ensureAuditPolicy } from './audit.js';
import { binaryPaths, buildBinaries, type Binaries } from './binaries.js';
import { ensureContainerLogs } from './container-logs.js';
import { kwokConfigYaml } from './kwok-config.js';
import { ensureMetricsServerManifest } from './metrics-server.js';
import { stageDocuments } from './stages.js';
import {
  clusterDataDir,
  clusterDir,
  containerLogFile,
  kubeconfigPath,
  kwokWorkdir,
  previousContainerLogFile,
  DEFAULT_CLUSTER_NAME,
  auditLogFile,
} from './paths.js';

const run = promisify(execFile);

export interface ClusterOptions {
  name?: string;
  /** kwok nodes to keep registered (default 3, or WHEELHOUSE_CLUSTER_NODES). */
  nodes?: number;
  log?: (line: string) => void;
}

export interface ClusterStatus {
  name: string;
  kubeconfig: string;
  running: boolean;
  /** gitVersion reported by the API server when running. */
  serverVersion?: string;
  readyNodes?: number;
}

function env(): NodeJS.ProcessEnv {
  return { ...process.env, KWOK_WORKDIR: kwokWorkdir() };
}

function nodeCount(opts: ClusterOptions): number {
  const fromEnv = Number(process.env.WHEELHOUSE_CLUSTER_NODES);
  return opts.nodes ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 3);
}

function kubeClient(name: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath(name));
  return kc;
}

/** kwokctl logs JSON lines; keep the message and its elapsed time for humans. */
function summarizeLogLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: string; elapsed?: { human?: string } };
    if (typeof entry.msg === 'string')
      return entry.elapsed?.human ? `${entry.msg} (${entry.elapsed.human})` : entry.msg;
  } catch {
    // not JSON: print as is
  }
  return line;
}

async function kwokctl(bins: Binaries, args: string[], log: (l: string) => void): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(bins.kwokctl, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) {
        for (const line of output.split('\n')) if (line.trim()) log(`  kwokctl: ${summarizeLogLine(line.trim())}`);
        resolve();
      } else {
        reject(new Error(`kwokctl ${args.join(' ')} exited with ${String(code)}:\n${output}`));
      }
    });
  });
}

export async function status(opts: ClusterOptions = {}): Promise<ClusterStatus> {
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const result: ClusterStatus = { name, kubeconfig: kubeconfigPath(name), running: false };
  if (!existsSync(result.kubeconfig)) return result;
  try {
    const kc = kubeClient(name);
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    const nodes = await kc.makeApiClient(k8s.CoreV1Api).listNode();
    result.running = true;
    result.serverVersion = version.gitVersion;
    result.readyNodes = nodes.items.filter((n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
  } catch {
    result.running = false;
  }
  return result;
}

/** Simulated nodes: kwok manages every Node carrying the kwok.x-k8s.io/node annotation. */
async function ensureNodes(name: string, count: number): Promise<void> {
  const core = kubeClient(name).makeApiClient(k8s.CoreV1Api);
  const existing = new Set((await core.listNode()).items.map((n) => n.metadata?.name));
  for (let i = 0; i < count; i++) {
    const nodeName = `kwok-node-${i}`;
    if (existing.has(nodeName)) continue;
    await core.createNode({
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: nodeName,
          annotations: {
            'kwok.x-k8s.io/node': 'fake',
            'node.alpha.kubernetes.io/ttl': '0',
            // metrics-server scrapes this path of kwok's server for the node's (simulated) usage.
            'metrics.k8s.io/resource-metrics-path': `/metrics/nodes/${nodeName}/metrics/resource`,
          },
          labels: {
            'kubernetes.io/hostname': nodeName,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'kubernetes.io/role': 'agent',
            'node-role.kubernetes.io/agent': '',
            type: 'kwok',
          },
        },
        status: {
          allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
          capacity: { cpu: '32', memory: '256Gi', pods: '110' },
          nodeInfo: {
            architecture: 'amd64',
            kubeletVersion: 'kwok',
            operatingSystem: 'linux',
            bootID: '',
            containerRuntimeVersion: '',
            kernelVersion: '',
            kubeProxyVersion: '',
            machineID: '',
            osImage: '',
            systemUUID: '',
          },
          phase: 'Running',
        },
      },
    });
  }
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}

/** Builds the binaries if needed, then creates, restarts or reuses the cluster. */
export async function up(opts: ClusterOptions = {}): Promise<ClusterStatus> {
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const started = Date.now();
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;

  await buildBinaries();
  const bins = await binaryPaths();

  const dataDir = clusterDataDir(name);
  const configFile = join(dataDir, 'kwok.yaml');
  const kwokConfig = async (): Promise<string> =>
    kwokConfigYaml({
      execWorkDir: join(dataDir, 'exec-root'),
      logsFile: containerLogFile(name),
      previousLogsFile: previousContainerLogFile(name),
      stages: await stageDocuments(),
      admissionConfigFile: (await ensureAdmissionClient(name)).admissionConfig,
      auditPolicyFile: await ensureAuditPolicy(name),
      auditLogFile: auditLogFile(name),
      cacheDir: join(kwokWorkdir(), 'cache'),
      metricsServerManifest: await ensureMetricsServerManifest(join(kwokWorkdir(), 'cache')),
    });

  let current = await status({ name });
  if (current.running) {
    log(`[cluster] ${name} is already running (${current.serverVersion ?? '?'})`);
    // kwok reads the log files at each request: make sure they are there and in the CRI format.
    await ensureContainerLogs(name);
    if ((await readFile(configFile, 'utf8').catch(() => '')) !== (await kwokConfig())) {
      log(
        `[cluster] note: ${name} runs an older kwok configuration; stop it (npm run cluster:down) and start again to apply the current one`,
      );
    }
    // kwokctl names the binaries it runs in the cluster's kwok.yaml; a rebuilt one (a new pin or patch) is another path.
    const running = await readFile(join(clusterDir(name), 'kwok.yaml'), 'utf8').catch(() => '');
    const older = [bins.kwok, bins.kubeApiserver, bins.etcd].filter((b) => running !== '' && !running.includes(b));
    if (older.length > 0) {
      log(
        `[cluster] note: ${name} runs binaries of an older build (not ${older.join(', ')}); stop it (npm run cluster:down) and start again to use the current ones`,
      );
    }
  } else {
    if (existsSync(clusterDir(name))) {
      // Left over from a stopped or crashed run: start from scratch so every run sees the same cluster.
      log(`[cluster] removing stale cluster ${name}`);
      await kwokctl(bins, ['--name', name, 'delete', 'cluster'], log).catch(() => undefined);
    }
    await mkdir(join(dataDir, 'exec-root'), { recursive: true });
    await ensureContainerLogs(name, { fresh: true });
    await writeFile(configFile, await kwokConfig());

    log(`[cluster] creating ${name} (kwokctl --runtime binary) ...`);
    await kwokctl(
      bins,
      [
        '--name',
        name,
        '--config',
        configFile,
        'create',
        'cluster',
        '--runtime',
        'binary',
        '--kubeconfig',
        '',
        '--etcd-binary',
        bins.etcd,
        '--kube-apiserver-binary',
        bins.kubeApiserver,
        '--kube-controller-manager-binary',
        bins.kubeControllerManager,
        '--kube-scheduler-binary',
        bins.kubeScheduler,
        '--kwok-controller-binary',
        bins.kwok,
        '--enable',
        'metrics-server',
        '--metrics-server-binary',
        bins.metricsServer,
        '--kube-authorization=true',
        '--kube-admission=true',
        '--wait',
        '120s',
        '--timeout',
        '180s',
      ],
      log,
    );
    log(`[cluster] control plane up after ${elapsed()}`);
  }

  const count = nodeCount(opts);
  await ensureNodes(name, count);
  await waitFor(
    `${count} kwok nodes Ready`,
    60_000 + count * 100,
    async () => ((await status({ name })).readyNodes ?? 0) >= count,
  );
  current = await status({ name });
  log(`[cluster] ${name} ready: ${current.serverVersion ?? '?'}, ${current.readyNodes ?? 0} nodes, in ${elapsed()}`);
  return current;
}

export async function down(opts: ClusterOptions = {}): Promise<void> {
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (!existsSync(clusterDir(name))) {
    log(`[cluster] ${name} does not exist`);
    return;
  }
  const bins = await binaryPaths();
  if (!existsSync(bins.kwokctl)) {
    throw new Error(`kwokctl is not built (${bins.kwokctl}); run npm run cluster:build`);
  }
  await kwokctl(bins, ['--name', name, 'delete', 'cluster'], log);
  log(`[cluster] ${name} deleted`);
}

/** Runs the pinned kubectl against the local cluster (used by tests that must go through kubectl). */
export async function kubectl(args: string[], opts: ClusterOptions = {}): Promise<{ stdout: string; stderr: string }> {
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const bins = await binaryPaths();
  return run(bins.kubectl, ['--kubeconfig', kubeconfigPath(name), ...args], { maxBuffer: 64 * 1024 * 1024 });
}
