// Issue 18: the Nodes page's pod counts come with each page of nodes the hub
// serves (GET …/nodes, counted over that page's nodes) instead of listing
// every pod into the browser, or counting every node's pods. A second cluster
// in the same hub is seeded with 1,234 pods over three nodes (some
// unscheduled): each row shows its node's count, and the page never asks for
// the pods nor a whole-cluster count. A third holds 2,000 nodes: the page asks
// the hub for them a page at a time (never the whole list), each page counted,
// and its sort and filters are the hub's. On the real cluster, a pod placed on
// a node and deleted moves that node's count, live (the nodes in view counted
// again, by name), and a node added and cordoned shows up and changes, live.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryItem } from '@wheelhouse/protocol';
import { kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';
import { seededPod } from '../src/seeded-items.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const SEEDED = 'seeded-nodes';
const PODS = 1234;
const NODES = ['node-a', 'node-b', 'node-c'];
// Uneven on purpose: node-a gets half, node-b a third, node-c the rest; every 7th pod is unscheduled.
const nodeOf = (i: number): string | null =>
  i % 7 === 0 ? null : i % 6 < 3 ? 'node-a' : i % 6 < 5 ? 'node-b' : 'node-c';

function pod(i: number): InventoryItem {
  return seededPod({
    namespace: `shop-${i % 3}`,
    name: `api-${String(i).padStart(4, '0')}`,
    uid: `uid-${i}`,
    createdAt: Date.now() - i * 60_000,
    summary: { nodeName: nodeOf(i) },
  });
}
const node = (name: string, o: { ready?: boolean; cordoned?: boolean; createdAt?: number } = {}): InventoryItem => ({
  kind: 'Node',
  namespace: '',
  name,
  uid: `uid-${name}`,
  resourceVersion: '1',
  createdAt: o.createdAt ?? Date.now() - 86_400_000,
  labels: {},
  ownerRefs: [],
  summary: {
    unschedulable: o.cordoned ?? false,
    conditions: { Ready: o.ready === false ? 'False' : 'True' },
    capacity: { pods: '1000', cpu: '8', memory: '32Gi' },
    taints: [],
    addresses: [],
    spec: {},
  },
});

describe('console: the Nodes page counts pods on the hub', () => {
  let c: Console;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    c = await openConsole({ bindings: [{ role: 'viewer' }] });
    await c.pipeline.hub.clusters.create(SEEDED, 'test');
    const pods = Array.from({ length: PODS }, (_, i) => pod(i));
    await c.pipeline.hub.inventory.applySnapshotChunk(SEEDED, 'Pod', 's1', pods, true);
    await c.pipeline.hub.inventory.applySnapshotChunk(
      SEEDED,
      'Node',
      's1',
      NODES.map((n) => node(n)),
      true,
    );
  });
  afterAll(async () => c.close());

  const podsCell = (name: string) =>
    c.page.locator(`table[aria-label="Nodes"] tr[data-name="${name}"] td[data-col="pods"]`);

  it("shows each node's pod count with its page, without asking for the pods or a whole-cluster count", async () => {
    const { page } = c;
    const podRequests: string[] = [];
    const countRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('kind=Pod')) podRequests.push(r.url());
      if (r.url().includes('/pods-by-node')) countRequests.push(r.url());
    });
    await page.goto(`${c.url}/c/${SEEDED}/nodes`);
    for (const n of NODES) {
      const expected = Array.from({ length: PODS }, (_, i) => nodeOf(i)).filter((x) => x === n).length;
      await expect.poll(() => podsCell(n).textContent()).toBe(`${expected} / 1000`);
    }
    expect(podRequests).toEqual([]);
    // The counts came with the page: no pod changed here, so nothing was counted again.
    expect(countRequests).toEqual([]);
  });

  describe('2,000 nodes', () => {
    const MANY = 'seeded-many-nodes';
    const COUNT = 2000;
    const names = Array.from({ length: COUNT }, (_, i) => `node-${String(i).padStart(4, '0')}`);
    // Every 97th not ready, every 13th cordoned; the oldest is node-1234.
    const notReady = (i: number): boolean => i % 97 === 5;
    const cordoned = (i: number): boolean => i % 13 === 7;
    const ageRank = (i: number): number => (i === 1234 ? -1 : (i * 7919) % COUNT);
    let nodeRequests: string[] = [];
    const rows = () => c.page.locator('table[aria-label="Nodes"] tbody tr[data-name]');
    // Pods on the first node and the last ones: the last are counted in a page asked for when scrolled to.
    const podsOnMany = (n: number): number => (n === 0 ? 4 : n >= COUNT - 3 ? COUNT - n : 0);
    const nodeCount = () => c.page.getByRole('status', { name: 'Node count' }).textContent();

    beforeAll(async () => {
      await c.pipeline.hub.clusters.create(MANY, 'test');
      const items = names.map((n, i) =>
        node(n, { ready: !notReady(i), cordoned: cordoned(i), createdAt: Date.now() - 86_400_000 + ageRank(i) * 1000 }),
      );
      await c.pipeline.hub.inventory.applySnapshotChunk(MANY, 'Node', 's1', items, true);
      const pods = names.flatMap((n, i) =>
        Array.from({ length: podsOnMany(i) }, (_, k) =>
          seededPod({ namespace: 'big', name: `${n}-p${k}`, uid: `many-${n}-${k}`, summary: { nodeName: n } }),
        ),
      );
      await c.pipeline.hub.inventory.applySnapshotChunk(MANY, 'Pod', 's1', pods, true);
      c.page.on('request', (r) => {
        const u = new URL(r.url());
        if (!u.pathname.includes(`/clusters/${MANY}/`)) return;
        if (u.pathname.endsWith('/resources') && u.searchParams.get('kind') === 'Node') nodeRequests.push(r.url());
        if (u.pathname.endsWith('/nodes') || u.pathname.endsWith('/pods-by-node')) nodeRequests.push(r.url());
      });
    });

    /** Every Node request of the page: a page of the Nodes list with its counts, never more than a page. */
    const expectOnlyPages = (): void => {
      expect(nodeRequests.length).toBeGreaterThan(0);
      for (const u of nodeRequests) {
        const url = new URL(u);
        expect(url.pathname, u).toMatch(/\/nodes$/);
        expect(url.searchParams.get('sort'), u).not.toBeNull();
        expect(Number(url.searchParams.get('limit')), u).toBeLessThanOrEqual(1000);
      }
    };

    it('shows the first rows from the first page alone, renders only those in view, and pages to the end', async () => {
      const { page } = c;
      nodeRequests = [];
      await page.goto(`${c.url}/c/${MANY}/nodes`);
      await expect.poll(() => rows().first().getAttribute('data-name')).toBe('node-0000');
      await expect.poll(() => podsCell('node-0000').textContent()).toBe(`${podsOnMany(0)} / 1000`);
      await expect.poll(nodeCount).toBe('2,000 nodes');
      expect(await page.locator('table[aria-label="Nodes"]').getAttribute('aria-rowcount')).toBe('2001');
      expect(await rows().count()).toBeLessThan(100);
      // The first rows came from the count and a first page of 50 (and pages of 100 for the rows in view), not the 2,000.
      const limits = nodeRequests.map((u) => Number(new URL(u).searchParams.get('limit')));
      expect(limits.slice(0, 2).sort()).toEqual([1, 50]);
      expect(Math.max(...limits)).toBeLessThanOrEqual(100);
      const scroller = page.getByRole('region', { name: 'Nodes, scrollable' });
      await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await expect.poll(() => rows().last().getAttribute('data-name')).toBe('node-1999');
      for (const i of [COUNT - 4, COUNT - 3, COUNT - 1])
        await expect.poll(() => podsCell(names[i] ?? '').textContent()).toBe(`${podsOnMany(i)} / 1000`);
      expect(await rows().count()).toBeLessThan(100);
      expectOnlyPages();
    });

    it('sorts and filters on the hub: status, age, a name prefix, cordoned only', async () => {
      const { page } = c;
      nodeRequests = [];
      await page.goto(`${c.url}/c/${MANY}/nodes`);
      await expect.poll(() => rows().first().getAttribute('data-name')).toBe('node-0000');
      // Status: not ready first (node-0005 is the first of them by name).
      await page.getByRole('button', { name: 'Status' }).click();
      await expect.poll(() => rows().first().getAttribute('data-name')).toBe('node-0005');
      await expect.poll(() => rows().first().locator('td').nth(1).textContent()).toMatch(/^NotReady/);
      expect(nodeRequests.some((u) => new URL(u).searchParams.get('sort') === 'status')).toBe(true);
      // Age, oldest first, from the hub: node-1234 was made the oldest.
      await page.getByRole('button', { name: 'Age' }).click();
      await expect.poll(() => rows().first().getAttribute('data-name')).toBe('node-1234');
      // A name prefix and only cordoned ones: counted by the hub.
      await page.getByLabel('Filter by name').fill('node-01');
      await page.getByLabel('Status').selectOption('SchedulingDisabled');
      const expected = names.filter((n, i) => n.startsWith('node-01') && cordoned(i) && !notReady(i));
      await expect.poll(nodeCount).toBe(`${expected.length} nodes`);
      await expect
        .poll(async () => (await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name')))).sort())
        .toEqual(expected);
      const last = new URL(nodeRequests.at(-1) ?? '').searchParams;
      expect([last.get('prefix'), last.get('status')]).toEqual(['node-01', 'SchedulingDisabled']);
      expectOnlyPages();
    });
  });

  it("lists one node's pods on its page from the hub's node index, paged, never the cluster's pods", async () => {
    const { page } = c;
    const podRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('kind=Pod')) podRequests.push(r.url());
    });
    await page.goto(`${c.url}/c/${SEEDED}/nodes/node-c`);
    const onC = Array.from({ length: PODS }, (_, i) => i).filter((i) => nodeOf(i) === 'node-c');
    await expect.poll(() => page.getByRole('tab', { name: /^Pods/ }).textContent()).toBe(`Pods (${onC.length})`);
    const table = page.locator('table[aria-label="Pods on node-c"]');
    // Sorted by namespace, then name (node-c's pods are all in shop-2: i % 6 === 5).
    const first =
      onC
        .map((i) => `${pod(i).namespace}/${pod(i).name}`)
        .sort()[0]
        ?.split('/')[1] ?? '';
    await expect.poll(() => table.locator('tbody tr[data-name]').first().getAttribute('data-name')).toBe(first);
    expect(await table.locator('tbody tr[data-name]').count()).toBeLessThan(60);
    expect(podRequests.length).toBeGreaterThan(0);
    for (const u of podRequests) expect(new URL(u).searchParams.get('node'), u).toBe('node-c');
  });

  it('shows a real node added, moves its count, live, when a pod is placed on it and deleted, and shows it cordoned', async () => {
    const { page } = c;
    // A node of its own, tainted so nothing else lands there: other tests place pods on the shared nodes meanwhile.
    const nodeName = `e2e-nodeslist-${randomBytes(3).toString('hex')}`;
    await core.createNode({
      body: {
        metadata: {
          name: nodeName,
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
          labels: { 'kubernetes.io/hostname': nodeName, type: 'kwok' },
        },
        spec: { taints: [{ key: 'wheelhouse.dev/e2e', value: nodeName, effect: 'NoSchedule' }] },
        status: {
          allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
          capacity: { cpu: '8', memory: '32Gi', pods: '110' },
        },
      },
    });
    const countRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/pods-by-node')) countRequests.push(r.url());
    });
    try {
      const ns = await testNamespace('e2e-nodeslist');
      await page.goto(`${c.url}/c/${c.cluster}/nodes`);
      const cell = podsCell(nodeName);
      const countOf = async (): Promise<number> => Number(/^\d+/.exec((await cell.textContent()) ?? '')?.[0] ?? NaN);
      await expect.poll(countOf, { timeout: 30_000 }).toBe(0);
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'placed-here' },
          spec: {
            nodeName,
            containers: [{ name: 'app', image: 'shop/live:1' }],
            tolerations: [{ operator: 'Exists' }],
          },
        },
      });
      await expect.poll(countOf, { timeout: 30_000 }).toBe(1);
      // Counted again by name: the nodes in view (this one among them), never every node of the cluster.
      const named = countRequests.map((u) => new URL(u).searchParams.get('nodes')?.split(',') ?? []);
      expect(named.some((n) => n.includes(nodeName))).toBe(true);
      for (const n of named) expect(n.length).toBeGreaterThan(0);
      await core.deleteNamespacedPod({ namespace: ns, name: 'placed-here', gracePeriodSeconds: 0 });
      await expect.poll(countOf, { timeout: 30_000 }).toBe(0);
      // Cordoned (kubectl cordon's patch): its row changes in place, and the cordoned-only list gains it.
      const statusCell = c.page.locator(`table[aria-label="Nodes"] tr[data-name="${nodeName}"] td`).nth(1);
      await core.patchNode(
        { name: nodeName, body: { spec: { unschedulable: true } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      );
      await expect.poll(() => statusCell.textContent(), { timeout: 30_000 }).toContain('SchedulingDisabled');
      await page.goto(`${c.url}/c/${c.cluster}/nodes?status=SchedulingDisabled`);
      await expect.poll(() => statusCell.textContent(), { timeout: 30_000 }).toContain('SchedulingDisabled');
      await core.patchNode(
        { name: nodeName, body: { spec: { unschedulable: false } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      );
      // Uncordoned, it leaves the cordoned-only list, live.
      await expect.poll(() => statusCell.count(), { timeout: 30_000 }).toBe(0);
    } finally {
      await core.deleteNode({ name: nodeName }).catch(() => undefined);
    }
  });
});
