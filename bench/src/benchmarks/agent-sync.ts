// Agent initial sync on a large cluster: a fresh `wheelhouse agent` process
// from start until the hub holds every pod, beside `kubectl get pods -A -o json`
// on the same cluster. Also reports the agent's peak RSS.
// Size: BENCH_NODES (default 1000) kwok nodes, BENCH_PODS (default 30000) pods,
// in a separate local cluster "wheelhouse-bench" so the test cluster is untouched.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { createHub, type Hub } from '@wheelhouse/hub';
import { binaryPaths, kubeconfigPath, up } from '@wheelhouse/test-cluster';
import type { Benchmark } from '../harness.js';
import { agentNodeArgs } from '../agent-node-args.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../../packages/cli/dist/src/main.js', import.meta.url));

/** Pods in a namespace, read from a one-item list page's remainingItemCount (no full list). */
async function countPods(kc: k8s.KubeConfig, agent: https.Agent, namespace: string): Promise<number> {
  const res = await kubeRequest(kc, agent, 'GET', `/api/v1/namespaces/${namespace}/pods?limit=1`);
  if (res.status !== 200) throw new Error(`listing pods in ${namespace}: ${res.status} ${res.body}`);
  const list = JSON.parse(res.body) as { items: unknown[]; metadata?: { remainingItemCount?: number } };
  return list.items.length + (list.metadata?.remainingItemCount ?? 0);
}

/** One request to the API server over a keep-alive agent (no TLS handshake per pod). */
async function kubeRequest(
  kc: k8s.KubeConfig,
  agent: https.Agent,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  const server = new URL(kc.getCurrentCluster()?.server ?? '');
  const opts: https.RequestOptions = {
    method,
    host: server.hostname,
    port: server.port,
    path,
    agent,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(opts);
  opts.agent = agent; // applyToHTTPSOptions may set its own
  return new Promise((resolve, reject) => {
    const req = https.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * Creates the pods, already bound to kwok nodes (spec.nodeName: the scheduler
 * is skipped), BENCH_SEED_CONCURRENCY (default 64) requests in flight over
 * keep-alive connections. The client library opened a TLS connection per
 * request and managed ~8 pods/s on the busy machine.
 */
async function ensurePods(kc: k8s.KubeConfig, total: number, nodes: number, log: (s: string) => void): Promise<void> {
  const concurrency = Number(process.env.BENCH_SEED_CONCURRENCY ?? 64);
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency });
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespaces = 30;
  const perNs = Math.ceil(total / namespaces);
  const jobs: { ns: string; i: number; node: string }[] = [];
  try {
    for (let n = 0; n < namespaces; n++) {
      const ns = `bench-${n}`;
      await core.createNamespace({ body: { metadata: { name: ns } } }).catch(() => undefined);
      const want = Math.min(perNs, total - n * perNs);
      // Names are pod-0 … pod-(want-1): a namespace with as many is complete; otherwise
      // create them all again (409 for those that exist).
      if (want > 0 && (await countPods(kc, agent, ns)) < want)
        for (let i = 0; i < want; i++) jobs.push({ ns, i, node: `kwok-node-${(n * perNs + i) % nodes}` });
    }
    if (jobs.length === 0) return;
    log(`[bench] creating up to ${jobs.length} pods on ${nodes} nodes, ${concurrency} in flight ...`);
    const started = Date.now();
    let next = 0;
    let created = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++];
          if (!job) break;
          const res = await kubeRequest(kc, agent, 'POST', `/api/v1/namespaces/${job.ns}/pods`, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: `pod-${job.i}`, labels: { app: `app-${job.i % 100}` } },
            spec: {
              nodeName: job.node,
              // kwok falls behind on a loaded machine (node leases, pod status): its nodes then
              // go NotReady and the taint-eviction controller would delete the pods after 5 min.
              tolerations: [{ operator: 'Exists' }],
              containers: [
                { name: 'app', image: 'registry.local/app:1', resources: { requests: { cpu: '1m', memory: '1Mi' } } },
              ],
            },
          });
          if (res.status !== 201 && res.status !== 409) throw new Error(`creating a pod: ${res.status} ${res.body}`);
          if (res.status === 201 && ++created % 5000 === 0) {
            const s = (Date.now() - started) / 1000;
            log(`[bench]   ${created} created (${s.toFixed(0)} s, ${(created / s).toFixed(0)} pods/s)`);
          }
        }
      }),
    );
    const s = (Date.now() - started) / 1000;
    log(`[bench] created ${created} pods in ${s.toFixed(1)} s (${(created / s).toFixed(0)} pods/s)`);
  } finally {
    agent.destroy();
  }
}

/** Signals the agent to write a heap snapshot and waits until the file stops growing. */
async function heapSnapshot(pid: number, dir: string, log: (s: string) => void): Promise<void> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  let size = -1;
  for (;;) {
    await new Promise((r) => setTimeout(r, 2000));
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (!file) continue;
    const now = statSync(join(dir, file)).size;
    if (now > 0 && now === size) {
      log(`[bench] heap snapshot ${join(dir, file)} (${(now / 1e6).toFixed(0)} MB)`);
      return;
    }
    size = now;
  }
}

/** CPU seconds (user + system) the process used so far: less at the mercy of a shared machine than the wall time. */
function cpuSeconds(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, after the command name in parentheses; in clock ticks (100 a second).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Number(m[1]) / 1024 : NaN;
}

export async function agentSyncBenchmark(): Promise<Benchmark> {
  const nodes = Number(process.env.BENCH_NODES ?? 1000);
  const pods = Number(process.env.BENCH_PODS ?? 30_000);
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  // The benchmark needs the pods listed, not the nodes Ready: a kwok that lags
  // (heartbeats of many nodes on a busy machine) must not stop it.
  const cluster = await up({ name: 'wheelhouse-bench', nodes, log }).catch((err: unknown) => {
    log(`[bench] note: ${err instanceof Error ? err.message : String(err)}; going on`);
    return { kubeconfig: kubeconfigPath('wheelhouse-bench') };
  });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  await ensurePods(kc, pods, nodes, log);
  const bins = await binaryPaths();
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-sync-'));
  let hub: Hub | undefined;
  let url = '';
  const rss: number[] = [];
  const cpu: number[] = [];
  let seq = 0;
  return {
    name: 'agent-sync',
    description: `agent initial sync, ${nodes} nodes / ${pods.toLocaleString('en-US')} pods: fresh agent until the hub holds every pod vs kubectl get pods -A -o json`,
    rounds: 3,
    warmup: 0,
    throughput: { units: pods, unit: 'pods' },
    setup: async () => {
      hub = await createHub({ dataDir: join(dir, 'hub'), logger: false });
      await hub.app.listen({ host: '127.0.0.1', port: 0 });
      const addr = hub.app.server.address();
      url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    },
    teardown: async () => {
      await hub?.close();
      rmSync(dir, { recursive: true, force: true });
    },
    notes: () => [
      `agent peak RSS (VmHWM) per run: ${rss.map((r) => `${r.toFixed(0)} MB`).join(', ')}`,
      `agent CPU (user + system) until the hub held every pod, per run: ${cpu.map((c) => `${c.toFixed(1)} s`).join(', ')}`,
    ],
    subject: {
      label: 'wheelhouse agent → hub',
      run: async () => {
        if (!hub) throw new Error('no hub');
        const h = hub;
        const name = `bench${seq++}`;
        const created = await h.clusters.create(name, 'bench');
        if (!created) throw new Error('cluster exists');
        // BENCH_HEAP_SNAPSHOT=<dir>: a heap snapshot of the agent once the hub holds every pod.
        const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT;
        // BENCH_CPU_PROF=<dir>: a V8 CPU profile of the agent from start until the hub holds every pod.
        const profDir = process.env.BENCH_CPU_PROF;
        const child = spawn(
          process.execPath,
          [
            ...(snapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`] : []),
            ...(profDir
              ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `agent-${name}.cpuprofile`]
              : []),
            // The chart's nodeOptions, or BENCH_AGENT_NODE_ARGS: for the agent only, not the bench's hub.
            ...agentNodeArgs(),
            CLI,
            'agent',
            '--hub',
            url,
            '--token',
            created.token,
            '--kubeconfig',
            cluster.kubeconfig,
            '--log-level',
            'warn',
          ],
          { stdio: ['ignore', 'ignore', 'inherit'] },
        );
        try {
          for (;;) {
            const row = await h.db
              .selectFrom('resources')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('cluster_id', '=', name)
              .where('kind', '=', 'Pod')
              .executeTakeFirst();
            if ((row?.n ?? 0) >= pods) break;
            if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}`);
            await new Promise((r) => setTimeout(r, 50));
          }
          if (child.pid) {
            rss.push(peakRssMb(child.pid));
            cpu.push(cpuSeconds(child.pid));
          }
          if (snapshotDir && child.pid) await heapSnapshot(child.pid, snapshotDir, log);
        } finally {
          if (profDir && child.exitCode === null) {
            // The profile is written when the process exits: stop it gently (the CLI exits on SIGTERM).
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
          }
          child.kill('SIGKILL');
          await h.clusters.delete(name);
        }
      },
    },
    baseline: {
      label: 'kubectl get pods -A -o json',
      run: async () => {
        await run(bins.kubectl, ['--kubeconfig', cluster.kubeconfig, 'get', 'pods', '-A', '-o', 'json'], {
          maxBuffer: 1024 * 1024 * 1024,
        });
      },
    },
  };
}
