// Hub + agent + the real local cluster: inventory, timeline and commands.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_KINDS, type InventoryItem, type ResourceKind } from '@wheelhouse/protocol';
import { eventually, kubeConfig, rolledOut, testNamespace } from '@wheelhouse/test-cluster/testing';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';
import { storeFactories } from './support/store-factories.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const objects = k8s.KubernetesObjectApi.makeApiClient(kc);

async function hubItems(p: Pipeline, kind: string, namespace?: string): Promise<InventoryItem[]> {
  const out: InventoryItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await p.hub.inventory.query(p.cluster, { kind, namespace, limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

async function apiNames(kind: ResourceKind, namespace?: string): Promise<string[]> {
  const info = RESOURCE_KINDS[kind];
  const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  const list = await objects.list(apiVersion, kind, info.namespaced ? namespace : undefined);
  return list.items
    .map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`)
    .sort();
}

function deployment(name: string, image: string, replicas = 2): k8s.V1Deployment {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

describe.each(storeFactories)('hub ↔ agent ↔ cluster ($name store)', (store) => {
  let p: Pipeline;
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('pipe');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 'registry.local/web:1.0') });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'settings' }, data: { secretish: 'do-not-ship' } },
    });
    await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    });
    p = await startPipeline({ hub: await store.options() });
    await p.agent.synced;
  });
  afterAll(() => p.stop());

  it('shows the agent connected with its Kubernetes version and tiers', async () => {
    const view = await eventually('cluster connected', async () => {
      const c = await p.hub.clusters.get(p.cluster);
      return c?.connected ? c : undefined;
    });
    expect(view.kubernetesVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(view.capabilities).toEqual({ basic: true, advanced: true, podExec: true, nodeShell: false });
  });

  it('mirrors every watched kind of the namespace, as the API server has it', async () => {
    const namespaced = (Object.keys(RESOURCE_KINDS) as ResourceKind[]).filter((k) => RESOURCE_KINDS[k].namespaced);
    await eventually('hub inventory to match the API server', async () => {
      for (const kind of namespaced) {
        const want = await apiNames(kind, ns);
        const got = (await hubItems(p, kind, ns)).map((i) => `${i.namespace}/${i.name}@${i.resourceVersion}`).sort();
        if (JSON.stringify(want) !== JSON.stringify(got)) return false;
      }
      return true;
    });
    const pods = await hubItems(p, 'Pod', ns);
    expect(pods).toHaveLength(2);
    const nodes = await hubItems(p, 'Node');
    expect(nodes.map((n) => n.name)).toEqual(expect.arrayContaining(['kwok-node-0', 'kwok-node-1', 'kwok-node-2']));
  });

  it('never carries ConfigMap values, only key names', async () => {
    const [cm] = await hubItems(p, 'ConfigMap', ns).then((l) => l.filter((i) => i.name === 'settings'));
    expect(cm?.kind === 'ConfigMap' && cm.summary.keys).toEqual(['secretish']);
    expect(JSON.stringify(cm)).not.toContain('do-not-ship');
  });

  it('records an image change as exactly one timeline event with the image diff', async () => {
    await apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'web',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.local/web:2.0' }],
    });
    const events = await eventually('a spec-change event', async () => {
      const r = await p.hub.timeline.query(p.cluster, {
        namespace: ns,
        kind: 'Deployment',
        name: 'web',
        types: ['spec-change'],
        limit: 50,
      });
      return r.items.length > 0 ? r.items : undefined;
    });
    // Let the rollout finish (new ReplicaSet, pods replaced, status updates): still one spec change.
    await eventually('rollout to finish', async () =>
      rolledOut(await apps.readNamespacedDeployment({ namespace: ns, name: 'web' }), 2),
    );
    // No fixed quiet window: wait out the pipeline itself. The agent sends a flush's inventory changes before
    // its timeline events, and the hub handles one agent's messages in order. So once the hub holds the
    // Deployment at the API server's current resourceVersion, and a ConfigMap created afterwards has its
    // "created" event stored, every event the agent derived from the rollout has been stored too. The
    // version is read again on each look: the deployment controller may still write a condition after the
    // counts above (a CI run read the version before that write and waited for it forever).
    let versions = '';
    await eventually('the hub to hold the Deployment as the API server has it', async () => {
      const api = (await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).metadata?.resourceVersion;
      const hub = (await p.hub.inventory.get(p.cluster, 'Deployment', ns, 'web'))?.resourceVersion;
      versions = `resourceVersion: API server ${api ?? '-'}, hub ${hub ?? '-'}`;
      return api !== undefined && hub === api;
    }).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)} (${versions})`);
    });
    const barrier = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'barrier-after-rollout' } },
    });
    await eventually('the barrier on the timeline', async () =>
      (await p.hub.timeline.query(p.cluster, { namespace: ns, types: ['created'], limit: 200 })).items.some(
        (e) => e.id === `created:${barrier.metadata?.uid ?? ''}`,
      ),
    );
    const after = await p.hub.timeline.query(p.cluster, {
      namespace: ns,
      kind: 'Deployment',
      name: 'web',
      types: ['spec-change'],
      limit: 50,
    });
    expect(after.items).toHaveLength(1);
    const first = events[0];
    expect(first?.type === 'spec-change' && first.data.changes).toEqual([
      { path: 'template.containers[app].image', from: 'registry.local/web:1.0', to: 'registry.local/web:2.0' },
    ]);
    // The Deployment's timeline also carries its pods' phase changes.
    const podEvents = await p.hub.timeline.query(p.cluster, {
      namespace: ns,
      kind: 'Deployment',
      name: 'web',
      types: ['pod-phase'],
      limit: 100,
    });
    expect(podEvents.items.some((e) => e.kind === 'Pod' && e.owner?.name === 'web')).toBe(true);
  });

  it('records container restarts of a crash-looping pod with reason and exit code', async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: {
          name: 'crasher',
          labels: { 'wheelhouse.dev/simulate': 'crashloop' },
          annotations: { 'wheelhouse.dev/exit-code': '137', 'wheelhouse.dev/reason': 'OOMKilled' },
        },
        spec: { containers: [{ name: 'main', image: 'registry.local/crasher:1' }] },
      },
    });
    const restarts = await eventually(
      'two restart events',
      async () => {
        const r = await p.hub.timeline.query(p.cluster, {
          namespace: ns,
          kind: 'Pod',
          name: 'crasher',
          types: ['container-restart'],
          limit: 50,
        });
        return r.items.length >= 2 ? r.items : undefined;
        // The second restart comes after the kubelet's back-offs of 10 s and 20 s (stages.ts).
      },
      { timeoutMs: 60_000 },
    );
    const latest = restarts[0];
    expect(latest?.data).toMatchObject({
      container: 'main',
      reason: 'OOMKilled',
      exitCode: 137,
      terminationReason: 'OOMKilled',
    });
    expect(latest?.summary).toMatch(
      /Container main of crasher restarted \(OOMKilled, exit code 137(; CrashLoopBackOff)?\), \d+ restarts/,
    );
    expect(latest?.severity).toBe('error');
    // One event per restart: the restart counts are distinct.
    const counts = restarts.map((e) => (e.type === 'container-restart' ? e.data.restartCount : undefined));
    expect(new Set(counts).size).toBe(counts.length);
  });
});

describe('agent restart', () => {
  it('brings the hub inventory back in line with the API server after the agent was down while objects changed', async () => {
    const ns = await testNamespace('restart');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('keep', 'registry.local/keep:1', 1) });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('doomed', 'registry.local/doomed:1', 1) });
    const p = await startPipeline();
    try {
      const inSync = async (): Promise<boolean> => {
        for (const kind of ['Deployment', 'ReplicaSet', 'Pod'] as const) {
          const want = await apiNames(kind, ns);
          const got = (await hubItems(p, kind, ns)).map((i) => `${i.namespace}/${i.name}@${i.resourceVersion}`).sort();
          if (JSON.stringify(want) !== JSON.stringify(got)) return false;
        }
        return true;
      };
      await eventually('initial sync', inSync);
      await p.agent.stop();

      // While the agent is away: delete one, add one, change one.
      await apps.deleteNamespacedDeployment({ namespace: ns, name: 'doomed', propagationPolicy: 'Foreground' });
      await apps.createNamespacedDeployment({ namespace: ns, body: deployment('newcomer', 'registry.local/new:1', 2) });
      await apps.patchNamespacedDeployment({
        namespace: ns,
        name: 'keep',
        body: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
      });
      await eventually('changes to settle in the cluster', async () => {
        const pods = (await core.listNamespacedPod({ namespace: ns })).items;
        return pods.length === 5 && pods.every((x) => x.status?.phase === 'Running' && !x.metadata?.deletionTimestamp);
      });
      expect(await inSync()).toBe(false);

      const { startAgent } = await import('@wheelhouse/agent');
      const pino = (await import('pino')).default;
      const again = await startAgent({
        hubUrl: p.url,
        token: p.token,
        kubeConfig: kubeConfig(),
        capabilities: { basic: true, advanced: true, podExec: true },
        log: pino({ level: 'silent' }),
        flushMs: 50,
      });
      try {
        await eventually('hub inventory to match after the restart', inSync, { timeoutMs: 30_000 });
        expect((await hubItems(p, 'Deployment', ns)).map((d) => d.name).sort()).toEqual(['keep', 'newcomer']);
      } finally {
        await again.stop();
      }
    } finally {
      await p.stop();
    }
  });
});
