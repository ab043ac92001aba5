// Issue 18: a pod's page, an object's page (ConfigMap, Service) and the
// rollback dialog's revision picker in a cluster with many other pods. They
// ask the hub for the object by name, for the pod's ReplicaSet by name, for
// "Used by" from the object's namespace only and for a Deployment's
// ReplicaSets by owner — never for a cluster's whole Pod, ReplicaSet, Job or
// workload lists. A second cluster in the same hub is seeded (store rows as the
// agent writes them) with one Deployment's pod, ConfigMap and Service among
// 3,000 pods of another Deployment that uses a ConfigMap of the same name in
// another namespace, and a Deployment whose pod template a Service's selector
// does not match (the hub must not send it); then real objects on the kwok
// cluster: a pod's owner, a ConfigMap's users as they come and go, a
// Deployment's revisions, a Service's workloads as templates are relabelled; a
// pod's page says so when the pod is deleted.
import * as k8s from '@kubernetes/client-node';
import type { Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryItem } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';
import { seedCluster, seededPod } from '../src/seeded-items.js';

const SEEDED = 'seeded-pod-page';
const OTHERS = 3000;
const now = Date.now();
const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

const meta = (
  kind: string,
  namespace: string,
  name: string,
  owner?: { kind: string; name: string },
  labels: Record<string, string> = {},
) => ({
  kind,
  namespace,
  name,
  uid: `uid-${kind}-${namespace}-${name}`,
  resourceVersion: '1',
  createdAt: now - 10 * 60_000,
  labels,
  ownerRefs: owner ? [{ ...owner, uid: `uid-${owner.name}` }] : [],
});
const pod = (namespace: string, name: string, rs: string, app: string) => {
  const m = meta('Pod', namespace, name, { kind: 'ReplicaSet', name: rs }, { app });
  return seededPod({ ...m, ownerRefs: m.ownerRefs });
};
const rs = (namespace: string, name: string, deployment: string, revision: string, image: string) =>
  ({
    ...meta('ReplicaSet', namespace, name, { kind: 'Deployment', name: deployment }),
    summary: { replicas: 1, readyReplicas: 1, availableReplicas: 1, images: [image], revision },
  }) as InventoryItem;
/** A Deployment whose pods (app=<name>) mount the ConfigMap `config` and read it as env. */
const deployment = (namespace: string, name: string, config: string, objectLabels: Record<string, string> = {}) =>
  ({
    ...meta('Deployment', namespace, name, undefined, objectLabels),
    summary: {
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      updatedReplicas: 1,
      paused: false,
      selector: { app: name },
      images: [`shop/${name}:2`],
      conditions: { Available: 'True' },
      revision: '2',
      spec: {
        template: {
          labels: { app: name },
          volumes: [{ name: 'cfg', configMap: { name: config } }],
          containers: [{ name, envFrom: [{ configMapRef: { name: config } }] }],
        },
      },
    },
  }) as InventoryItem;
const configMap = (namespace: string, name: string) =>
  ({ ...meta('ConfigMap', namespace, name), summary: { keys: ['mode'] } }) as InventoryItem;
const service = (namespace: string, name: string, app: string) =>
  ({
    ...meta('Service', namespace, name),
    summary: { type: 'ClusterIP', clusterIP: '10.0.0.7', ports: [], selector: { app } },
  }) as InventoryItem;

/**
 * shop: api (one pod, its ConfigMap and Service) and worker (its pod template app=worker, though the
 * Deployment itself is labelled app=api: not the Service's); elsewhere: web with 3,000 pods, its own "api-config".
 */
const inventory: Record<string, InventoryItem[]> = {
  Deployment: [
    deployment('shop', 'api', 'api-config'),
    deployment('shop', 'worker', 'worker-config', { app: 'api' }),
    deployment('elsewhere', 'web', 'api-config'),
  ],
  ReplicaSet: [
    rs('shop', 'api-2', 'api', '2', 'shop/api:2'),
    rs('shop', 'api-1', 'api', '1', 'shop/api:1'),
    rs('elsewhere', 'web-1', 'web', '1', 'shop/web:1'),
  ],
  ConfigMap: [configMap('shop', 'api-config'), configMap('elsewhere', 'api-config')],
  Service: [service('shop', 'api', 'api'), service('elsewhere', 'api', 'api')],
  Pod: [
    pod('shop', 'api-2-a', 'api-2', 'api'),
    ...Array.from({ length: OTHERS }, (_, i) => pod('elsewhere', `web-1-${i}`, 'web-1', 'api')),
  ],
};

describe("console: a pod's page, an object's page and the revision picker ask for what they show only", () => {
  let c: Console;
  let ns: string;
  const asked: string[] = [];
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-podpage');
    c = await openConsole({
      bindings: [
        { role: 'viewer', namespace: 'shop' },
        { role: 'viewer', namespace: 'elsewhere' },
        { role: 'operator', namespace: ns },
      ],
    });
    await seedCluster(c.pipeline.hub, SEEDED, inventory);
    c.page.on('request', (r) => {
      if (new URL(r.url()).pathname.endsWith('/resources')) asked.push(r.url());
    });
  });
  afterAll(async () => c.close());

  const params = () => asked.map((u) => new URL(u).searchParams);
  /** Lists not narrowed to one object, one owner or one namespace: a kind of the whole cluster. */
  const whole = () =>
    params()
      .filter((q) => !q.has('name') && !q.has('owner') && !q.has('namespace'))
      .map((q) => q.toString());
  const usedBy = () => c.page.getByRole('region', { name: 'Used by' });

  it("shows a pod's workload, found through its ReplicaSet read by name, without any whole list", async () => {
    const { page } = c;
    asked.length = 0;
    await page.goto(`${c.url}/c/${SEEDED}/pods/shop/api-2-a`);
    const owner = page.getByRole('link', { name: 'Deployment api' });
    await owner.waitFor({ timeout: 15_000 });
    expect(await owner.getAttribute('href')).toBe(`/c/${SEEDED}/w/Deployment/shop/api`);
    expect(whole()).toEqual([]);
    const narrow = params()
      .filter((q) => q.get('kind') === 'Pod' || q.get('kind') === 'ReplicaSet')
      .map((q) => [q.get('kind'), q.get('namespace'), q.get('name')]);
    expect(narrow).toEqual([
      ['Pod', 'shop', 'api-2-a'],
      ['ReplicaSet', 'shop', 'api-2'],
    ]);
  });

  it("lists a ConfigMap's users from its namespace only, not another namespace's of the same name", async () => {
    const { page } = c;
    asked.length = 0;
    await page.goto(`${c.url}/c/${SEEDED}/o/ConfigMap/shop/api-config`);
    await expect
      .poll(() => usedBy().textContent(), { timeout: 15_000 })
      .toContain('Deployment api (volume cfg, envFrom in api)');
    expect(await usedBy().textContent()).not.toContain('web');
    expect(whole()).toEqual([]);
    // The workload kinds of shop, each asked once; no pods (a ConfigMap is used by pod templates).
    const lists = params().filter((q) => !q.has('name'));
    expect(lists.map((q) => [q.get('kind'), q.get('namespace')]).sort()).toEqual(
      ['CronJob', 'DaemonSet', 'Deployment', 'Job', 'StatefulSet'].map((k) => [k, 'shop']),
    );
  });

  it('shows the pods and workloads a Service sends traffic to, only those the hub matched by its selector', async () => {
    const { page } = c;
    asked.length = 0;
    // What the hub served the page (each list's response as it arrived), not what the console shows.
    const served: Promise<InventoryItem[]>[] = [];
    const onResponse = (r: Response): void => {
      if (new URL(r.url()).pathname.endsWith('/resources') && r.ok())
        served.push(r.json().then((b: { items: InventoryItem[] }) => b.items));
    };
    page.on('response', onResponse);
    try {
      await page.goto(`${c.url}/c/${SEEDED}/o/Service/shop/api`);
      const region = page.getByRole('region', { name: 'Used by' });
      await expect
        .poll(() => region.textContent(), { timeout: 15_000 })
        .toMatch(/Deployment api \(selector app=api\).*1 pod \(1 ready\): api-2-a$/s);
      expect(await region.textContent()).not.toContain('worker');
    } finally {
      page.off('response', onResponse);
    }
    expect(whole()).toEqual([]);
    const pods = params().filter((q) => q.get('kind') === 'Pod');
    expect(pods.map((q) => q.get('namespace'))).toEqual(['shop']);
    // Only the pods the selector matches, compared by the hub: not the namespace's every pod.
    expect(pods.map((q) => q.get('selector'))).toEqual(['app=api']);
    // The backend workload kinds of shop, each asked by its pod template's labels: never the namespace's every one.
    const workloads = params().filter((q) => q.get('kind') !== 'Pod' && !q.has('name'));
    expect(workloads.map((q) => [q.get('kind'), q.get('namespace'), q.get('templateSelector')]).sort()).toEqual(
      ['CronJob', 'DaemonSet', 'Deployment', 'StatefulSet'].map((k) => [k, 'shop', 'app=api']),
    );
    // The hub sent the matching Deployment and the Service itself; worker (labelled app=api, its pods not) never.
    const items = (await Promise.all(served)).flat();
    expect(items.map((i) => `${i.kind}/${i.namespace}/${i.name}`).sort()).toEqual([
      'Deployment/shop/api',
      'Pod/shop/api-2-a',
      'Service/shop/api',
    ]);
  });

  it("follows a real pod to its Deployment, a ConfigMap's users live, and a Deployment's revisions by owner", async () => {
    const { page } = c;
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cart-config' }, data: { a: '1' } },
    });
    const cart = (name: string, image: string, how: 'envFrom' | 'volume'): k8s.V1Deployment => ({
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            terminationGracePeriodSeconds: 0,
            ...(how === 'volume' ? { volumes: [{ name: 'cfg', configMap: { name: 'cart-config' } }] } : {}),
            containers: [
              {
                name,
                image,
                ...(how === 'envFrom' ? { envFrom: [{ configMapRef: { name: 'cart-config' } }] } : {}),
              },
            ],
          },
        },
      },
    });
    await apps.createNamespacedDeployment({ namespace: ns, body: cart('cart', 'shop/cart:1', 'envFrom') });
    await eventually(
      'cart ready',
      async () => (await apps.readNamespacedDeployment({ namespace: ns, name: 'cart' })).status?.readyReplicas === 1,
    );
    await apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'cart',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'shop/cart:2' }],
    });
    await eventually('cart rolled out to revision 2', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'cart' });
      return d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2' && d.status?.updatedReplicas === 1;
    });
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=cart' });
    const podName = pods.items.find((p) => p.spec?.containers[0]?.image === 'shop/cart:2')?.metadata?.name;
    expect(podName).toBeDefined();
    asked.length = 0;

    // The pod's page links its Deployment (through its ReplicaSet, read by name).
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/${podName}`);
    const owner = page.getByRole('link', { name: 'Deployment cart' });
    await owner.waitFor({ timeout: 30_000 });
    expect(await owner.getAttribute('href')).toBe(`/c/${c.cluster}/w/Deployment/${ns}/cart`);
    // Live from the feed: the pod deleted (its Deployment makes another), its page says it is gone.
    await core.deleteNamespacedPod({ namespace: ns, name: podName ?? '', gracePeriodSeconds: 0 });
    await expect
      .poll(() => page.locator('main').textContent(), { timeout: 30_000 })
      .toContain('This pod does not exist (any more).');

    // The ConfigMap's users, live: a Deployment that mounts it appears, and leaves when deleted.
    await page.goto(`${c.url}/c/${c.cluster}/o/ConfigMap/${ns}/cart-config`);
    await expect.poll(() => usedBy().textContent(), { timeout: 30_000 }).toContain('Deployment cart (envFrom in cart)');
    await apps.createNamespacedDeployment({ namespace: ns, body: cart('cart-admin', 'shop/admin:1', 'volume') });
    await expect
      .poll(() => usedBy().textContent(), { timeout: 30_000 })
      .toContain('Deployment cart-admin (volume cfg)');
    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'cart-admin' });
    await expect.poll(() => usedBy().textContent(), { timeout: 30_000 }).not.toContain('cart-admin');

    // The rollback dialog's revisions: the Deployment's two ReplicaSets, asked by owner.
    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/cart`);
    await page.getByRole('button', { name: 'Actions for Deployment cart' }).click();
    await page.getByRole('menuitem', { name: /^Roll back/ }).click();
    const dialog = page.getByRole('dialog', { name: `Roll back: Deployment ${ns}/cart` });
    const revisions = dialog.getByRole('table', { name: 'Revisions' });
    await expect.poll(() => revisions.locator('tbody tr').count(), { timeout: 30_000 }).toBe(2);
    expect(await revisions.locator('tr[data-revision="2"]').textContent()).toMatch(/2 \(current\).*shop\/cart:2/s);
    expect(await revisions.locator('tr[data-revision="1"]').textContent()).toContain(
      'shop/cart:1 (current: shop/cart:2)',
    );
    expect(await revisions.locator('tr[data-revision="1"]').getByRole('radio').isChecked()).toBe(true);

    expect(whole()).toEqual([]);
    const replicaSets = params().filter((q) => q.get('kind') === 'ReplicaSet');
    expect(replicaSets.every((q) => q.has('name') || q.get('owner') === 'Deployment/cart')).toBe(true);
    expect(replicaSets.some((q) => q.get('owner') === 'Deployment/cart')).toBe(true);
  });

  it("follows a Service's workloads live: a template relabelled to its selector shows, relabelled away goes", async () => {
    const { page } = c;
    await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'storefront' }, spec: { selector: { app: 'storefront' }, ports: [{ port: 80 }] } },
    });
    const front = (app: string): k8s.V1Deployment => ({
      metadata: { name: 'front', labels: { app: 'storefront' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { role: 'front' } },
        template: {
          metadata: { labels: { role: 'front', app } },
          spec: { containers: [{ name: 'front', image: 'shop/front:1' }] },
        },
      },
    });
    // Labelled app=storefront itself, its pods app=other: not the Service's.
    await apps.createNamespacedDeployment({ namespace: ns, body: front('other') });
    asked.length = 0;
    await page.goto(`${c.url}/c/${c.cluster}/o/Service/${ns}/storefront`);
    await expect.poll(() => usedBy().textContent(), { timeout: 30_000 }).toContain('Nothing');
    const relabel = (app: string) =>
      apps.patchNamespacedDeployment({
        namespace: ns,
        name: 'front',
        body: [{ op: 'replace', path: '/spec/template/metadata/labels/app', value: app }],
      });
    await relabel('storefront');
    await expect
      .poll(() => usedBy().textContent(), { timeout: 30_000 })
      .toContain('Deployment front (selector app=storefront)');
    await relabel('other');
    await expect.poll(() => usedBy().textContent(), { timeout: 30_000 }).not.toContain('Deployment front');
    const deployments = params().filter((q) => q.get('kind') === 'Deployment' && !q.has('name'));
    expect(deployments.length).toBeGreaterThan(0);
    expect(deployments.every((q) => q.get('templateSelector') === 'app=storefront')).toBe(true);
  });
});
