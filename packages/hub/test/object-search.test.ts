// Issue 18, the top bar's search (GET …/search?q=): the best matches of a few
// words from indexed SQL, in both store dialects, over the real API. Every
// answer must equal the protocol's ranking (rankSearch) over everything the
// caller may view — the console's old in-browser search over all 14 kinds —
// while the statements read index ranges, never a kind's whole list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankSearch, type InventoryItem, type ObjectSearchHit } from '@wheelhouse/protocol';
import { InventoryStore } from '../src/inventory/inventory-store.js';
import { SEARCH_SCAN } from '../src/inventory/object-search.js';
import type { Hub } from '../src/server.js';
import { isPostgres } from '../src/store/dialect.js';
import { bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { inventoryHub } from './support/inventory-hub.js';
import { deploymentSummary, podItem } from './support/inventory-items.js';
import { planOf, recording } from './support/query-plans.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

const NAMESPACES = ['ns-a', 'ns-b', 'ns-c', 'web'];
let n = 0;
function item(kind: string, namespace: string, name: string, summary: unknown = {}): InventoryItem {
  return {
    kind,
    namespace,
    name,
    uid: `${kind}-${namespace}-${name}-${String(n++)}`,
    resourceVersion: '1',
    createdAt: 1,
    labels: {},
    ownerRefs: [],
    summary,
  } as InventoryItem;
}
const nodeSummary = {
  unschedulable: false,
  conditions: { Ready: 'True' },
  capacity: { pods: '110' },
  taints: [],
  addresses: [],
  spec: {},
};
const ITEMS: InventoryItem[] = [
  ...NAMESPACES.map((ns) => item('Namespace', '', ns)),
  item('Node', '', 'web-node-1', nodeSummary),
  item('Node', '', 'worker-2', nodeSummary),
  // ReplicaSets are not searched.
  item('ReplicaSet', 'ns-a', 'web-5d9c'),
];
for (const ns of NAMESPACES) {
  ITEMS.push(
    item('Deployment', ns, 'web', deploymentSummary()),
    item('Deployment', ns, 'webhook', deploymentSummary()),
    item('Deployment', ns, 'pvc-cleaner', deploymentSummary()),
    item('Deployment', ns, 'checkout', deploymentSummary()),
    item('Service', ns, 'web'),
    item('Service', ns, 'api'),
    item('ConfigMap', ns, 'web-config'),
    item('ConfigMap', ns, 'frontend-web'),
    item('PersistentVolumeClaim', ns, 'ledger-data'),
    item('PersistentVolumeClaim', ns, 'data-web-0'),
  );
  for (let i = 0; i < 12; i++) ITEMS.push({ ...podItem(ns, `web-${String(i)}`), uid: `pod-${ns}-web-${String(i)}` });
  ITEMS.push({ ...podItem(ns, 'shop-checkout-7d9'), uid: `pod-${ns}-shop` });
}
const SEARCHED = new Set(['Deployment', 'Service', 'ConfigMap', 'PersistentVolumeClaim', 'Pod', 'Node', 'Namespace']);
const hit = (it: InventoryItem): ObjectSearchHit => ({
  kind: it.kind,
  namespace: it.namespace,
  name: it.name,
  uid: it.uid,
});
const label = (h: ObjectSearchHit): string => `${h.kind}/${h.namespace ? `${h.namespace}/` : ''}${h.name}`;

describe.each(storeFactories)('object search ($name store)', (factory) => {
  let hub: Hub;
  let admin: TestUser;
  let scoped: TestUser;
  beforeAll(async () => {
    ({ hub, admin, scoped } = await inventoryHub(factory, ITEMS));
  });
  afterAll(() => hub.close());

  const get = async (user: TestUser, query: string): Promise<{ status: number; body: unknown }> => {
    const res = await hub.app.inject({
      method: 'GET',
      url: `/api/v1/clusters/c1/search?${query}`,
      headers: bearer(user.token),
    });
    return { status: res.statusCode, body: res.json() };
  };
  const search = async (user: TestUser, q: string, limit?: number): Promise<ObjectSearchHit[]> => {
    const res = await get(user, `q=${encodeURIComponent(q)}${limit ? `&limit=${String(limit)}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body as { items: ObjectSearchHit[] }).items;
  };
  /** The console's old answer: the protocol's ranking over every searched object the user may view. */
  const reference = (q: string, visible: (it: InventoryItem) => boolean, limit = 20): ObjectSearchHit[] =>
    rankSearch(ITEMS.filter((it) => SEARCHED.has(it.kind) && visible(it)).map(hit), q, limit);

  it('ranks an exact name over a prefix over a name that only contains the word', async () => {
    const got = (await search(admin, 'checkout')).map(label);
    expect(got.slice(0, 4)).toEqual([
      'Deployment/ns-a/checkout',
      'Deployment/ns-b/checkout',
      'Deployment/ns-c/checkout',
      'Deployment/web/checkout',
    ]);
    expect(got.slice(4)).toEqual([
      'Pod/ns-a/shop-checkout-7d9',
      'Pod/ns-b/shop-checkout-7d9',
      'Pod/ns-c/shop-checkout-7d9',
      'Pod/web/shop-checkout-7d9',
    ]);
  });

  it('narrows by a kind alias and by a namespace word; a kind word may also match a name', async () => {
    expect((await search(admin, 'pvc ledger')).map(label)).toEqual(
      NAMESPACES.map((ns) => `PersistentVolumeClaim/${ns}/ledger-data`),
    );
    expect((await search(admin, 'svc/web ns-b')).map(label)).toEqual(['Service/ns-b/web']);
    expect((await search(admin, 'deploy pvc ns-c')).map(label)).toEqual(['Deployment/ns-c/pvc-cleaner']);
    // "web" is a namespace too: the objects named "web" first (the Namespace among them), then prefixes.
    const web = await search(admin, 'web', 50);
    expect(web.slice(0, 9).every((h) => h.name === 'web')).toBe(true);
    expect(web.slice(0, 9).map(label)).toContain('Namespace/web');
    expect((await search(admin, 'api web')).map(label)).toEqual(['Service/web/api']);
  });

  it('answers exactly what ranking every searched object would, for the searches people type', async () => {
    for (const q of [
      'web',
      'web-1',
      'deploy/web',
      'pod web-1',
      'pvc',
      'ns-a',
      'api ns-c',
      'data',
      'worker',
      'node',
      'zz',
    ])
      for (const limit of [5, 20, 50])
        expect((await search(admin, q, limit)).map(label), `${q} limit ${String(limit)}`).toEqual(
          reference(q, () => true, limit).map(label),
        );
  });

  it('a namespace-scoped viewer finds nothing outside their namespaces, and no Nodes or Namespaces', async () => {
    const inB = (it: InventoryItem): boolean => it.namespace === 'ns-b';
    for (const q of ['web', 'checkout', 'ns-a', 'ns-b', 'pvc', 'node', 'namespace web', 'worker']) {
      const got = await search(scoped, q, 50);
      expect(got.map(label), q).toEqual(reference(q, inB, 50).map(label));
      expect(got.every((h) => h.namespace === 'ns-b')).toBe(true);
    }
    expect((await search(scoped, 'web-1')).length).toBeGreaterThan(0);
  });

  it('rejects a bad q or limit at the boundary with the field named', async () => {
    const cases: [string, string][] = [
      ['', '"path":"querystring.q"'],
      ['q=', '"path":"querystring.q"'],
      ['q=%20%2F%20', '"path":"querystring.q"'],
      [`q=${'a'.repeat(507)}`, '"path":"querystring.q"'],
      [`q=${Array.from({ length: 9 }, (_, i) => `w${String(i)}`).join('+')}`, '"path":"querystring.q"'],
      ['q=web&limit=0', '"path":"querystring.limit"'],
      ['q=web&limit=51', '"path":"querystring.limit"'],
      ['q=web&kind=Pod', 'kind'],
    ];
    for (const [query, field] of cases) {
      const res = await get(admin, query);
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body), query).toContain(field);
    }
  });

  it("reads each word's name prefix from the name index, a bounded range per kind", async () => {
    const rec = recording(hub.db);
    const got = await new InventoryStore(rec.db).search('c1', 'web-1', ['web-1'], 20);
    expect(got.length).toBeGreaterThan(0);
    const prefixSeeks = rec.statements.filter((s) => s.parameters.includes('web-1~'));
    expect(prefixSeeks.length).toBeGreaterThan(0);
    for (const s of rec.statements.filter((x) => /from "resources"/.test(x.sql) && /limit/i.test(x.sql)))
      expect(s.parameters, s.sql).toContain(SEARCH_SCAN);
    const pod = prefixSeeks.find((s) => s.parameters.includes('Pod'));
    const plan = await planOf(hub.db, pod);
    expect(plan).toContain('resources_by_name_c');
    // The seek reaches the name column: the prefix's index entries, not the kind's.
    expect(plan).toMatch(isPostgres(hub.db) ? /Index Cond: .*name.*>=/ : /resources_by_name_c \(.*name>\? AND name<\?/);
  });

  it("seeks a namespace word's range and streams the contains pass unsorted", async () => {
    const rec = recording(hub.db);
    // "shop" starts no name: the contains pass runs; "ns-c" is a namespace.
    await new InventoryStore(rec.db).search('c1', 'shop ns-c', ['shop', 'ns-c'], 20);
    const ranges = rec.statements.filter((st) => st.sql.includes(' as "c"') && st.parameters.includes('Pod'));
    const byNamespace = ranges.find(
      (st) => !st.parameters.includes('shop~') && /"namespace" = \$?\d*\??\s*order/i.test(st.sql),
    );
    const contains = ranges.filter(
      (st) => !st.parameters.includes('shop~') && !st.parameters.includes('ns-c~') && st !== byNamespace,
    );
    expect(byNamespace, ranges.map((st) => st.sql).join('\n')).toBeDefined();
    const nsPlan = await planOf(hub.db, byNamespace);
    // A seek on namespace and kind, by whichever index holds both that the planner likes (on PostgreSQL the
    // statistics of the moment choose among resources_by_namespace, _kind and _owner).
    if (isPostgres(hub.db)) {
      expect(nsPlan).toMatch(/Index Cond: .*namespace = 'ns-c'/);
      expect(nsPlan).toMatch(/Index Cond: .*kind = 'Pod'/);
    } else expect(nsPlan).toMatch(/resources_by_(namespace|kind) \(.*namespace=\?/);
    expect(contains.length).toBeGreaterThan(0);
    const plan = await planOf(hub.db, contains[0]);
    // Streamed, never sorted whole before the first match; on SQLite from a covering index (no row's JSON).
    expect(plan).not.toMatch(/Sort|TEMP B-TREE/);
    if (!isPostgres(hub.db)) expect(plan).toMatch(/COVERING INDEX/);
  });

  it('runs the "contains" pass only when the prefix ranges found fewer than limit', async () => {
    const statementsOf = async (q: string, limit: number): Promise<number> => {
      const rec = recording(hub.db);
      await new InventoryStore(rec.db).search('c1', q, [q], limit);
      // One statement per range (its inner range is compiled, and recorded, on its own too).
      return rec.statements.filter((st) => st.sql.includes(' as "c"')).length;
    };
    // "web" as a name prefix in 14 kinds and as a namespace in 12: 20 found.
    expect(await statementsOf('web', 20)).toBe(14 + 12);
    // "checkout": 4 by prefix, so each kind's first names are read for a name containing it.
    expect(await statementsOf('checkout', 20)).toBe(14 + 14);
  });
});
