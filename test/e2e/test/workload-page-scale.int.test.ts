// Issue 18: one workload's page (header, Overview's pods) in a cluster with
// many other pods. The page asks the hub for the workload by name and for its
// pods by owner (its ReplicaSets first) — never for the cluster's whole Pod,
// ReplicaSet or Job list. A second cluster in the same hub is seeded (store
// rows as the agent writes them) with a Deployment of 4 pods over two
// ReplicaSets among 5,000 pods of others; then a real Deployment on the kwok
// cluster gains and loses a pod while its page is open. The viewer may see
// only those two namespaces. A StatefulSet's page asks for its claims by their
// names' prefix (`<template>-<statefulset>-`), never the cluster's PVC list:
// among 3,000 other claims (and some whose names the prefix also starts) it
// shows exactly its own; a real StatefulSet's claims appear as it scales, live.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryItem } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';
import { seedCluster } from '../src/seeded-items.js';
import { liveReads, type LiveReads } from '../src/live-reads.js';

const SEEDED = 'seeded-workload-page';
const OTHERS = 5000;
const now = Date.now();
const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);

const meta = (kind: string, name: string, owner?: { kind: string; name: string }, namespace = 'shop') => ({
  kind,
  namespace,
  name,
  uid: `uid-${kind}-${namespace}-${name}`,
  resourceVersion: '1',
  createdAt: now - 10 * 60_000,
  labels: {},
  ownerRefs: owner ? [{ ...owner, uid: `uid-${owner.name}` }] : [],
});
const pod = (name: string, rs: string, phase: string, ready: boolean, restarts: number, namespace = 'shop') =>
  ({
    ...meta('Pod', name, { kind: 'ReplicaSet', name: rs }, namespace),
    summary: {
      phase,
      ready,
      nodeName: 'node-1',
      podIP: null,
      qosClass: null,
      startTime: null,
      reason: null,
      restarts,
      containers: [],
      initContainers: [],
    },
  }) as InventoryItem;
const rs = (name: string, deployment: string) =>
  ({
    ...meta('ReplicaSet', name, { kind: 'Deployment', name: deployment }),
    summary: { replicas: 1, readyReplicas: 1, availableReplicas: 1, images: [] },
  }) as InventoryItem;
const deployment = (name: string, replicas: number, ready: number) =>
  ({
    ...meta('Deployment', name),
    summary: {
      replicas,
      readyReplicas: ready,
      availableReplicas: ready,
      updatedReplicas: replicas,
      paused: false,
      selector: { app: name },
      images: [`shop/${name}:2`],
      conditions: { Available: 'True' },
      spec: {},
    },
  }) as InventoryItem;

const pvc = (name: string, namespace = 'shop') =>
  ({
    ...meta('PersistentVolumeClaim', name, undefined, namespace),
    summary: { phase: 'Bound', storageClass: 'fast', volumeName: `pv-${name}`, capacity: '1Gi' },
  }) as InventoryItem;
const statefulSet = (name: string, templates: string[]) =>
  ({
    ...meta('StatefulSet', name),
    summary: { replicas: 3, readyReplicas: 3, images: ['shop/db:1'], spec: { volumeClaimTemplates: templates } },
  }) as InventoryItem;
/** db's claims (data and wal; wal-db-1 is gone) among others': db-canary's and dbx's share a prefix. */
const DB_CLAIMS = ['data-db-0', 'data-db-1', 'data-db-2', 'data-db-10', 'wal-db-0', 'wal-db-2'];

/** api: 3 pods of its current ReplicaSet (one Pending), 1 of its previous; web: the 5,000 others, most in shop. */
const inventory: Record<string, InventoryItem[]> = {
  Deployment: [deployment('api', 3, 2), deployment('web', OTHERS, OTHERS)],
  StatefulSet: [statefulSet('db', ['data', 'wal']), statefulSet('db-canary', ['data'])],
  PersistentVolumeClaim: [
    ...DB_CLAIMS.map((n) => pvc(n)),
    pvc('data-db-canary-0'),
    pvc('data-dbx-0'),
    pvc('data-db-0', 'elsewhere'),
    pvc('data-db-x'),
    ...Array.from({ length: 3000 }, (_, i) => pvc(`data-cache-${i}`)),
  ],
  ReplicaSet: [rs('api-2', 'api'), rs('api-1', 'api'), rs('web-1', 'web')],
  Pod: [
    pod('api-2-a', 'api-2', 'Running', true, 2),
    pod('api-2-b', 'api-2', 'Running', true, 1),
    pod('api-2-c', 'api-2', 'Pending', false, 0),
    pod('api-1-old', 'api-1', 'Running', true, 4),
    ...Array.from({ length: OTHERS }, (_, i) =>
      pod(`web-1-${i}`, 'web-1', 'Running', true, 1, i % 5 === 0 ? 'elsewhere' : 'shop'),
    ),
  ],
};

describe("console: a workload's page among many pods asks for its own only", () => {
  let c: Console;
  let ns: string;
  const asked: string[] = [];
  let live: LiveReads;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-wlpage');
    c = await openConsole({
      bindings: [
        { role: 'viewer', namespace: 'shop' },
        { role: 'viewer', namespace: ns },
      ],
    });
    await seedCluster(c.pipeline.hub, SEEDED, inventory);
    c.page.on('request', (r) => {
      if (new URL(r.url()).pathname.endsWith('/resources')) asked.push(r.url());
    });
    live = liveReads(c.page);
  });
  afterAll(async () => c.close());

  const pods = () => c.page.getByRole('table', { name: 'Pods' });
  const podNames = async () =>
    (
      await pods()
        .locator('tbody tr[data-name]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')))
    )
      .filter((n): n is string => n !== null)
      .sort();
  /** Requests for a list not narrowed to one object or to owners: a whole kind (of the viewer's namespaces). */
  const whole = () =>
    asked.filter((u) => {
      const q = new URL(u).searchParams;
      return !q.has('owner') && !q.has('name');
    });

  it("shows the workload's pods of both ReplicaSets, its counts and restarts, without reading whole lists", async () => {
    const { page } = c;
    asked.length = 0;
    await page.goto(`${c.url}/c/${SEEDED}/w/Deployment/shop/api`);
    await expect.poll(podNames, { timeout: 15_000 }).toEqual(['api-1-old', 'api-2-a', 'api-2-b', 'api-2-c']);
    expect(await page.getByLabel('Ready replicas').textContent()).toBe('2/3 ready');
    expect(await pods().locator('tr[data-name="api-2-c"]').textContent()).toContain('Pending');
    expect(await page.locator('dl.kv').first().textContent()).toContain('Restarts (pods)7');
    expect(whole()).toEqual([]);
    // The pods were asked by owner: the Deployment's ReplicaSets, then their pods.
    const owners = asked.map((u) => new URL(u).searchParams).filter((q) => q.get('kind') === 'Pod');
    expect(owners.map((q) => q.get('owner')?.split(',').sort())).toEqual([
      ['Deployment/api', 'ReplicaSet/api-1', 'ReplicaSet/api-2'],
    ]);
  });

  it('keeps the pods of a real workload live: a scale up adds a row, a rollout swaps them, a scale down takes them away', async () => {
    const { page } = c;
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'cart' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'cart' } },
          template: {
            metadata: { labels: { app: 'cart' } },
            spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'cart', image: 'shop/cart:1' }] },
          },
        },
      },
    });
    await eventually(
      'cart ready',
      async () => (await apps.readNamespacedDeployment({ namespace: ns, name: 'cart' })).status?.readyReplicas === 1,
    );
    asked.length = 0;
    live.reset();
    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/cart`);
    await expect.poll(async () => (await podNames()).length, { timeout: 15_000 }).toBe(1);
    const [first] = await podNames();
    await apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'cart',
      body: [{ op: 'replace', path: '/spec/replicas', value: 2 }],
    });
    await expect.poll(async () => (await podNames()).length, { timeout: 30_000 }).toBe(2);
    await expect.poll(() => page.getByLabel('Ready replicas').textContent(), { timeout: 30_000 }).toBe('2/2 ready');
    const added = (await podNames()).find((n) => n !== first);
    await expect.poll(() => pods().locator(`tr[data-name="${added}"]`).textContent()).toContain('Running');
    // A rollout: the pods of the new ReplicaSet (not there when the page asked) replace the old ones.
    const before = await podNames();
    await apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'cart',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'shop/cart:2' }],
    });
    await expect
      .poll(async () => (await podNames()).filter((n) => !before.includes(n)).length, { timeout: 30_000 })
      .toBe(2);
    await expect.poll(async () => (await podNames()).length, { timeout: 30_000 }).toBe(2);
    await apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'cart',
      body: [{ op: 'replace', path: '/spec/replicas', value: 0 }],
    });
    await expect.poll(podNames, { timeout: 30_000 }).toEqual([]);
    // Live from the feed: the pods were asked once, when the page opened (its ReplicaSets, then their pods) —
    // and once more only if those answers were older than the live socket's subscription: the real cluster
    // changes all the time (node heartbeats, the other test file's pods).
    expect(whole()).toEqual([]);
    const byOwner = await live.split((u) => u.pathname.endsWith('/resources') && u.searchParams.has('owner'), 2);
    expect(byOwner.first.map((u) => new URL(u, c.url).searchParams.get('kind'))).toEqual(['ReplicaSet', 'Pod']);
    expect(byOwner.again, byOwner.why).toEqual(byOwner.stale ? byOwner.first : []);
  });

  it("lists exactly a StatefulSet's claims, asked by name prefix, never the cluster's claims", async () => {
    const { page } = c;
    asked.length = 0;
    await page.goto(`${c.url}/c/${SEEDED}/w/StatefulSet/shop/db`);
    const claims = page.getByRole('table', { name: 'Claims' });
    const names = () =>
      claims.locator('tbody tr[data-name]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    await expect.poll(names, { timeout: 15_000 }).toEqual(DB_CLAIMS);
    expect(await claims.locator('tr[data-name="data-db-10"]').textContent()).toContain('pv-data-db-10');
    const pvcAsks = asked.map((u) => new URL(u).searchParams).filter((q) => q.get('kind') === 'PersistentVolumeClaim');
    expect(pvcAsks.map((q) => [q.get('namespace'), q.get('prefix')])).toEqual([
      ['shop', 'data-db-'],
      ['shop', 'wal-db-'],
    ]);
  });

  it("shows a real StatefulSet's claims as it scales, live, and not a claim named like another's", async () => {
    const { page } = c;
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const claim = (name: string) => ({
      metadata: { name },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: '', resources: { requests: { storage: '1Gi' } } },
    });
    // The prefix "data-vault-" also starts another StatefulSet's claim name.
    await core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: claim('data-vault-b-0') });
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'vault' },
        spec: {
          replicas: 1,
          serviceName: 'vault',
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: { app: 'vault' } },
          template: {
            metadata: { labels: { app: 'vault' } },
            spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'vault', image: 'vault:1' }] },
          },
          volumeClaimTemplates: [claim('data')],
        },
      },
    });
    await page.goto(`${c.url}/c/${c.cluster}/w/StatefulSet/${ns}/vault`);
    const claims = page.getByRole('table', { name: 'Claims' });
    const names = () =>
      claims.locator('tbody tr[data-name]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    await expect.poll(names, { timeout: 30_000 }).toEqual(['data-vault-0']);
    await apps.patchNamespacedStatefulSet({
      namespace: ns,
      name: 'vault',
      body: [{ op: 'replace', path: '/spec/replicas', value: 2 }],
    });
    // Parallel: the controller makes vault-1 (and its claim) though vault-0 stays Pending (nothing binds its claim).
    await eventually('the controller to make data-vault-1', async () =>
      (await core.listNamespacedPersistentVolumeClaim({ namespace: ns })).items.some(
        (i) => i.metadata?.name === 'data-vault-1',
      ),
    );
    const made = ['data-vault-0', 'data-vault-1'];
    await expect.poll(names, { timeout: 30_000 }).toEqual(made);
    // A claim made by hand with an ordinal's name is the StatefulSet's (as Kubernetes would reuse it): shown, live.
    await core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: claim('data-vault-7') });
    await expect.poll(names, { timeout: 30_000 }).toEqual([...made, 'data-vault-7']);
    await core.deleteNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data-vault-7' });
    await expect.poll(names, { timeout: 30_000 }).toEqual(made);
    expect(
      asked.filter(
        (u) =>
          new URL(u).searchParams.get('kind') === 'PersistentVolumeClaim' && !new URL(u).searchParams.has('prefix'),
      ),
    ).toEqual([]);
  });
});
