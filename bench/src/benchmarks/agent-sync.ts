// Agent initial sync on a large cluster: a fresh `wheelhouse agent` process
// from start until the hub holds every pod, beside `kubectl get pods -A -o json`
// on the same cluster. Also reports the agent's peak RSS.
// Size: BENCH_NODES (default 1000) kwok nodes, BENCH_PODS (default 30000) pods,
// in a separate local cluster "wheelhouse-bench" so the test cluster is untouched.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { createHub, type Hub } from '@wheelhouse/hub';
import { binaryPaths, up } from '@wheelhouse/test-cluster';
import type { Benchmark } from '../harness.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../../packages/cli/dist/src/main.js', import.meta.url));

async function ensurePods(kc: k8s.KubeConfig, total: number, nodes: number, log: (s: string) => void): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespaces = 30;
  const perNs = Math.ceil(total / namespaces);
  let existing = 0;
  for (let n = 0; n < namespaces; n++) {
    const ns = `bench-${n}`;
    await core.createNamespace({ body: { metadata: { name: ns } } }).catch(() => undefined);
    existing += (await core.listNamespacedPod({ namespace: ns })).items.length;
  }
  if (existing >= total) return;
  log(`[bench] creating ${total - existing} pods on ${nodes} nodes ...`);
  const started = Date.now();
  const jobs: (() => Promise<unknown>)[] = [];
  for (let n = 0; n < namespaces; n++) {
    for (let i = 0; i < perNs && n * perNs + i < total; i++) {
      const name = `pod-${i}`;
      const ns = `bench-${n}`;
      jobs.push(() =>
        core
          .createNamespacedPod({
            namespace: ns,
            body: {
              metadata: { name, labels: { app: `app-${i % 100}` } },
              spec: {
                nodeName: `kwok-node-${(n * perNs + i) % nodes}`,
                containers: [
                  { name: 'app', image: 'registry.local/app:1', resources: { requests: { cpu: '1m', memory: '1Mi' } } },
                ],
              },
            },
          })
          .catch((e: unknown) => ((e as { code?: number }).code === 409 ? undefined : Promise.reject(e as Error))),
      );
    }
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < jobs.length) {
        const i = next++;
        const job = jobs[i];
        if (job) await job();
        if ((i + 1) % 5000 === 0)
          log(`[bench]   ${i + 1}/${jobs.length} (${((Date.now() - started) / 1000).toFixed(0)}s)`);
      }
    }),
  );
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Number(m[1]) / 1024 : NaN;
}

export async function agentSyncBenchmark(): Promise<Benchmark> {
  const nodes = Number(process.env.BENCH_NODES ?? 1000);
  const pods = Number(process.env.BENCH_PODS ?? 30_000);
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const cluster = await up({ name: 'wheelhouse-bench', nodes, log });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  await ensurePods(kc, pods, nodes, log);
  const bins = await binaryPaths();
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-sync-'));
  let hub: Hub | undefined;
  let url = '';
  const rss: number[] = [];
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
    notes: () => [`agent peak RSS (VmHWM) per run: ${rss.map((r) => `${r.toFixed(0)} MB`).join(', ')}`],
    subject: {
      label: 'wheelhouse agent → hub',
      run: async () => {
        if (!hub) throw new Error('no hub');
        const h = hub;
        const name = `bench${seq++}`;
        const created = await h.clusters.create(name, 'bench');
        if (!created) throw new Error('cluster exists');
        const child = spawn(
          process.execPath,
          [
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
          if (child.pid) rss.push(peakRssMb(child.pid));
        } finally {
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
