// Issue 18, the Workloads page: workloads paged, sorted and filtered by the hub,
// each with its pods counted in SQL (GET …/workloads), in both store dialects,
// over the real API. The counts must equal what the protocol's ownership rule
// (resolveWorkload: Deployment → ReplicaSet → Pod, CronJob → Job → Pod) gives
// over the same pods; walking every page gives the reference order; changes
// recount; a scoped viewer sees and counts only their namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ownerStep,
  resolveWorkload,
  workloadHealth,
  type InventoryItem,
  type WorkloadListRow,
} from '@wheelhouse/protocol';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { deploymentSummary, runningPodSummary } from './support/inventory-items.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

const NAMESPACES = ['ns-a', 'ns-b', 'ns-c'];
const T0 = 1_700_000_000_000;
let uid = 0;
const base = (kind: string, namespace: string, name: string, owner?: { kind: string; name: string }) => ({
  kind,
  namespace,
  name,
  uid: `${kind.toLowerCase()}-${String(uid++).padStart(4, '0')}`,
  resourceVersion: '1',
  createdAt: T0 + (uid % 11) * 1000,
  labels: {},
  ownerRefs: owner ? [{ ...owner, uid: `owner-${owner.name}` }] : [],
});
const images = ['busybox'];
function deployment(ns: string, name: string, replicas: number, ready: number): InventoryItem {
  return {
    ...base('Deployment', ns, name),
    summary: { ...deploymentSummary(replicas), readyReplicas: ready },
  } as InventoryItem;
}
function replicaSet(ns: string, name: string, owner: string): InventoryItem {
  const summary = { replicas: 1, readyReplicas: 1, availableReplicas: 1, images };
  return { ...base('ReplicaSet', ns, name, { kind: 'Deployment', name: owner }), summary } as InventoryItem;
}
function statefulSet(ns: string, name: string, replicas: number, ready: number): InventoryItem {
  return {
    ...base('StatefulSet', ns, name),
    summary: { replicas, readyReplicas: ready, images, spec: {} },
  } as InventoryItem;
}
function daemonSet(ns: string, name: string, desired: number, ready: number): InventoryItem {
  const summary = { desired, ready, updated: desired, available: ready, images, spec: {} };
  return { ...base('DaemonSet', ns, name), summary } as InventoryItem;
}
function job(ns: string, name: string, owner?: string): InventoryItem {
  const summary = {
    active: 1,
    succeeded: 0,
    failed: 0,
    suspend: false,
    startTime: null,
    completionTime: null,
    conditions: {},
    images,
    spec: {},
  };
  return { ...base('Job', ns, name, owner ? { kind: 'CronJob', name: owner } : undefined), summary } as InventoryItem;
}
function cronJob(ns: string, name: string): InventoryItem {
  const summary = {
    schedule: '*/5 * * * *',
    suspend: false,
    lastScheduleTime: null,
    lastSuccessfulTime: null,
    active: 1,
    images,
    spec: {},
  };
  return { ...base('CronJob', ns, name), summary } as InventoryItem;
}
function pod(
  ns: string,
  name: string,
  owner: { kind: string; name: string } | undefined,
  ready: boolean,
  restarts: number,
): InventoryItem {
  const summary = { ...runningPodSummary(), ready, restarts, phase: ready ? 'Running' : 'Pending' };
  if (!ready)
    summary.containers = summary.containers.map((c) => ({
      ...c,
      ready: false,
      state: 'waiting',
      reason: 'CrashLoopBackOff',
    }));
  return { ...base('Pod', ns, name, owner), summary } as InventoryItem;
}

// Per namespace: two Deployments (one with two ReplicaSets: a rollout), a StatefulSet, a DaemonSet,
// a bare Job, a CronJob with two Jobs; pods of each, some not ready, some restarting; a bare pod.
const WORKLOADS: InventoryItem[] = [];
const SUPPORT: InventoryItem[] = [];
const PODS: InventoryItem[] = [];
for (const [n, ns] of NAMESPACES.entries()) {
  WORKLOADS.push(deployment(ns, 'web', 3, 2), deployment(ns, 'api', 2, 2), statefulSet(ns, 'db', 2, 0));
  WORKLOADS.push(daemonSet(ns, 'agent', 2, 2), job(ns, 'migrate'), cronJob(ns, 'report'));
  SUPPORT.push(replicaSet(ns, 'web-old', 'web'), replicaSet(ns, 'web-new', 'web'), replicaSet(ns, 'api-1', 'api'));
  SUPPORT.push(job(ns, 'report-1', 'report'), job(ns, 'report-2', 'report'));
  const add = (name: string, kind: string, owner: string, ready: boolean, restarts = 0): void => {
    PODS.push(pod(ns, name, { kind, name: owner }, ready, restarts));
  };
  add('web-old-x', 'ReplicaSet', 'web-old', true, n);
  add('web-new-a', 'ReplicaSet', 'web-new', true);
  add('web-new-b', 'ReplicaSet', 'web-new', false, 4);
  add('api-1-a', 'ReplicaSet', 'api-1', true);
  add('api-1-b', 'ReplicaSet', 'api-1', true, 1);
  add('db-0', 'StatefulSet', 'db', false, 7);
  add('db-1', 'StatefulSet', 'db', false);
  add('agent-a', 'DaemonSet', 'agent', true);
  add('agent-b', 'DaemonSet', 'agent', true);
  add('migrate-a', 'Job', 'migrate', false, 2);
  add('report-1-a', 'Job', 'report-1', true);
  add('report-2-a', 'Job', 'report-2', true);
  PODS.push(pod(ns, 'bare', undefined, true, 9));
}
// Every object a pod may name as its owner; the page lists WORKLOADS (its ReplicaSets count under their Deployment).
const OWNERS = [...WORKLOADS, ...SUPPORT];
const LISTED = OWNERS.filter((w) => w.kind !== 'ReplicaSet');

/** The reference: each workload's pods by the protocol's rule over all pods and owners. */
function reference(
  w: InventoryItem,
  pods: readonly InventoryItem[],
): { total: number; ready: number; restarts: number } {
  const out = { total: 0, ready: 0, restarts: 0 };
  for (const p of pods) {
    if (p.kind !== 'Pod' || p.namespace !== w.namespace) continue;
    const step = ownerStep(p);
    const parent =
      step && OWNERS.find((x) => x.kind === step.kind && x.namespace === p.namespace && x.name === step.name);
    const owner = resolveWorkload(p, parent);
    const direct = p.ownerRefs[0]?.kind === w.kind && p.ownerRefs[0].name === w.name;
    if (!direct && (owner?.kind !== w.kind || owner.name !== w.name)) continue;
    out.total++;
    if (p.summary.ready) out.ready++;
    out.restarts += p.summary.restarts;
  }
  return out;
}

interface Page {
  items: WorkloadListRow[];
  nextCursor: string | null;
  total?: number;
}
const bytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe.each(storeFactories)('workloads with pod counts ($name store)', (store) => {
  let hub: Hub;
  let admin: TestUser;
  let scoped: TestUser;
  beforeAll(async () => {
    hub = await createHub({ ...(await store.options()), logger: false, webRoot: false });
    await hub.clusters.create('c1', 'test');
    for (const kind of ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'])
      await hub.inventory.applySnapshotChunk(
        'c1',
        kind,
        's1',
        OWNERS.filter((i) => i.kind === kind),
        true,
      );
    await hub.inventory.applySnapshotChunk('c1', 'Pod', 's1', PODS, true);
    admin = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    scoped = await addUser(hub, { bindings: [{ role: 'viewer', cluster: 'c1', namespace: 'ns-b' }] });
  });
  afterAll(() => hub.close());

  const get = async (user: TestUser, query: string): Promise<{ status: number; body: unknown }> => {
    const res = await hub.app.inject({
      method: 'GET',
      url: `/api/v1/clusters/c1/workloads?${query}`,
      headers: bearer(user.token),
    });
    return { status: res.statusCode, body: res.json() };
  };
  const page = async (user: TestUser, query: string): Promise<Page> => {
    const res = await get(user, query);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as Page;
  };
  /** Every page of a query, three rows at a time. */
  const walk = async (user: TestUser, query: string): Promise<WorkloadListRow[]> => {
    const out: WorkloadListRow[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const p: Page = await page(user, `${query}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      out.push(...p.items);
      cursor = p.nextCursor;
      if (!cursor) return out;
    }
    throw new Error('no end');
  };

  it("counts each workload's pods (ready, total, restarts) as the ownership rule does, through ReplicaSets and Jobs", async () => {
    const rows = await walk(admin, 'sort=namespace');
    expect(rows).toHaveLength(LISTED.length);
    for (const r of rows)
      expect(r.pods, `${r.workload.kind}/${r.workload.namespace}/${r.workload.name}`).toMatchObject(
        reference(r.workload, PODS),
      );
    const web = rows.find(
      (r) => r.workload.kind === 'Deployment' && r.workload.name === 'web' && r.workload.namespace === 'ns-c',
    );
    // Both ReplicaSets' pods (the rollout's old one too): 3 pods, 2 ready, restarts 2 (old) + 4.
    expect(web?.pods).toMatchObject({ total: 3, ready: 2, restarts: 6 });
    const report = rows.find((r) => r.workload.kind === 'CronJob' && r.workload.namespace === 'ns-a');
    expect(report?.pods).toMatchObject({ total: 2, ready: 2, restarts: 0 });
  });

  it('gives an unhealthy workload its newest pod that is not ready (the reason column), a healthy one none', async () => {
    const rows = await walk(admin, 'namespace=ns-a');
    const db = rows.find((r) => r.workload.kind === 'StatefulSet');
    expect(db?.pods.notReady?.name).toMatch(/^db-[01]$/);
    expect(db?.pods.notReady?.summary.ready).toBe(false);
    const web = rows.find((r) => r.workload.kind === 'Deployment' && r.workload.name === 'web');
    expect(web?.pods.notReady?.name).toBe('web-new-b');
    expect(
      rows.find((r) => r.workload.name === 'api' && r.workload.kind === 'Deployment')?.pods.notReady,
    ).toBeUndefined();
  });

  it('walks every sort either way in order, each workload once', async () => {
    const keys = {
      kind: (w: InventoryItem) => [w.kind, w.namespace, w.name, w.uid],
      namespace: (w: InventoryItem) => [w.namespace, w.name, w.uid],
      name: (w: InventoryItem) => [w.name, w.namespace, w.uid],
      age: (w: InventoryItem) => [w.createdAt, w.uid],
      health: (w: InventoryItem) => [
        ({ err: 3, warn: 2, ok: 1 } as Record<string, number>)[workloadHealth(w).level] ?? 0,
        w.namespace,
        w.name,
        w.uid,
      ],
    };
    for (const [sort, key] of Object.entries(keys))
      for (const order of ['asc', 'desc'] as const) {
        const got = (await walk(admin, `sort=${sort}&order=${order}`)).map((r) => r.workload.uid);
        const cmp = (a: InventoryItem, b: InventoryItem): number => {
          const [x, y] = [key(a), key(b)];
          for (let i = 0; i < x.length; i++) {
            const [u, v] = [x[i] ?? '', y[i] ?? ''];
            const c = typeof u === 'number' && typeof v === 'number' ? u - v : bytes(String(u), String(v));
            if (c !== 0) return order === 'asc' ? c : -c;
          }
          return 0;
        };
        expect(got, `${sort} ${order}`).toEqual([...LISTED].sort(cmp).map((w) => w.uid));
      }
  });

  it('filters by kind, namespace, name prefix and "only unhealthy", with the total', async () => {
    const deployments = await page(admin, 'kind=Deployment&count=true&limit=100');
    expect(deployments.total).toBe(6);
    expect(new Set(deployments.items.map((r) => r.workload.kind))).toEqual(new Set(['Deployment']));
    const prefixed = await page(admin, 'prefix=web&namespace=ns-b&count=true');
    expect(prefixed.items.map((r) => `${r.workload.kind}/${r.workload.name}`).sort()).toEqual(['Deployment/web']);
    expect(prefixed.total).toBe(1);
    const jobs = await page(admin, 'kind=Job&namespace=ns-a&count=true');
    expect(jobs.items.map((r) => [r.workload.name, r.pods.total])).toEqual([
      ['migrate', 1],
      ['report-1', 1],
      ['report-2', 1],
    ]);
    const unhealthy = await page(admin, 'unhealthy=true&count=true&limit=100');
    const expected = LISTED.filter((w) => ['err', 'warn'].includes(workloadHealth(w).level));
    expect(unhealthy.items.map((r) => r.workload.uid).sort()).toEqual(expected.map((w) => w.uid).sort());
    expect(unhealthy.total).toBe(expected.length);
    // The Deployment web (2 of 3) and the StatefulSet db (0 of 2) per namespace.
    expect(expected.length).toBe(6);
  });

  it('recounts after changes: a pod ready again, a pod deleted, a workload turning healthy', async () => {
    const before = (await page(admin, 'namespace=ns-a&kind=StatefulSet')).items[0];
    expect(before?.pods).toMatchObject({ total: 2, ready: 0, restarts: 7 });
    const db0 = PODS.find((p) => p.namespace === 'ns-a' && p.name === 'db-0');
    const db1 = PODS.find((p) => p.namespace === 'ns-a' && p.name === 'db-1');
    const sts = WORKLOADS.find((w) => w.namespace === 'ns-a' && w.kind === 'StatefulSet');
    if (!db0 || !db1 || sts?.kind !== 'StatefulSet' || db0.kind !== 'Pod') throw new Error('fixture');
    await hub.inventory.applyChanges(
      'c1',
      [
        { ...db0, summary: { ...db0.summary, ready: true, restarts: 8 } },
        { ...sts, summary: { ...sts.summary, readyReplicas: 1, replicas: 1 } },
      ],
      [{ uid: db1.uid }],
    );
    const after = (await page(admin, 'namespace=ns-a&kind=StatefulSet')).items[0];
    expect(after?.pods).toMatchObject({ total: 1, ready: 1, restarts: 8 });
    const unhealthy = await page(admin, 'unhealthy=true&namespace=ns-a&count=true');
    expect(unhealthy.items.map((r) => `${r.workload.kind}/${r.workload.name}`)).toEqual(['Deployment/web']);
  });

  it("shows a scoped viewer only their namespace's workloads, counted from their pods", async () => {
    const rows = await walk(scoped, 'sort=name');
    expect(rows.length).toBe(LISTED.filter((w) => w.namespace === 'ns-b').length);
    for (const r of rows) {
      expect(r.workload.namespace).toBe('ns-b');
      expect(r.pods).toMatchObject(reference(r.workload, PODS));
    }
    expect((await page(scoped, 'count=true&limit=1')).total).toBe(rows.length);
    const other = await get(scoped, 'namespace=ns-a');
    expect(other.status).toBe(403);
  });

  it('answers a bad parameter with a 400 naming it, and changes nothing', async () => {
    for (const [q, field] of [
      ['kind=Pod', 'kind'],
      ['kind=Secret', 'kind'],
      ['kind=ReplicaSet', 'kind'],
      ['sort=status', 'sort'],
      ['prefix=Web', 'prefix'],
      ['unhealthy=yes', 'unhealthy'],
      ['limit=0', 'limit'],
      ['namespace=NS_A', 'namespace'],
      ['node=n1', 'node'],
    ] as const) {
      const res = await get(admin, q);
      expect(res.status, q).toBe(400);
      expect(JSON.stringify(res.body), q).toContain(field);
    }
  });
});
