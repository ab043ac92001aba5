// Issue 18, the Nodes page: how many pods the named nodes run (the nodes in
// view, counted again as pods change), counted by the hub in SQL (GET
// …/pods-by-node?nodes=) in both store dialects. The counts must equal a plain
// count of the same pods, follow changes (a pod scheduled, moved, deleted),
// leave unscheduled pods, other kinds and nodes not named out, and count only
// the namespaces a scoped viewer may view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryItem } from '@wheelhouse/protocol';
import type { Hub } from '../src/server.js';
import { bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { inventoryHub } from './support/inventory-hub.js';
import { runningPodSummary } from './support/inventory-items.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

const NAMESPACES = ['ns-a', 'ns-b', 'ns-c'];
const pod = (i: number, nodeName: string | null): InventoryItem => ({
  kind: 'Pod',
  namespace: NAMESPACES[i % 3] ?? '',
  name: `pod-${i}`,
  uid: `uid-${i}`,
  resourceVersion: '1',
  createdAt: 1_700_000_000_000,
  labels: {},
  ownerRefs: [],
  summary: { ...runningPodSummary(), nodeName },
});
// 100 pods over 7 nodes (uneven), every 10th unscheduled.
const PODS = Array.from({ length: 100 }, (_, i) => pod(i, i % 10 === 0 ? null : `node-${i % 7}`));

/** The nodes asked about: all seven, one that runs nothing, node-9 (unscheduled pods get it below). */
const ASKED = ['node-0', 'node-1', 'node-2', 'node-3', 'node-4', 'node-5', 'node-6', 'node-8', 'node-9'];

function reference(pods: readonly InventoryItem[], namespace?: string): { node: string; pods: number }[] {
  const m = new Map<string, number>();
  for (const p of pods)
    if (p.kind === 'Pod' && p.summary.nodeName !== null && (!namespace || p.namespace === namespace))
      m.set(p.summary.nodeName, (m.get(p.summary.nodeName) ?? 0) + 1);
  return ASKED.map((node) => ({ node, pods: m.get(node) ?? 0 }));
}

describe.each(storeFactories)('pods by node ($name store)', (store) => {
  let hub: Hub;
  let admin: TestUser;
  let scoped: TestUser;
  beforeAll(async () => {
    // Another kind that names a node must not count.
    const node = { ...pod(0, null), kind: 'Node', namespace: '', name: 'node-1', uid: 'n1', summary: {} };
    ({ hub, admin, scoped } = await inventoryHub(store, [...PODS, node as unknown as InventoryItem]));
  });
  afterAll(() => hub.close());

  const get = async (user: TestUser, query = ''): Promise<{ status: number; body: string }> => {
    const res = await hub.app.inject({
      method: 'GET',
      url: `/api/v1/clusters/c1/pods-by-node${query}`,
      headers: bearer(user.token),
    });
    return { status: res.statusCode, body: res.body };
  };
  const resources = async (user: TestUser, query: string): Promise<{ status: number; body: string }> => {
    const res = await hub.app.inject({
      method: 'GET',
      url: `/api/v1/clusters/c1/resources${query}`,
      headers: bearer(user.token),
    });
    return { status: res.statusCode, body: res.body };
  };
  const counts = async (user: TestUser, nodes: readonly string[] = ASKED): Promise<unknown> => {
    const res = await get(user, `?nodes=${nodes.join(',')}`);
    expect(res.status, res.body).toBe(200);
    return (JSON.parse(res.body) as { items: unknown }).items;
  };

  it('counts every scheduled pod of the nodes named, as a plain count of the pods does', async () => {
    const expected = reference(PODS);
    expect(expected.filter((c) => c.pods > 0)).toHaveLength(7);
    expect(await counts(admin)).toEqual(expected);
    // Only the nodes named, in the order named.
    expect(await counts(admin, ['node-5', 'node-2'])).toEqual([
      { node: 'node-5', pods: reference(PODS).find((c) => c.node === 'node-5')?.pods },
      { node: 'node-2', pods: reference(PODS).find((c) => c.node === 'node-2')?.pods },
    ]);
  });

  it("lists one node's pods (the node page: kind=Pod&node=), paged, and nothing else", async () => {
    const names: string[] = [];
    let cursor = '';
    for (let i = 0; i < 20; i++) {
      const res = await resources(admin, `?kind=Pod&node=node-3&count=true&limit=4${cursor}`);
      expect(res.status, res.body).toBe(200);
      const body = JSON.parse(res.body) as { items: InventoryItem[]; nextCursor: string | null; total: number };
      names.push(...body.items.map((p) => `${p.namespace}/${p.name}`));
      expect(body.total).toBe(PODS.filter((p) => p.kind === 'Pod' && p.summary.nodeName === 'node-3').length);
      if (!body.nextCursor) break;
      cursor = `&cursor=${body.nextCursor}`;
    }
    const expected = PODS.filter((p) => p.kind === 'Pod' && p.summary.nodeName === 'node-3')
      .map((p) => `${p.namespace}/${p.name}`)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(expected.length).toBeGreaterThan(4);
    expect(names).toEqual(expected);
    const scopedNames = JSON.parse((await resources(scoped, '?kind=Pod&node=node-3&limit=100')).body) as {
      items: InventoryItem[];
    };
    expect(scopedNames.items.map((p) => p.namespace)).toEqual(
      expected.filter((n) => n.startsWith('ns-b/')).map(() => 'ns-b'),
    );
    const bad = await resources(admin, '?node=node-3');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('querystring.kind');
    const badName = await resources(admin, '?kind=Pod&node=Node_3');
    expect(badName.status).toBe(400);
    expect(badName.body).toContain('node');
  });

  it('follows changes: a pod scheduled, one moved to another node, one deleted', async () => {
    const now = [...PODS];
    now[0] = pod(0, 'node-9'); // was unscheduled
    now[1] = pod(1, 'node-0'); // was on node-1
    await hub.inventory.applyChanges('c1', [now[0], now[1]], [{ uid: 'uid-2' }]);
    now.splice(2, 1);
    expect(await counts(admin)).toEqual(reference(now));
  });

  it('a namespace-scoped viewer counts only the pods of their namespace', async () => {
    const all = await hub.inventory.query('c1', { kind: 'Pod', limit: 1000 });
    const mine = reference(all.items, 'ns-b');
    expect(mine.length).toBeGreaterThan(0);
    expect(await counts(scoped)).toEqual(mine);
  });

  it('rejects parameters it does not take, naming the field: nodes are required, names, at most 200', async () => {
    const cases: [string, string][] = [
      ['?nodes=node-1&namespace=ns-a', 'namespace'],
      ['', '"path":"querystring.nodes"'],
      ['?nodes=', '"path":"querystring.nodes'],
      ['?nodes=node-1,Node_2', '"path":"querystring.nodes.1"'],
      [`?nodes=${Array.from({ length: 201 }, (_, i) => `n${i}`).join(',')}`, 'at most 200 nodes'],
    ];
    for (const [query, field] of cases) {
      const res = await get(admin, query);
      expect(res.status, query).toBe(400);
      expect(res.body, query).toContain(field);
    }
  });
});
