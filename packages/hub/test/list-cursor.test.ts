// The console builds the hub's keyset cursor from an item it holds
// (listCursorAfter, protocol/list-cursor.ts), so a feed restart deep in a long
// list re-reads from just above the view (issue 18). A cursor the hub reads
// wrong lists from the wrong place, silently: here what the console builds
// from an item (its status column, its creation time) is checked against the
// real hub's paging (both store dialects) — for every sort and order of the
// Pods, Nodes and Workloads lists, a read from a cursor built from row i
// answers exactly the rows after row i.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCursorAfter, type InventoryItem, type ListCursorSort } from '@wheelhouse/protocol';
import type { Hub } from '../src/server.js';
import { bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { inventoryHub } from './support/inventory-hub.js';
import { deploymentSummary, nodeSummaryOf, runningPodSummary } from './support/inventory-items.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

const PHASES = ['Running', 'Pending', 'Failed', 'Succeeded'];
const item = (kind: string, i: number, summary: unknown): InventoryItem =>
  ({
    kind,
    namespace: kind === 'Node' ? '' : `ns-${String(i % 3)}`,
    // '-' and digits: a comparison that is not bytewise would order these otherwise.
    name: `${['web-1', 'web1', 'api', 'a'][i % 4] ?? ''}-${String(i)}`,
    uid: `${kind}-uid-${String(i).padStart(3, '0')}`,
    resourceVersion: '1',
    // Ties on purpose: uid breaks them.
    createdAt: 1_700_000_000_000 + (i % 5) * 1000,
    labels: {},
    ownerRefs: [],
    summary,
  }) as InventoryItem;
const PODS = Array.from({ length: 30 }, (_, i) =>
  item('Pod', i, { ...runningPodSummary(), phase: PHASES[i % 4] ?? 'Running' }),
);
const NODES = Array.from({ length: 20 }, (_, i) => item('Node', i, nodeSummaryOf(i)));
// Healthy, short of ready pods, none ready: the health sort's three levels.
const DEPLOYMENTS = Array.from({ length: 20 }, (_, i) =>
  item('Deployment', i, {
    ...deploymentSummary(3),
    readyReplicas: [3, 2, 0][i % 3],
    availableReplicas: [3, 2, 0][i % 3],
  }),
);

interface Page {
  items: unknown[];
  nextCursor: string | null;
}
const LISTS: { route: string; query: string; sorts: ListCursorSort[]; item: (row: unknown) => InventoryItem }[] = [
  {
    route: 'resources',
    query: 'kind=Pod',
    sorts: ['namespace', 'name', 'age', 'status'],
    item: (r) => r as InventoryItem,
  },
  {
    route: 'nodes',
    query: '',
    sorts: ['name', 'age', 'status'],
    item: (r) => (r as { node: InventoryItem }).node,
  },
  {
    route: 'workloads',
    query: '',
    sorts: ['kind', 'namespace', 'name', 'age', 'health'],
    item: (r) => (r as { workload: InventoryItem }).workload,
  },
];

describe.each(storeFactories)("a cursor built from a held row is the hub's own position ($name store)", (factory) => {
  let hub: Hub;
  let admin: TestUser;
  beforeAll(async () => {
    ({ hub, admin } = await inventoryHub(factory, [...PODS, ...NODES, ...DEPLOYMENTS]));
  });
  afterAll(() => hub.close());

  const get = async (route: string, query: string): Promise<Page> => {
    const res = await hub.app.inject({
      method: 'GET',
      url: `/api/v1/clusters/c1/${route}?${query}`,
      headers: bearer(admin.token),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  for (const list of LISTS)
    for (const sort of list.sorts)
      for (const order of ['asc', 'desc'] as const)
        it(`${list.route} sort=${sort}&order=${order}`, async () => {
          const q = `${list.query}&sort=${sort}&order=${order}`;
          const all = (await get(list.route, `${q}&limit=1000`)).items.map(list.item);
          expect(all.length).toBe(20 + (list.route === 'resources' ? 10 : 0));
          for (let i = 0; i < all.length - 1; i++) {
            const row = all[i] as InventoryItem;
            const cursor = listCursorAfter(sort, order, row);
            const page = await get(list.route, `${q}&limit=3&cursor=${cursor}`);
            expect(page.items.map((r) => list.item(r).uid)).toEqual(all.slice(i + 1, i + 4).map((r) => r.uid));
          }
        });
});
