// The console builds the hub's keyset cursor from an item it holds
// (listCursorAfter, protocol/list-cursor.ts), so a feed restart deep in a long
// list re-reads from just above the view (issue 18). A cursor the hub reads
// wrong lists from the wrong place, silently: here what the console builds
// from an item (its status column, its creation time) is checked against the
// real hub's paging (both store dialects) — for every sort and order of the
// Pods, Nodes and Workloads lists, a read from a cursor built from row i
// answers exactly the rows after row i. And a read from a position (`at=n`:
// a scrollbar dragged deep into a long list) answers exactly rows n… of the
// full list, with the cursor paging on from there.
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
  let scoped: TestUser;
  beforeAll(async () => {
    ({ hub, admin, scoped } = await inventoryHub(factory, [...PODS, ...NODES, ...DEPLOYMENTS], 'ns-1'));
  });
  afterAll(() => hub.close());

  const get = async (route: string, query: string, user = admin): Promise<Page> => {
    const res = await hub.app.inject({
      method: 'GET',
      url: `/api/v1/clusters/c1/${route}?${query}`,
      headers: bearer(user.token),
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

  for (const list of LISTS)
    for (const sort of list.sorts)
      for (const order of ['asc', 'desc'] as const)
        it(`${list.route} sort=${sort}&order=${order} from a position`, async () => {
          const q = `${list.query}&sort=${sort}&order=${order}`;
          const uids = (page: Page): string[] => page.items.map((r) => list.item(r).uid);
          const all = uids(await get(list.route, `${q}&limit=1000`));
          for (let at = 0; at <= all.length + 1; at++) {
            const page = await get(list.route, `${q}&limit=3&at=${String(at)}`);
            expect(uids(page), `at=${String(at)}`).toEqual(all.slice(at, at + 3));
            expect(page.nextCursor === null).toBe(at + 3 >= all.length);
            // Paging on from there is the keyset's, as from any page.
            if (page.nextCursor !== null)
              expect(uids(await get(list.route, `${q}&limit=3&cursor=${page.nextCursor}`))).toEqual(
                all.slice(at + 3, at + 6),
              );
          }
        });

  it("positions a namespace-scoped viewer's list among their namespaces' rows only", async () => {
    for (const sort of ['namespace', 'name', 'age', 'status'])
      for (const order of ['asc', 'desc']) {
        const q = `kind=Pod&sort=${sort}&order=${order}`;
        const all = (await get('resources', `${q}&limit=1000`, scoped)).items.map((r) => (r as InventoryItem).uid);
        expect(all.length).toBe(10);
        expect(all.every((uid) => PODS.find((p) => p.uid === uid)?.namespace === 'ns-1')).toBe(true);
        for (let at = 0; at <= 11; at++) {
          const page = await get('resources', `${q}&limit=4&at=${String(at)}`, scoped);
          expect(page.items.map((r) => (r as InventoryItem).uid)).toEqual(all.slice(at, at + 4));
        }
      }
    // Workloads likewise; nodes are cluster-scoped: none for a namespace's viewer, at any position.
    const workloads = (await get('workloads', 'limit=1000', scoped)).items.length;
    expect(workloads).toBeGreaterThan(0);
    expect((await get('workloads', `limit=5&at=${String(workloads)}`, scoped)).items).toEqual([]);
    expect((await get('nodes', 'limit=5&at=3', scoped)).items).toEqual([]);
  });

  it('refuses a bad position with a 400 naming it', async () => {
    const cases: [string, string, string][] = [
      ['resources', 'kind=Pod&at=-1', 'querystring.at'],
      ['resources', 'kind=Pod&at=1.5', 'querystring.at'],
      ['resources', 'kind=Pod&at=abc', 'querystring.at'],
      ['resources', 'kind=Pod&at=', 'querystring.at'],
      ['resources', 'kind=Pod&at=10000001', 'querystring.at'],
      ['resources', 'kind=Pod&at=123456789', 'querystring.at'],
      ['resources', 'at=3', 'querystring.kind'],
      ['workloads', 'at=x', 'querystring.at'],
      ['nodes', 'at=-2', 'querystring.at'],
    ];
    const cursor = (await get('resources', 'kind=Pod&sort=name&limit=2')).nextCursor ?? '';
    for (const route of ['resources', 'workloads', 'nodes'])
      cases.push([
        route,
        `${route === 'resources' ? 'kind=Pod&' : ''}sort=name&at=2&cursor=${cursor}`,
        'querystring.at',
      ]);
    for (const [route, query, path] of cases) {
      const res = await hub.app.inject({
        method: 'GET',
        url: `/api/v1/clusters/c1/${route}?${query}`,
        headers: bearer(admin.token),
      });
      expect(res.statusCode, `${route}?${query}`).toBe(400);
      expect(res.body, `${route}?${query}`).toContain(path);
    }
    // The bound itself is a position (past the end: no rows).
    expect((await get('resources', 'kind=Pod&at=10000000')).items).toEqual([]);
  });
});
