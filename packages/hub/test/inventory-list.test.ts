// Issue 18: one kind's list as the console pages it — sorted by namespace,
// name, age or status either way, filtered by namespace, phase and name
// prefix, with the total — in both store dialects, over the real API. Walking
// every page must give exactly the order and the items a plain sort/filter of
// the same pods gives; a scoped viewer sees and counts only their namespaces.
import type { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryItem, NodeListRow } from '@wheelhouse/protocol';
import { InventoryStore } from '../src/inventory/inventory-store.js';
import type { Hub } from '../src/server.js';
import type { HubDb } from '../src/store/db.js';
import { isPostgres } from '../src/store/dialect.js';
import { bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { inventoryHub } from './support/inventory-hub.js';
import { nodeSummaryOf, runningPodSummary } from './support/inventory-items.js';
import { planOf, recording } from './support/query-plans.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

const PHASES = ['Running', 'Pending', 'Failed', 'Succeeded'];
const NAMESPACES = ['ns-a', 'ns-b', 'ns-c'];
// Names where '-' matters: a collation that ignores it would put web-1x between web1 and web2.
const NAMES = ['web-1', 'web1', 'web-10', 'web2', 'api', 'api-0', 'db-main', 'db', 'zz', 'a'];
/**
 * The selector's pods: app=web on 2 of every 5, tier=front on every 2nd; the others
 * carry "web" under another key (role=web) — the same value must not match app=web;
 * a prefixed key with "." and "/" on every 4th.
 */
function labelsOf(i: number): Record<string, string> {
  return {
    ...(i % 5 < 2 ? { app: 'web' } : { app: 'api', role: 'web' }),
    tier: i % 2 === 0 ? 'front' : 'back',
    ...(i % 4 === 0 ? { 'app.kubernetes.io/name': 'shop' } : {}),
  };
}
const PODS: InventoryItem[] = [];
for (let i = 0; i < 90; i++) {
  const namespace = NAMESPACES[i % 3] ?? '';
  const name = `${NAMES[i % NAMES.length] ?? ''}-${String(Math.floor(i / NAMES.length))}`;
  PODS.push({
    kind: 'Pod',
    namespace,
    name,
    uid: `uid-${String(i).padStart(3, '0')}`,
    resourceVersion: '1',
    // Ties on purpose: uid breaks them.
    createdAt: 1_700_000_000_000 + (i % 7) * 1000,
    labels: labelsOf(i),
    // Some pods belong to one of two ReplicaSets (the owner filter), a few to a Job of the same name.
    ownerRefs:
      i % 5 === 0
        ? [{ kind: 'ReplicaSet', name: `rs-${String(i % 2)}`, uid: `rs${String(i % 2)}` }]
        : i % 7 === 0
          ? [{ kind: 'Job', name: 'rs-0', uid: 'job' }]
          : [],
    summary: {
      ...runningPodSummary(),
      phase: PHASES[i % 4] ?? 'Running',
      nodeName: `node-${String(i % 5).padStart(2, '0')}`,
    },
  });
}
const bytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
type Key = (p: InventoryItem) => (string | number)[];
const KEYS: Record<'namespace' | 'name' | 'age' | 'status', Key> = {
  namespace: (p) => [p.namespace, p.name, p.uid],
  name: (p) => [p.name, p.namespace, p.uid],
  age: (p) => [p.createdAt, p.uid],
  status: (p) => [p.kind === 'Pod' ? p.summary.phase : '', p.namespace, p.name, p.uid],
};
function reference(key: Key, order: 'asc' | 'desc', pods: readonly InventoryItem[]): string[] {
  const cmp = (a: InventoryItem, b: InventoryItem): number => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < x.length; i++) {
      const [u, v] = [x[i] ?? '', y[i] ?? ''];
      const c = typeof u === 'number' && typeof v === 'number' ? u - v : bytes(String(u), String(v));
      if (c !== 0) return order === 'asc' ? c : -c;
    }
    return 0;
  };
  return [...pods].sort(cmp).map((p) => p.uid);
}

/** Nodes: every 5th not ready, every 3rd (of the rest) cordoned. */
const NODES: InventoryItem[] = Array.from({ length: 40 }, (_, i) => ({
  kind: 'Node',
  namespace: '',
  name: `node-${String(i).padStart(2, '0')}`,
  uid: `node-uid-${String(i).padStart(2, '0')}`,
  resourceVersion: '1',
  createdAt: 1_700_000_000_000 + (i % 9) * 1000,
  labels: {},
  ownerRefs: [],
  summary: nodeSummaryOf(i),
}));
const nodeStatusOf = (n: InventoryItem): string =>
  n.kind !== 'Node'
    ? ''
    : n.summary.conditions.Ready !== 'True'
      ? 'NotReady'
      : n.summary.unschedulable
        ? 'SchedulingDisabled'
        : 'Ready';

interface Page<Row = InventoryItem> {
  items: Row[];
  nextCursor: string | null;
  total?: number;
}
/** How many of these pods run on each node (what the Nodes page shows beside a node). */
const podsOn = (pods: readonly InventoryItem[], node: string): number =>
  pods.filter((p) => p.kind === 'Pod' && p.summary.nodeName === node).length;

/** A store over the same database that records every statement it runs. */
function capturingStore(db: HubDb): { store: InventoryStore; statements: CompiledQuery[] } {
  const rec = recording(db);
  return { store: new InventoryStore(rec.db), statements: rec.statements };
}

describe.each(storeFactories)('inventory lists: sort, filter, page, count ($name store)', (factory) => {
  let hub: Hub;
  let admin: TestUser;
  let scoped: TestUser;
  beforeAll(async () => {
    ({ hub, admin, scoped } = await inventoryHub(factory, [...PODS, ...NODES]));
  });
  afterAll(() => hub.close());

  const get = async (
    user: TestUser,
    query: string,
    route = 'resources',
  ): Promise<{ status: number; body: unknown }> => {
    const res = await hub.app.inject({
      method: 'GET',
      url: `/api/v1/clusters/c1/${route}?${query}`,
      headers: bearer(user.token),
    });
    return { status: res.statusCode, body: res.json() };
  };
  /** Every page of a list, following nextCursor; the total each page reported. */
  async function walkPages(
    user: TestUser,
    query: string,
    route: string,
  ): Promise<{ items: unknown[]; totals: number[] }> {
    const items: unknown[] = [];
    const totals: number[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 100; n++) {
      const q: string = cursor ? `${query}&cursor=${cursor}` : query;
      const res = await get(user, q, route);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const page = res.body as Page<unknown>;
      expect(page.items.length).toBeLessThanOrEqual(7);
      items.push(...page.items);
      if (page.total !== undefined) totals.push(page.total);
      cursor = page.nextCursor;
      if (!cursor) return { items, totals };
    }
    throw new Error('no end of pages');
  }
  const walk = async (user: TestUser, query: string): Promise<{ uids: string[]; totals: number[] }> => {
    const { items, totals } = await walkPages(user, query, 'resources');
    return { uids: (items as InventoryItem[]).map((p) => p.uid), totals };
  };

  for (const sort of ['namespace', 'name', 'age', 'status'] as const)
    for (const order of ['asc', 'desc'] as const)
      it(`sort=${sort}&order=${order}: every pod once, in order, pages of 7`, async () => {
        const got = await walk(admin, `kind=Pod&sort=${sort}&order=${order}&limit=7&count=true`);
        expect(got.uids).toEqual(reference(KEYS[sort], order, PODS));
        expect(new Set(got.totals)).toEqual(new Set([PODS.length]));
      });

  it('filters by name prefix (bytewise: web- is not web1), phase and namespace; the total counts matches', async () => {
    const match = (p: InventoryItem): boolean =>
      p.name.startsWith('web-') && p.kind === 'Pod' && p.summary.phase === 'Running' && p.namespace === 'ns-a';
    const expected = reference(KEYS.name, 'asc', PODS.filter(match));
    expect(expected.length).toBeGreaterThan(0);
    const got = await walk(admin, 'kind=Pod&sort=name&prefix=web-&status=Running&namespace=ns-a&limit=7&count=true');
    expect(got.uids).toEqual(expected);
    expect(got.totals[0]).toBe(expected.length);
    const prefixOnly = await walk(admin, 'kind=Pod&prefix=web1&limit=7&count=true');
    expect(prefixOnly.totals[0]).toBe(PODS.filter((p) => p.name.startsWith('web1')).length);
    expect(prefixOnly.uids.length).toBe(prefixOnly.totals[0]);
  });

  it("pages nodes by status (not ready, cordoned, ready), filters by it, and follows a node's cordon", async () => {
    const key: Key = (n) => [nodeStatusOf(n), n.namespace, n.name, n.uid];
    for (const order of ['asc', 'desc'] as const) {
      const got = await walk(admin, `kind=Node&sort=status&order=${order}&limit=7&count=true`);
      expect(got.uids).toEqual(reference(key, order, NODES));
    }
    const cordoned = NODES.filter((n) => nodeStatusOf(n) === 'SchedulingDisabled');
    expect(cordoned.length).toBeGreaterThan(3);
    const got = await walk(admin, 'kind=Node&status=SchedulingDisabled&sort=name&limit=7&count=true');
    expect(got.uids).toEqual(reference(KEYS.name, 'asc', cordoned));
    expect(got.totals[0]).toBe(cordoned.length);
    expect((await walk(admin, 'kind=Node&prefix=node-1&status=NotReady&limit=7')).uids).toEqual([
      'node-uid-10',
      'node-uid-15',
    ]);
    // node-01 is cordoned (a change from the agent): it is among the cordoned ones at once.
    const n1 = NODES[1];
    if (n1?.kind !== 'Node') throw new Error('node-01');
    await hub.inventory.applyChanges('c1', [{ ...n1, summary: { ...n1.summary, unschedulable: true } }], []);
    try {
      const after = await walk(admin, 'kind=Node&status=SchedulingDisabled&limit=7&count=true');
      expect(after.uids).toContain('node-uid-01');
      expect(after.totals[0]).toBe(cordoned.length + 1);
    } finally {
      await hub.inventory.applyChanges('c1', [n1], []);
    }
  });

  it('GET …/nodes: every node once in each sort, with its pods counted; filters; a pod added counts at once', async () => {
    const keys: Record<'name' | 'status' | 'age', Key> = {
      name: KEYS.name,
      status: (n) => [nodeStatusOf(n), n.namespace, n.name, n.uid],
      age: KEYS.age,
    };
    for (const sort of ['name', 'status', 'age'] as const)
      for (const order of ['asc', 'desc'] as const) {
        const got = await walkPages(admin, `sort=${sort}&order=${order}&limit=7&count=true`, 'nodes');
        const rows = got.items as NodeListRow[];
        expect(rows.map((r) => r.node.uid)).toEqual(reference(keys[sort], order, NODES));
        expect(new Set(got.totals)).toEqual(new Set([NODES.length]));
        expect(rows.map((r) => [r.node.name, r.pods])).toEqual(
          rows.map((r) => [r.node.name, podsOn(PODS, r.node.name)]),
        );
      }
    // node-00…node-04 run the pods; the others none.
    expect(podsOn(PODS, 'node-01')).toBeGreaterThan(10);
    const cordoned = NODES.filter((n) => nodeStatusOf(n) === 'SchedulingDisabled' && n.name.startsWith('node-0'));
    const filtered = await walkPages(admin, 'status=SchedulingDisabled&prefix=node-0&count=true', 'nodes');
    const filteredRows = filtered.items as NodeListRow[];
    expect(filteredRows.map((r) => r.node.uid)).toEqual(reference(KEYS.name, 'asc', cordoned));
    expect(filtered.totals[0]).toBe(cordoned.length);
    expect(filteredRows.find((r) => r.node.name === 'node-03')?.pods).toBe(podsOn(PODS, 'node-03'));
    // A pod scheduled on node-07 (a change from the agent) is counted on its page at once.
    const extra = { ...PODS[0], name: 'extra', uid: 'uid-extra' } as InventoryItem;
    if (extra.kind !== 'Pod') throw new Error('pod');
    extra.summary = { ...extra.summary, nodeName: 'node-07' };
    await hub.inventory.applyChanges('c1', [extra], []);
    try {
      const page = (await get(admin, 'prefix=node-07', 'nodes')).body as Page<NodeListRow>;
      expect(page.items.map((r) => [r.node.name, r.pods])).toEqual([['node-07', 1]]);
    } finally {
      await hub.inventory.applyChanges('c1', [], [{ uid: 'uid-extra' }]);
    }
    // A namespace-scoped viewer lists no nodes, as the Node list answers them (nodes are cluster-scoped).
    const theirs = (await get(scoped, 'count=true', 'nodes')).body as Page<NodeListRow>;
    const asList = (await get(scoped, 'kind=Node&count=true')).body as Page;
    expect(asList).toEqual({ items: [], nextCursor: null, total: 0 });
    expect(theirs).toEqual(asList);
    for (const [query, field] of [
      ['sort=namespace', '"path":"querystring.sort"'],
      ['status=Running', '"path":"querystring.status"'],
      ['kind=Node', 'kind'],
      ['prefix=Node', '"path":"querystring.prefix"'],
    ]) {
      const res = await get(admin, query ?? '', 'nodes');
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body), query).toContain(field);
    }
  });

  it('a namespace-scoped viewer lists and counts only their namespace', async () => {
    const got = await walk(scoped, 'kind=Pod&sort=age&order=desc&limit=7&count=true');
    const mine = PODS.filter((p) => p.namespace === 'ns-b');
    expect(got.uids).toEqual(reference(KEYS.age, 'desc', mine));
    expect(got.totals[0]).toBe(mine.length);
    expect((await get(scoped, 'kind=Pod&namespace=ns-a&count=true')).status).toBe(403);
  });

  it("lists one namespace's pods owned by the given owners (a workload's pods), paged and counted", async () => {
    const owned = (p: InventoryItem): boolean =>
      p.namespace === 'ns-a' && p.ownerRefs[0]?.kind === 'ReplicaSet' && p.ownerRefs[0].name.startsWith('rs-');
    const expected = reference(KEYS.namespace, 'asc', PODS.filter(owned));
    expect(expected.length).toBeGreaterThan(4);
    const got = await walk(admin, 'kind=Pod&namespace=ns-a&owner=ReplicaSet/rs-0,ReplicaSet/rs-1&limit=4&count=true');
    expect(got.uids).toEqual(expected);
    expect(got.totals[0]).toBe(expected.length);
    const one = await walk(admin, 'kind=Pod&namespace=ns-a&owner=ReplicaSet/rs-1&limit=7');
    expect(one.uids).toEqual(
      reference(
        KEYS.namespace,
        'asc',
        PODS.filter((p) => owned(p) && p.ownerRefs[0]?.name === 'rs-1'),
      ),
    );
    // The same name under another kind is another owner.
    const job = await walk(admin, 'kind=Pod&namespace=ns-a&owner=Job/rs-0&limit=7');
    expect(job.uids).toEqual(
      reference(
        KEYS.namespace,
        'asc',
        PODS.filter((p) => p.namespace === 'ns-a' && p.ownerRefs[0]?.kind === 'Job'),
      ),
    );
    expect((await get(scoped, 'kind=Pod&namespace=ns-a&owner=ReplicaSet/rs-0')).status).toBe(403);
  });

  it("lists one namespace's pods whose labels hold a selector (a Service's pods), paged and counted", async () => {
    const holds = (sel: Record<string, string>) => (p: InventoryItem) =>
      Object.entries(sel).every(([k, v]) => p.labels[k] === v);
    const inA = PODS.filter((p) => p.namespace === 'ns-a');
    const expected = reference(KEYS.namespace, 'asc', inA.filter(holds({ app: 'web', tier: 'front' })));
    expect(expected.length).toBeGreaterThan(3);
    const got = await walk(admin, 'kind=Pod&namespace=ns-a&selector=app=web,tier=front&limit=3&count=true');
    expect(got.uids).toEqual(expected);
    expect(got.totals[0]).toBe(expected.length);
    // As the console asks (newest first); "==" is "=".
    const byAge = await walk(admin, 'kind=Pod&namespace=ns-a&selector=tier==front,app=web&sort=age&order=desc&limit=7');
    expect(byAge.uids).toEqual(reference(KEYS.age, 'desc', inA.filter(holds({ app: 'web', tier: 'front' }))));
    // "web" under another key (role=web) is not app=web: those pods exist in ns-a and are not listed.
    const roleWeb = inA.filter((p) => p.labels.role === 'web').map((p) => p.uid);
    expect(roleWeb.length).toBeGreaterThan(0);
    const appWeb = await walk(admin, 'kind=Pod&namespace=ns-a&selector=app=web&limit=7&count=true');
    expect(appWeb.uids).toEqual(reference(KEYS.namespace, 'asc', inA.filter(holds({ app: 'web' }))));
    expect(appWeb.uids.filter((u) => roleWeb.includes(u))).toEqual([]);
    // A key with a prefix ("." and "/"), and a selector nothing matches.
    const prefixed = await walk(admin, 'kind=Pod&namespace=ns-a&selector=app.kubernetes.io/name=shop&limit=7');
    expect(prefixed.uids).toEqual(
      reference(KEYS.namespace, 'asc', inA.filter(holds({ 'app.kubernetes.io/name': 'shop' }))),
    );
    const none = await walk(admin, 'kind=Pod&namespace=ns-a&selector=app=web,tier=middle&limit=7&count=true');
    expect(none).toEqual({ uids: [], totals: [0] });
    // Another namespace's pods with the same labels stay out; its own are listed.
    const inB = PODS.filter((p) => p.namespace === 'ns-b');
    const b = await walk(admin, 'kind=Pod&namespace=ns-b&selector=app=web&limit=7');
    expect(b.uids).toEqual(reference(KEYS.namespace, 'asc', inB.filter(holds({ app: 'web' }))));
    expect(b.uids.some((u) => expected.includes(u))).toBe(false);
    // A namespace-scoped viewer: their namespace's matches; another namespace refused.
    const mine = await walk(scoped, 'kind=Pod&namespace=ns-b&selector=app=web&limit=7&count=true');
    expect(mine.uids).toEqual(b.uids);
    expect(mine.totals[0]).toBe(b.uids.length);
    const refused = await get(scoped, 'kind=Pod&namespace=ns-a&selector=app=web');
    expect(refused.status).toBe(403);
  });

  it('rejects list parameters at the boundary with the field named', async () => {
    const cases: [string, string][] = [
      ['sort=name', '"path":"querystring.kind"'],
      ['kind=Pod&sort=size', '"path":"querystring.sort"'],
      ['kind=Pod&order=up', '"path":"querystring.order"'],
      ['kind=Pod&prefix=Web', '"path":"querystring.prefix"'],
      ['kind=Pod&status=not%20a%20phase', '"path":"querystring.status"'],
      ['kind=Pod&count=yes', '"path":"querystring.count"'],
      ['owner=ReplicaSet/rs-0&namespace=ns-a', '"path":"querystring.kind"'],
      ['kind=Pod&owner=ReplicaSet/rs-0', '"path":"querystring.namespace"'],
      ['kind=Pod&namespace=ns-a&owner=rs-0', '"path":"querystring.owner'],
      ['kind=Pod&namespace=ns-a&owner=ReplicaSet/RS', '"path":"querystring.owner'],
      [
        `kind=Pod&namespace=ns-a&owner=${Array.from({ length: 51 }, (_, i) => `ReplicaSet/r${i}`).join(',')}`,
        '"path":"querystring.owner',
      ],
      ['selector=app=web&namespace=ns-a', '"path":"querystring.kind"'],
      ['kind=Pod&selector=app=web', '"path":"querystring.namespace"'],
      ...[
        '',
        'app!=web',
        'app%20in%20(web,api)',
        'app%20notin%20(web)',
        '!app',
        'app',
        '=web',
        'app=-web',
        'app=web,app=api',
        'a%22b=c',
        `app=${'x'.repeat(64)}`,
        `${'k'.repeat(64)}=x`,
        'Example.com/app=web',
        Array.from({ length: 21 }, (_, i) => `k${i}=v`).join(','),
      ].map((sel): [string, string] => [`kind=Pod&namespace=ns-a&selector=${sel}`, '"path":"querystring.selector"']),
    ];
    for (const [query, field] of cases) {
      const res = await get(admin, query);
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body), query).toContain(field);
    }
  });

  // 2,000 nodes at 100k pods (issue 18): the page's counts are a seek per node of the page on the node
  // index, not a GROUP BY over every pod of the cluster (16–27 ms a call at 30k–100k pods, asked again
  // as pods changed).
  it("counts a page's nodes only, each a seek on resources_by_node", async () => {
    const { store, statements } = capturingStore(hub.db);
    const page = await store.nodePage('c1', { sort: 'name', order: 'asc', limit: 3 });
    expect(page.items.map((r) => [r.node.name, r.pods])).toEqual([
      ['node-00', podsOn(PODS, 'node-00')],
      ['node-01', podsOn(PODS, 'node-01')],
      ['node-02', podsOn(PODS, 'node-02')],
    ]);
    const counting = statements.filter((q) => /group by/i.test(q.sql));
    expect(counting).toHaveLength(1);
    expect(counting[0]?.parameters).toEqual(expect.arrayContaining(['node-00', 'node-01', 'node-02']));
    expect(counting[0]?.parameters).not.toContain('node-03');
    const plan = await planOf(hub.db, counting[0]);
    expect(plan).toContain('resources_by_node');
    // The seek reaches the node column: the page's nodes' index entries, not the kind's.
    expect(plan).toMatch(isPostgres(hub.db) ? /Index Cond: .*node = ANY/ : /resources_by_node \(.*node=\?/);
  });

  // A scrollbar dragged to 90 % of 100k pods (issue 18): the position is stepped to over the sort's
  // index alone — no row's JSON read for the 90,000 rows above it — then the page read by the keyset.
  it("seeks a position over the sort's index only, for every sort of a kind's list", async () => {
    for (const sort of ['namespace', 'name', 'age', 'status'] as const) {
      const { store, statements } = capturingStore(hub.db);
      const page = await store.query('c1', { kind: 'Pod', sort, order: 'desc', at: 5, limit: 3 });
      expect(page.items).toHaveLength(3);
      const seek = statements.find((q) => /offset/i.test(q.sql));
      expect(seek?.sql, sort).not.toMatch(/"data"/);
      const plan = await planOf(hub.db, seek);
      expect(plan, sort).toMatch(isPostgres(hub.db) ? /Index Only Scan/ : /USING COVERING INDEX/);
      expect(plan, sort).not.toMatch(/TEMP B-TREE|Sort/);
    }
    // One node's pods (the node page; SQLite sorts them apart from any index): a position among them too.
    const onNode = await hub.inventory.query('c1', {
      kind: 'Pod',
      node: 'node-01',
      sort: 'age',
      order: 'asc',
      limit: 100,
    });
    expect(onNode.items.length).toBeGreaterThan(3);
    const at = await hub.inventory.query('c1', {
      kind: 'Pod',
      node: 'node-01',
      sort: 'age',
      order: 'asc',
      at: 2,
      limit: 2,
    });
    expect(at.items.map((p) => p.uid)).toEqual(onNode.items.slice(2, 4).map((p) => p.uid));
  });

  // SQLite's own plans: the `+col` sort keys below are SQLite's (PostgreSQL's planner has statistics).
  if (factory.name === 'sqlite') {
    it('seeks the owner index (not every pod of the cluster by age) and sorts only the owners’ pods', async () => {
      const { store, statements } = capturingStore(hub.db);
      const page = await store.query('c1', {
        kind: 'Pod',
        namespace: 'ns-a',
        owner: ['ReplicaSet/rs-0', 'ReplicaSet/rs-1'],
        sort: 'age',
        order: 'desc',
        limit: 100,
      });
      expect(page.items.length).toBeGreaterThan(0);
      expect(await planOf(hub.db, statements[0])).toContain('USING INDEX resources_by_owner');
    });

    // A Service's pods among a namespace's 5,000 (issue 18): the namespace's index range with the labels
    // compared, not the kind's age index walked over every pod of the cluster.
    it("seeks the namespace's index range for a selector (not every pod of the cluster by age)", async () => {
      const { store, statements } = capturingStore(hub.db);
      const page = await store.query('c1', {
        kind: 'Pod',
        namespace: 'ns-a',
        selector: { app: 'web' },
        sort: 'age',
        order: 'desc',
        limit: 100,
      });
      expect(page.items.length).toBeGreaterThan(0);
      const plan = await planOf(hub.db, statements[0]);
      // Any index on (cluster, kind, namespace, …): that namespace's pods only.
      expect(plan).toMatch(/USING (COVERING )?INDEX resources_by_\w+ \(cluster_id=\? AND kind=\? AND namespace=\?/);
      expect(plan).not.toContain('resources_by_age');
    });

    // 2,000 nodes at 100k pods (issue 18): walking the namespace index for one node's 50 pods read every
    // pod of the cluster (3.3 s for a node page's first rows, measured by the console-pods bench).
    it("seeks the node index for one node's pods (not every pod of the cluster by namespace)", async () => {
      const { store, statements } = capturingStore(hub.db);
      const page = await store.query('c1', {
        kind: 'Pod',
        node: 'node-01',
        sort: 'namespace',
        order: 'asc',
        limit: 50,
      });
      expect(page.items.length).toBeGreaterThan(0);
      expect(await planOf(hub.db, statements[0])).toContain('USING INDEX resources_by_node');
    });
  }
});
