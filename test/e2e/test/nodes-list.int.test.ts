// Issue 18: the Nodes page counts each node's pods on the hub (GET
// …/pods-by-node) instead of listing every pod into the browser. A second
// cluster in the same hub is seeded with 1,234 pods over three nodes (some
// unscheduled): each row shows its node's count, and the page never asks for
// the pods. On the real cluster, a pod placed on a node and deleted moves that
// node's count, live.
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
const node = (name: string): InventoryItem => ({
  kind: 'Node',
  namespace: '',
  name,
  uid: `uid-${name}`,
  resourceVersion: '1',
  createdAt: Date.now() - 86_400_000,
  labels: {},
  ownerRefs: [],
  summary: {
    unschedulable: false,
    conditions: { Ready: 'True' },
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
    await c.pipeline.hub.inventory.applySnapshotChunk(SEEDED, 'Node', 's1', NODES.map(node), true);
  });
  afterAll(async () => c.close());

  const podsCell = (name: string) =>
    c.page.locator(`table[aria-label="Nodes"] tr[data-name="${name}"] td[data-col="pods"]`);

  it("shows each node's pod count, without asking for the pods", async () => {
    const { page } = c;
    const podRequests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('kind=Pod')) podRequests.push(r.url());
    });
    await page.goto(`${c.url}/c/${SEEDED}/nodes`);
    for (const n of NODES) {
      const expected = Array.from({ length: PODS }, (_, i) => nodeOf(i)).filter((x) => x === n).length;
      await expect.poll(() => podsCell(n).textContent()).toBe(`${expected} / 1000`);
    }
    expect(podRequests).toEqual([]);
  });

  it('renders only the nodes in view of 400, and scrolling to the end reaches the last', async () => {
    const MANY = 'seeded-many-nodes';
    await c.pipeline.hub.clusters.create(MANY, 'test');
    const names = Array.from({ length: 400 }, (_, i) => `node-${String(i).padStart(3, '0')}`);
    await c.pipeline.hub.inventory.applySnapshotChunk(MANY, 'Node', 's1', names.map(node), true);
    const { page } = c;
    await page.goto(`${c.url}/c/${MANY}/nodes`);
    const rows = page.locator('table[aria-label="Nodes"] tbody tr[data-name]');
    await expect.poll(() => rows.first().getAttribute('data-name')).toBe('node-000');
    expect(await page.locator('table[aria-label="Nodes"]').getAttribute('aria-rowcount')).toBe('401');
    expect(await rows.count()).toBeLessThan(100);
    const scroller = page.getByRole('region', { name: 'Nodes, scrollable' });
    await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(() => rows.last().getAttribute('data-name')).toBe('node-399');
    expect(await rows.count()).toBeLessThan(100);
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

  it("moves a real node's count, live, when a pod is placed on it and deleted", async () => {
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
      await core.deleteNamespacedPod({ namespace: ns, name: 'placed-here', gracePeriodSeconds: 0 });
      await expect.poll(countOf, { timeout: 30_000 }).toBe(0);
    } finally {
      await core.deleteNode({ name: nodeName }).catch(() => undefined);
    }
  });
});
