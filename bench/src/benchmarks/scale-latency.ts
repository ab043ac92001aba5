// Scale through Wheelhouse vs `kubectl scale` on the same local cluster.
// Wheelhouse: POST /api/v1/clusters/{c}/actions (HTTP, bearer token) → hub
// persists and dispatches → agent patches deployments/scale → the command is
// "succeeded" only once the Deployment's status shows the new count; timed
// until a client polling GET /api/v1/actions/{id} sees that. The time until the
// new spec.replicas is visible to a watch is reported as a note.
// kubectl: the pinned kubectl's `scale --replicas`, then `kubectl wait
// --for=jsonpath={.status.replicas}=N` until the status shows the count (what
// "succeeded" means for Wheelhouse), wall time of both.
// Pods are pinned to a node that does not exist: they are created (status
// counts them) but never scheduled, so rounds do not churn the kwok nodes.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { startAgent, type Agent } from '@wheelhouse/agent';
import { createHub, type Hub } from '@wheelhouse/hub';
import { benchToken } from '../bench-token.js';
import { binaryPaths, up } from '@wheelhouse/test-cluster';
import type { Benchmark } from '../harness.js';
import { summarize } from '../stats.js';

const run = promisify(execFile);
const NS = 'bench-scale';
const NAME = 'target';

export async function scaleLatencyBenchmark(): Promise<Benchmark> {
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const cluster = await up({ log });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const bins = await binaryPaths();
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-scale-'));
  let hub: Hub | undefined;
  let agent: Agent | undefined;
  let url = '';
  let token = '';
  let abortWatch: (() => void) | undefined;
  // The latest spec.replicas a watch has seen, and who waits for which value.
  let seenReplicas = -1;
  const waiters = new Map<number, () => void>();
  const specVisible: number[] = [];
  let current = 0;
  const next = (): number => (current = current === 1 ? 2 : 1);

  const visible = (n: number): Promise<void> =>
    seenReplicas === n ? Promise.resolve() : new Promise((resolve) => waiters.set(n, resolve));

  return {
    name: 'scale-latency',
    description:
      'scale a Deployment until its status shows the count: Wheelhouse POST → agent → succeeded (HTTP poll) vs kubectl scale + kubectl wait',
    rounds: 200,
    warmup: 3,
    setup: async () => {
      await core.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined);
      await apps.deleteNamespacedDeployment({ namespace: NS, name: NAME }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
      await apps.createNamespacedDeployment({
        namespace: NS,
        body: {
          metadata: { name: NAME },
          spec: {
            replicas: 0,
            selector: { matchLabels: { app: NAME } },
            template: {
              metadata: { labels: { app: NAME } },
              spec: {
                nodeSelector: { 'kubernetes.io/hostname': 'no-such-node' },
                containers: [{ name: 'app', image: 'bench:v1' }],
              },
            },
          },
        },
      });
      const watch = new k8s.Watch(kc);
      const req = await watch.watch(
        `/apis/apps/v1/namespaces/${NS}/deployments`,
        { fieldSelector: `metadata.name=${NAME}` },
        (_type: string, o: k8s.V1Deployment) => {
          seenReplicas = o.spec?.replicas ?? -1;
          const w = waiters.get(seenReplicas);
          if (w) {
            waiters.delete(seenReplicas);
            w();
          }
        },
        () => undefined,
      );
      abortWatch = () => req.abort();
      hub = await createHub({ dataDir: join(dir, 'hub'), logger: false });
      await hub.app.listen({ host: '127.0.0.1', port: 0 });
      const addr = hub.app.server.address();
      url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      const created = await hub.clusters.create('bench', 'bench');
      if (!created) throw new Error('cluster exists');
      token = await benchToken(hub.db, { role: 'operator' });
      agent = await startAgent({
        hubUrl: url,
        token: created.token,
        kubeConfig: kc,
        capabilities: { basic: true, advanced: false, podExec: false },
        kinds: ['Deployment'],
        log: pino({ level: 'warn' }),
        flushMs: 20,
      });
      for (let i = 0; i < 100 && !(await hub.clusters.get('bench'))?.connected; i++)
        await new Promise((r) => setTimeout(r, 50));
    },
    teardown: async () => {
      abortWatch?.();
      await agent?.stop();
      await hub?.close();
      await apps.deleteNamespacedDeployment({ namespace: NS, name: NAME }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
    notes: () => {
      const s = summarize(specVisible);
      return [
        `Wheelhouse POST → new spec.replicas seen by a watch: median ${s.median.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms`,
      ];
    },
    subject: {
      label: 'wheelhouse scale (POST → succeeded)',
      run: async () => {
        const n = next();
        const t0 = performance.now();
        const shown = visible(n).then(() => specVisible.push(performance.now() - t0));
        const res = await fetch(`${url}/api/v1/clusters/bench/actions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            action: 'scale',
            target: { kind: 'Deployment', namespace: NS, name: NAME },
            params: { replicas: n },
          }),
        });
        const { id } = (await res.json()) as { id: string };
        if (res.status !== 202) throw new Error(`POST scale: ${res.status}`);
        for (;;) {
          const c = (await (
            await fetch(`${url}/api/v1/actions/${id}`, { headers: { authorization: `Bearer ${token}` } })
          ).json()) as { state: string; message: string };
          if (c.state === 'succeeded') break;
          if (['failed', 'rejected', 'expired'].includes(c.state)) throw new Error(`scale ${c.state}: ${c.message}`);
          await new Promise((r) => setTimeout(r, 5));
        }
        await shown;
      },
    },
    baseline: {
      // Like with like: Wheelhouse's "succeeded" means the status shows the count, so the baseline waits
      // for that too (kubectl wait watches the object).
      label: 'kubectl scale + kubectl wait',
      run: async () => {
        const n = next();
        const k = ['--kubeconfig', cluster.kubeconfig, '-n', NS];
        await run(bins.kubectl, [...k, 'scale', `deployment/${NAME}`, `--replicas=${n}`]);
        await run(bins.kubectl, [
          ...k,
          'wait',
          `deployment/${NAME}`,
          `--for=jsonpath={.status.replicas}=${n}`,
          '--timeout=60s',
        ]);
        await visible(n); // already true when kubectl returns, in practice; keeps rounds from overlapping
      },
    },
  };
}
