// The agent process killed (SIGKILL) in the middle of a burst of ~200 changes
// across the watched kinds, the burst finished while it is down, then the agent
// restarted: the hub's inventory matches the API server for every watched kind
// (name and resourceVersion), and what was deleted while the agent was away
// reaches the hub's timeline.
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '@wheelhouse/hub';
import { RESOURCE_KINDS, RESOURCE_KIND_NAMES, apiVersionOf } from '@wheelhouse/protocol';
import { WHEELHOUSE_CLI, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { eventually, kubeConfig, kubeconfigFile, testNamespace } from '@wheelhouse/test-cluster/testing';

const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);
const core = kc.makeApiClient(k8s.CoreV1Api);
const batch = kc.makeApiClient(k8s.BatchV1Api);
const objects = k8s.KubernetesObjectApi.makeApiClient(kc);

const NAMESPACED = RESOURCE_KIND_NAMES.filter((k) => RESOURCE_KINDS[k].namespaced);

const deployment = (name: string, replicas: number): k8s.V1Deployment => ({
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: `registry.local/${name}:1` }] },
    },
  },
});
const service = (name: string): k8s.V1Service => ({
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80 }] },
});
const job = (name: string): k8s.V1Job => ({
  metadata: { name },
  spec: {
    suspend: true,
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'run', image: 'registry.local/job:1' }] } },
  },
});

describe('agent killed mid-burst and restarted', () => {
  let hub: Hub;
  let url = '';
  let token = '';
  let ns = '';
  let agent: TestProcess | undefined;

  const startAgentProcess = (): TestProcess =>
    startProcess(
      [
        WHEELHOUSE_CLI,
        'agent',
        '--hub',
        url,
        '--token',
        token,
        '--kubeconfig',
        kubeconfigFile(),
        '--log-level',
        'warn',
      ],
      { label: 'agent' },
    );

  /** name@resourceVersion per watched kind, from the API server and from the hub. */
  const views = async (): Promise<{ api: Record<string, string[]>; hub: Record<string, string[]> }> => {
    const api: Record<string, string[]> = {};
    const atHub: Record<string, string[]> = {};
    for (const kind of NAMESPACED) {
      const list = await objects.list(apiVersionOf(kind), kind, ns);
      api[kind] = list.items.map((o) => `${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`).sort();
      atHub[kind] = (await hub.inventory.query('killed', { kind, namespace: ns, limit: 1000 })).items
        .map((i) => `${i.name}@${i.resourceVersion}`)
        .sort();
    }
    const nsObject = await core.readNamespace({ name: ns });
    api.Namespace = [`${ns}@${nsObject.metadata?.resourceVersion ?? ''}`];
    const nsAtHub = await hub.inventory.get('killed', 'Namespace', '', ns);
    atHub.Namespace = nsAtHub ? [`${ns}@${nsAtHub.resourceVersion}`] : [];
    return { api, hub: atHub };
  };
  /** uids of everything the hub holds for the namespace. */
  const hubUids = async (): Promise<Set<string>> => {
    const out = new Set<string>();
    for (const kind of NAMESPACED)
      for (const i of (await hub.inventory.query('killed', { kind, namespace: ns, limit: 1000 })).items) out.add(i.uid);
    return out;
  };
  const inSync = async (): Promise<boolean> => {
    const v = await views();
    return JSON.stringify(v.api) === JSON.stringify(v.hub);
  };

  beforeAll(async () => {
    ns = await testNamespace('kill');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('keep', 1) });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('doomed', 2) });
    for (let i = 0; i < 30; i++)
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `pre-${i}` } } });
    for (let i = 0; i < 10; i++) await core.createNamespacedService({ namespace: ns, body: service(`svc-${i}`) });
    for (let i = 0; i < 4; i++) await batch.createNamespacedJob({ namespace: ns, body: job(`job-${i}`) });
    hub = await createHub({ logger: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    token = (await hub.clusters.create('killed', 'test'))?.token ?? '';
  });
  afterAll(async () => {
    await agent?.kill9();
    await hub.close();
  });

  it('converges on every watched kind and puts deletions from the gap on the timeline', async () => {
    agent = startAgentProcess();
    await eventually(
      'the doomed pods Running and the initial sync',
      async () => {
        const pods = (await core.listNamespacedPod({ namespace: ns })).items;
        return pods.length === 3 && pods.every((p) => p.status?.phase === 'Running') && (await inSync());
      },
      { timeoutMs: 60_000 },
    );
    const doomedPods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=doomed' })).items.map(
      (p) => ({ kind: 'Pod', name: p.metadata?.name ?? '', uid: p.metadata?.uid ?? '' }),
    );

    const known = await hubUids();
    const doomedUid = (await apps.readNamespacedDeployment({ namespace: ns, name: 'doomed' })).metadata?.uid ?? '';

    // ~200 changes of ConfigMaps, Services, Deployments and Jobs, interleaved so the kill (after the
    // first half) lands among all of them. Every deletion of the burst must reach the timeline: those
    // just before the kill (maybe still in the agent's outbox) as well as those while it is down.
    const deleted: { kind: string; name: string; uid: string }[] = [];
    const uidOf = async (kind: 'ConfigMap' | 'Service' | 'Job', name: string): Promise<string> =>
      (kind === 'ConfigMap'
        ? await core.readNamespacedConfigMap({ namespace: ns, name })
        : kind === 'Service'
          ? await core.readNamespacedService({ namespace: ns, name })
          : await batch.readNamespacedJob({ namespace: ns, name })
      ).metadata?.uid ?? '';
    // Objects that lived only while the agent was down were never seen by anyone: their deletion cannot be known.
    let killed = false;
    const bornWhileDown = new Set<string>();
    const remove = (kind: 'ConfigMap' | 'Service' | 'Job', name: string) => async (): Promise<void> => {
      const uid = await uidOf(kind, name);
      if (kind === 'ConfigMap') await core.deleteNamespacedConfigMap({ namespace: ns, name });
      else if (kind === 'Service') await core.deleteNamespacedService({ namespace: ns, name });
      else await batch.deleteNamespacedJob({ namespace: ns, name, propagationPolicy: 'Background' });
      if (!bornWhileDown.has(name)) deleted.push({ kind, name, uid });
    };
    const createConfigMap = (name: string) => async (): Promise<void> => {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
      if (killed) bornWhileDown.add(name);
    };
    const label = (name: string, value: string) => (): Promise<unknown> =>
      core.patchNamespacedConfigMap({
        namespace: ns,
        name,
        body: [{ op: 'add', path: '/metadata/labels', value: { touched: value } }],
      });
    const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
    // Within a round the groups run in this order, so an object is created, then patched, then deleted.
    const groups: (() => Promise<unknown>)[][] = [
      range(60).map((i) => createConfigMap(`burst-${i}`)),
      range(30).map((i) => label(`pre-${i}`, String(i))),
      range(30).map((i) => label(`burst-${i}`, String(i))),
      range(30).map((i) => remove('ConfigMap', `pre-${i}`)),
      range(20).map((i) => remove('ConfigMap', `burst-${i}`)),
      range(10).map((i) => remove('Service', `svc-${i}`)),
      range(10).map((i) => () => core.createNamespacedService({ namespace: ns, body: service(`new-${i}`) })),
      range(3, 2).map(
        (r) => () =>
          apps.patchNamespacedDeployment({
            namespace: ns,
            name: 'keep',
            body: [{ op: 'replace', path: '/spec/replicas', value: r }],
          }),
      ),
      range(4).map((i) => remove('Job', `job-${i}`)),
      range(4).map((i) => () => batch.createNamespacedJob({ namespace: ns, body: job(`job-new-${i}`) })),
      [() => apps.createNamespacedDeployment({ namespace: ns, body: deployment('newcomer', 2) })],
    ];
    const order: (() => Promise<unknown>)[] = [];
    for (let round = 0; round < 60; round++)
      for (const g of groups) {
        const change = g[round];
        if (change) order.push(change);
      }
    // Late in the burst, after the kill: a whole Deployment with its ReplicaSet and pods.
    order.splice(Math.floor(order.length * 0.75), 0, async () => {
      await apps.deleteNamespacedDeployment({ namespace: ns, name: 'doomed', propagationPolicy: 'Foreground' });
      deleted.push({ kind: 'Deployment', name: 'doomed', uid: doomedUid }, ...doomedPods);
    });
    expect(order.length).toBeGreaterThanOrEqual(200);
    const KILL_AT = Math.floor(order.length / 2);
    let done = 0;
    let deletedBeforeKill = 0;
    for (const [i, change] of order.entries()) {
      if (i === KILL_AT) {
        // No waiting for the hub to notice: the burst goes on while the link is torn down.
        await agent.kill9();
        killed = true;
        deletedBeforeKill = deleted.length;
        for (const uid of await hubUids()) known.add(uid);
      }
      await change();
      done++;
    }
    expect(done).toBe(order.length);
    // The hub must not have followed changes made after the kill (it has no agent).
    await eventually(
      'the cluster to settle',
      async () => {
        const pods = (await core.listNamespacedPod({ namespace: ns })).items;
        return pods.length === 6 && pods.every((x) => x.status?.phase === 'Running' && !x.metadata?.deletionTimestamp);
      },
      { timeoutMs: 60_000 },
    );
    expect(await inSync()).toBe(false);
    expect(deletedBeforeKill).toBeGreaterThan(0);
    expect(deleted.length - deletedBeforeKill).toBeGreaterThan(0);

    agent = startAgentProcess();
    await eventually('the hub inventory to match every watched kind after the restart', inSync, {
      timeoutMs: 60_000,
    }).catch(async (err: unknown) => {
      const v = await views();
      const diff = Object.keys(v.api).filter((k) => JSON.stringify(v.api[k]) !== JSON.stringify(v.hub[k]));
      throw new Error(`${(err as Error).message}; differing kinds: ${diff.join(', ')}`);
    });
    expect(
      (await hub.inventory.query('killed', { kind: 'Deployment', namespace: ns, limit: 10 })).items
        .map((d) => d.name)
        .sort(),
    ).toEqual(['keep', 'newcomer']);

    // Every deletion of an object the hub knew (from the first sync, its creation on the timeline, or in its
    // inventory when the agent died) is on the timeline — whether the agent reported it before dying or the hub found it missing.
    // An object created and deleted within the agent's last unflushed moments was never known at all.
    const created = await hub.timeline.query('killed', { namespace: ns, types: ['created'], limit: 1000 });
    for (const e of created.items) known.add(e.id.slice('created:'.length));
    const unknown = deleted.filter((d) => !known.has(d.uid));
    expect(unknown.length, `deletions of objects the hub never knew: ${JSON.stringify(unknown)}`).toBeLessThanOrEqual(
      10,
    );
    deleted.splice(0, deleted.length, ...deleted.filter((d) => known.has(d.uid)));
    if (process.env.WHEELHOUSE_TEST_LOG)
      console.log({
        changes: order.length,
        deletedBeforeKill,
        deletedAfterKill: deleted.length - deletedBeforeKill,
        unknown: unknown.length,
      });
    const timeline = await eventually('deletions on the timeline', async () => {
      const t = await hub.timeline.query('killed', { namespace: ns, types: ['deleted'], limit: 500 });
      const ids = new Set(t.items.map((e) => e.id));
      return deleted.every((d) => ids.has(`deleted:${d.uid}`)) ? t.items : undefined;
    }).catch(async (err: unknown) => {
      const t = await hub.timeline.query('killed', { namespace: ns, types: ['deleted'], limit: 500 });
      const ids = new Set(t.items.map((e) => e.id));
      const missing = deleted.filter((d) => !ids.has(`deleted:${d.uid}`));
      throw new Error(`${(err as Error).message}: missing ${missing.map((d) => `${d.kind}/${d.name}`).join(', ')}`);
    });
    for (const d of deleted) {
      const e = timeline.find((x) => x.id === `deleted:${d.uid}`);
      expect(e).toMatchObject({ kind: d.kind, name: d.name, namespace: ns, type: 'deleted' });
    }
  }, 240_000);
});
