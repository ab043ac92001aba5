// Issue 13 item 8: a viewer scoped to one namespace must not make the hub read
// the whole cluster's inventory. 20k pods in a real store (SQLite file, PostgreSQL), the viewer's
// namespace sorts last, ?limit=1: the answer is right, and the rows the store
// hands to Node (counted by a Kysely plugin on the real database) stay bounded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryItem, WorkloadListRow } from '@wheelhouse/protocol';
import { createHub, type Hub } from '../src/server.js';
import { openDatabase } from '../src/store/db.js';
import type { NewCommand } from '../src/store/schema.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { deploymentSummary, runningPodSummary } from './support/inventory-items.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

/** Counts the rows every query returns to Node. */
class RowCounter implements KyselyPlugin {
  rows = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.rows += args.result.rows.length;
    return Promise.resolve(args.result);
  }
}

const PODS = 20_000;
const NAMESPACES = 40;
const ns = (i: number): string => `team-${String(i).padStart(2, '0')}`;
const pod = (i: number): InventoryItem => ({
  kind: 'Pod',
  namespace: ns(i % NAMESPACES),
  name: `pod-${String(i).padStart(5, '0')}`,
  uid: `uid-${i}`,
  resourceVersion: '1',
  createdAt: 0,
  labels: { app: 'x' },
  ownerRefs: [],
  summary: { ...runningPodSummary(), nodeName: `node-${String(i % 50).padStart(2, '0')}` },
});
/** Cluster c2 (the Workloads page): one Deployment per namespace (app-N, through its ReplicaSet app-N-rs), 500 pods each. */
const ownedPod = (i: number): InventoryItem => ({
  ...pod(i),
  ownerRefs: [{ kind: 'ReplicaSet', name: `app-${i % NAMESPACES}-rs`, uid: `rs-${i % NAMESPACES}` }],
});
const workloads = (): InventoryItem[] =>
  Array.from({ length: NAMESPACES }, (_, k): InventoryItem[] => [
    {
      kind: 'Deployment',
      namespace: ns(k),
      name: `app-${k}`,
      uid: `dep-${k}`,
      resourceVersion: '1',
      createdAt: k,
      labels: {},
      ownerRefs: [],
      summary: deploymentSummary(PODS / NAMESPACES),
    },
    {
      kind: 'ReplicaSet',
      namespace: ns(k),
      name: `app-${k}-rs`,
      uid: `rs-${k}`,
      resourceVersion: '1',
      createdAt: k,
      labels: {},
      ownerRefs: [{ kind: 'Deployment', name: `app-${k}`, uid: `dep-${k}` }],
      summary: { replicas: 500, readyReplicas: 500, availableReplicas: 500, images: [] },
    },
  ]).flat();

const COMMANDS = 5000;
const command = (i: number, namespace: string, createdAt: number): NewCommand => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  cluster_id: 'c1',
  action: 'restart',
  target_kind: 'Deployment',
  target_namespace: namespace,
  target_name: `app-${i}`,
  params: '{}',
  reason: null,
  dry_run: 0,
  requested_by: 'someone',
  state: 'succeeded',
  message: null,
  result: null,
  created_at: createdAt,
  updated_at: createdAt,
  expires_at: createdAt + 60_000,
  dispatch_count: 1,
  policy: null,
});

describe.each(storeFactories)('namespace-scoped scans ($name store)', (store) => {
  const root = mkdtempSync(join(tmpdir(), 'wh-inv-scan-'));
  const counter = new RowCounter();
  let hub: Hub;
  let users: Record<'late' | 'prefix' | 'two' | 'all', TestUser>;
  const LATE = 'zz-late'; // sorts after every team-* namespace
  const LATE_PODS = 3;

  beforeAll(async () => {
    const db = await openDatabase(store.name === 'sqlite' ? { dataDir: join(root, 'hub') } : await store.options());
    hub = await createHub({ db: db.withPlugin(counter), logger: false });
    await hub.clusters.create('c1', 'test');
    const items = Array.from({ length: PODS }, (_, i) => pod(i));
    for (let i = 0; i < LATE_PODS; i++) items.push({ ...pod(i), namespace: LATE, uid: `late-${i}`, name: `late-${i}` });
    // A cluster-scoped object: a namespace-scoped viewer never sees it.
    items.push({
      ...pod(0),
      kind: 'Node',
      namespace: '',
      name: 'node-1',
      uid: 'node-1',
      summary: {},
    } as unknown as InventoryItem);
    await hub.inventory.applySnapshotChunk('c1', 'Pod', 's1', items, true);
    // Commands: the late namespace's are the oldest, so newest-first they come last.
    const commands = Array.from({ length: COMMANDS }, (_, i) => command(i, ns(i % NAMESPACES), 1_000_000 + i));
    for (let i = 0; i < LATE_PODS; i++) commands.push(command(COMMANDS + i, LATE, 1000 + i));
    for (let i = 0; i < commands.length; i += 500)
      await db
        .insertInto('commands')
        .values(commands.slice(i, i + 500))
        .execute();
    users = {
      late: await addUser(hub, { bindings: [{ role: 'viewer', cluster: 'c1', namespace: LATE }] }),
      prefix: await addUser(hub, { bindings: [{ role: 'viewer', cluster: 'c*', namespace: 'team-3*' }] }),
      two: await addUser(hub, {
        bindings: [
          { role: 'viewer', cluster: 'c1', namespace: 'team-05' },
          { role: 'viewer', cluster: 'c1', namespace: LATE },
        ],
      }),
      all: await addUser(hub, { bindings: [{ role: 'viewer', cluster: 'c1', namespace: '*' }] }),
    };
  }, 120_000);
  afterAll(async () => {
    await hub.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function page(
    user: TestUser,
    query: string,
  ): Promise<{ items: InventoryItem[]; nextCursor: string | null; total?: number; rows: number; ms: number }> {
    const before = counter.rows;
    const t0 = performance.now();
    const res = await hub.app.inject({
      method: 'GET',
      url: `/api/v1/clusters/c1/resources?${query}`,
      headers: bearer(user.token),
    });
    const ms = performance.now() - t0;
    expect(res.statusCode, res.body).toBe(200);
    return {
      ...res.json<{ items: InventoryItem[]; nextCursor: string | null; total?: number }>(),
      rows: counter.rows - before,
      ms,
    };
  }

  async function all(user: TestUser, query: string, limit: number): Promise<{ names: string[]; maxRows: number }> {
    const names: string[] = [];
    let cursor: string | null = null;
    let maxRows = 0;
    do {
      const p = await page(user, `${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      names.push(...p.items.map((i) => `${i.kind}/${i.namespace}/${i.name}`));
      maxRows = Math.max(maxRows, p.rows);
      cursor = p.nextCursor;
    } while (cursor);
    return { names, maxRows };
  }

  describe('inventory for a namespace-scoped viewer (20k pods, real store)', () => {
    it('answers ?limit=1 for the last namespace with its first pod, reading a bounded number of rows, quickly', async () => {
      await page(users.late, 'limit=1'); // warm-up: statement caches, the first session lookup
      const p = await page(users.late, 'limit=1');
      expect(p.items.map((i) => `${i.namespace}/${i.name}`)).toEqual([`${LATE}/late-0`]);
      expect(p.nextCursor).not.toBeNull();
      // Auth (token, user, bindings), the viewer's one namespace and the page:
      // a few dozen rows, never the cluster's 20k.
      expect(p.rows).toBeLessThan(40);
      expect(p.ms).toBeLessThan(500);
    });

    it('pages through exactly the viewer’s objects, in order, with nextCursor null at the end', async () => {
      const late = await all(users.late, 'kind=Pod', 2);
      expect(late.names).toEqual([0, 1, 2].map((i) => `Pod/${LATE}/late-${i}`));
      expect(late.maxRows).toBeLessThan(40);

      const two = await all(users.two, '', 100);
      const expected = Array.from({ length: PODS }, (_, i) => pod(i))
        .filter((p) => p.namespace === 'team-05')
        .map((p) => `Pod/team-05/${p.name}`)
        .concat([0, 1, 2].map((i) => `Pod/${LATE}/late-${i}`));
      expect(two.names).toEqual(expected);
      expect(two.maxRows).toBeLessThan(250);
    });

    it('matches a namespace pattern (team-3*) as the authorization rule does, no cluster-scoped objects', async () => {
      const got = await all(users.prefix, '', 1000);
      const expected = Array.from({ length: PODS }, (_, i) => pod(i))
        .filter((p) => p.namespace.startsWith('team-3'))
        .map((p) => `Pod/${p.namespace}/${p.name}`)
        .sort();
      expect(got.names).toEqual(expected);
      expect(got.maxRows).toBeLessThan(1100 + 50);
    });

    it('gives a cluster-wide viewer everything, cluster-scoped objects first by kind order', async () => {
      const p = await page(users.all, 'limit=2');
      expect(p.items.map((i) => i.kind)).toEqual(['Node', 'Pod']);
      expect(p.rows).toBeLessThan(50);
      const filtered = await page(users.late, `namespace=${LATE}&name=late-1`);
      expect(filtered.items.map((i) => i.name)).toEqual(['late-1']);
    });

    it('sorted, filtered, counted list pages (issue 18) hand Node limit + 1 rows and the count, never the 20k', async () => {
      for (const q of ['sort=age&order=desc', 'sort=name&prefix=pod-1', 'sort=status&status=Running', 'order=desc']) {
        const wide = await page(users.all, `kind=Pod&${q}&count=true&limit=50`);
        expect(wide.items, q).toHaveLength(50);
        expect(wide.rows, q).toBeLessThan(50 + 40);
      }
      const counted = await page(users.all, 'kind=Pod&prefix=pod-1&count=true&limit=5');
      expect(counted.total).toBe(
        Array.from({ length: PODS }, (_, i) => pod(i)).filter((p) => p.name.startsWith('pod-1')).length,
      );
      const scoped = await page(users.late, 'kind=Pod&sort=name&order=desc&count=true&limit=2');
      expect(scoped.items.map((i) => i.name)).toEqual(['late-2', 'late-1']);
      expect(scoped.total).toBe(LATE_PODS);
      expect(scoped.rows).toBeLessThan(40);
    });
  });

  describe('pods by node (issue 18, the Nodes page counting 50 nodes in view; 20k pods, real store)', () => {
    async function byNode(user: TestUser): Promise<{ items: { node: string; pods: number }[]; rows: number }> {
      const before = counter.rows;
      const res = await hub.app.inject({
        method: 'GET',
        url: `/api/v1/clusters/c1/pods-by-node?nodes=${Array.from({ length: 50 }, (_, i) => `node-${String(i).padStart(2, '0')}`).join(',')}`,
        headers: bearer(user.token),
      });
      expect(res.statusCode, res.body).toBe(200);
      return { ...res.json<{ items: { node: string; pods: number }[] }>(), rows: counter.rows - before };
    }
    it("hands Node one row per node (never the pods), and a scoped viewer only their namespace's counts", async () => {
      const wide = await byNode(users.all);
      expect(wide.items).toHaveLength(50);
      expect(wide.items.reduce((n, c) => n + c.pods, 0)).toBe(PODS + LATE_PODS); // namespace "*": every team-* pod and the late ones
      expect(wide.rows).toBeLessThan(50 + 40);
      const late = await byNode(users.late);
      expect(late.items.reduce((n, c) => n + c.pods, 0)).toBe(LATE_PODS);
      expect(late.rows).toBeLessThan(40);
    });
  });

  describe('workloads with pod counts (issue 18, the Workloads page; 40 Deployments of 500 pods, real store)', () => {
    async function workloadsPage(
      user: TestUser,
      query: string,
    ): Promise<{ items: WorkloadListRow[]; total?: number; rows: number }> {
      const before = counter.rows;
      const res = await hub.app.inject({
        method: 'GET',
        url: `/api/v1/clusters/c2/workloads?${query}`,
        headers: bearer(user.token),
      });
      expect(res.statusCode, res.body).toBe(200);
      return { ...res.json<{ items: WorkloadListRow[]; total?: number }>(), rows: counter.rows - before };
    }
    let wideUser: TestUser;
    let oneNamespace: TestUser;
    beforeAll(async () => {
      await hub.clusters.create('c2', 'test');
      const owned = Array.from({ length: PODS }, (_, i) => ownedPod(i));
      await hub.inventory.applySnapshotChunk('c2', 'Pod', 's1', owned, true);
      const owners = workloads();
      for (const kind of ['Deployment', 'ReplicaSet'])
        await hub.inventory.applySnapshotChunk(
          'c2',
          kind,
          's1',
          owners.filter((w) => w.kind === kind),
          true,
        );
      wideUser = await addUser(hub, { bindings: [{ role: 'viewer', cluster: 'c2', namespace: '*' }] });
      oneNamespace = await addUser(hub, { bindings: [{ role: 'viewer', cluster: 'c2', namespace: ns(7) }] });
    }, 120_000);
    it("hands Node the page's workloads and one row per owner (never the pods), a scoped viewer only theirs", async () => {
      const wide = await workloadsPage(wideUser, 'kind=Deployment&sort=name&limit=5&count=true');
      expect(wide.items.map((r) => [r.workload.name, r.pods.total, r.pods.ready])).toEqual(
        ['app-0', 'app-1', 'app-10', 'app-11', 'app-12'].map((n) => [n, 500, 500]),
      );
      expect(wide.total).toBe(NAMESPACES);
      expect(wide.rows).toBeLessThan(6 + 5 + 5 + 40);
      const every = await workloadsPage(wideUser, 'limit=100');
      expect(every.items).toHaveLength(NAMESPACES);
      expect(every.rows).toBeLessThan(41 + 2 * 40 + 40);
      const one = await workloadsPage(oneNamespace, 'count=true');
      expect(one.items.map((r) => [r.workload.kind, r.workload.name, r.pods.total])).toEqual([
        ['Deployment', 'app-7', 500],
      ]);
      expect(one.total).toBe(1);
      expect(one.rows).toBeLessThan(40);
    });
  });

  describe('actions list for a namespace-scoped viewer (5k commands, real store)', () => {
    async function actions(
      user: TestUser,
      query: string,
    ): Promise<{ ids: string[]; nextCursor: string | null; rows: number }> {
      const before = counter.rows;
      const res = await hub.app.inject({ method: 'GET', url: `/api/v1/actions?${query}`, headers: bearer(user.token) });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ items: { target: { namespace: string; name: string } }[]; nextCursor: string | null }>();
      return {
        ids: body.items.map((c) => `${c.target.namespace}/${c.target.name}`),
        nextCursor: body.nextCursor,
        rows: counter.rows - before,
      };
    }

    it('answers ?limit=1 with the viewer’s newest action (not an empty page), reading a bounded number of rows', async () => {
      const first = await actions(users.late, 'limit=1');
      expect(first.ids).toEqual([`${LATE}/app-${COMMANDS + 2}`]);
      expect(first.rows).toBeLessThan(100);
      const scoped = await actions(users.late, 'cluster=c1&limit=2');
      expect(scoped.ids).toEqual([`${LATE}/app-${COMMANDS + 2}`, `${LATE}/app-${COMMANDS + 1}`]);
      expect(scoped.nextCursor).not.toBeNull();
      const rest = await actions(users.late, `cluster=c1&limit=2&cursor=${scoped.nextCursor}`);
      expect(rest).toMatchObject({ ids: [`${LATE}/app-${COMMANDS}`], nextCursor: null });
    });

    it('pages a pattern viewer through exactly their actions, newest first, every page bounded', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let maxRows = 0;
      do {
        const p = await actions(users.prefix, `limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...p.ids);
        maxRows = Math.max(maxRows, p.rows);
        cursor = p.nextCursor;
      } while (cursor);
      const expected = Array.from({ length: COMMANDS }, (_, i) => i)
        .filter((i) => ns(i % NAMESPACES).startsWith('team-3'))
        .reverse()
        .map((i) => `${ns(i % NAMESPACES)}/app-${i}`);
      expect(seen).toEqual(expected);
      expect(maxRows).toBeLessThan(1200);
    });
  });
});
