// The hub's copy of each cluster's inventory, kept by snapshot + changes from
// the agent. A snapshot (sent after every list, in chunks) replaces the kind
// wholesale, so objects deleted while the agent was away disappear too.
import { sql, type RawBuilder, type Transaction } from 'kysely';
import {
  HEALTH_RANK,
  NODE_LIST_SORTS,
  TEMPLATE_LABELS_PATH,
  WORKLOAD_LIST_KINDS,
  decodeListCursor,
  encodeListCursor,
  listCursorKey,
  listStatusOf,
  ofKind,
  workloadHealth,
  type ListOrder,
  type InventoryItem,
  type InventoryItemOf,
  type NodeListRow,
  type NodePodCount,
  type NodeStatus,
  type ObjectSearchHit,
  type ResourceKind,
  type WorkloadListRow,
  type WorkloadPods,
} from '@wheelhouse/protocol';
import { matchesPattern } from '../auth/rbac.js';
import { distinctNamespaces } from '../store/distinct-namespaces.js';
import type { HubDb } from '../store/db.js';
import { isPostgres } from '../store/dialect.js';
import type { Database } from '../store/schema.js';
import { searchObjects } from './object-search.js';

/** Sort keys of a kind's list (the console's columns), each served by its own index (migration 013). */
export const LIST_SORTS = ['namespace', 'name', 'age', 'status'] as const;
export type ListSort = (typeof LIST_SORTS)[number];
export type { ListOrder };

export interface InventoryQuery {
  kind?: string;
  namespace?: string;
  name?: string;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  limit: number;
  /** A list's page from this position (0 is the first row) rather than a cursor: see sortedPage. */
  at?: number;
  /** With any of the following, the page is one kind's list (kind required), see listPage(). */
  sort?: ListSort;
  order?: ListOrder;
  /** Names starting with this (lower-case DNS characters only, compared bytewise). */
  prefix?: string;
  /** A pod's phase; a node's NotReady, SchedulingDisabled or Ready. */
  status?: string;
  /** Pods on this node (the node page). */
  node?: string;
  /** Objects whose first owner is one of these ("ReplicaSet/web-5d9c"; a workload's pods, its ReplicaSets). */
  owner?: readonly string[];
  /** Objects whose labels hold every one of these (a Service's selector; equality terms, one namespace). */
  selector?: Readonly<Record<string, string>>;
  /**
   * Workloads whose pod template's labels hold every one of these (a Service's
   * workloads: the selector matched against `summary.spec.template.labels`; one namespace).
   */
  templateSelector?: Readonly<Record<string, string>>;
  /** Also count every match (the list's total). */
  count?: boolean;
}

export interface InventoryPage {
  items: InventoryItem[];
  nextCursor: string | null;
  /** How many items match the filters (when asked with count). */
  total?: number;
}

/** Whether a query asks for a sorted/filtered list of one kind rather than the inventory walk. */
export const isListQuery = (q: InventoryQuery): boolean =>
  q.sort !== undefined ||
  q.order !== undefined ||
  q.prefix !== undefined ||
  q.status !== undefined ||
  q.node !== undefined ||
  q.owner !== undefined ||
  q.selector !== undefined ||
  q.templateSelector !== undefined ||
  q.at !== undefined ||
  q.count === true;

/** Above every character a Kubernetes name may hold ([a-z0-9.-]): prefix + '~' ends a prefix's range. */
const PREFIX_END = '~';

/**
 * The Workloads page's sorts. health is the level kept in status by severity
 * (err, warn, ok, other): an expression, so the database sorts the matching
 * workloads (never pods) rather than seeking an index.
 */
export const WORKLOAD_SORTS = ['kind', 'namespace', 'name', 'age', 'health'] as const;
export type WorkloadSort = (typeof WORKLOAD_SORTS)[number];
type SortKey = ListSort | WorkloadSort;

export interface WorkloadQuery {
  kind?: (typeof WORKLOAD_LIST_KINDS)[number];
  namespace?: string;
  prefix?: string;
  /** Only workloads whose health is err or warn. */
  unhealthy?: boolean;
  sort?: WorkloadSort;
  order?: ListOrder;
  cursor?: string;
  at?: number;
  limit: number;
  count?: boolean;
}

/** The Nodes page's list (GET …/nodes): a Node list's filters, sort and paging. */
export interface NodeQuery {
  prefix?: string;
  status?: NodeStatus;
  sort?: (typeof NODE_LIST_SORTS)[number];
  order?: ListOrder;
  cursor?: string;
  at?: number;
  limit: number;
  count?: boolean;
}

export interface NodePage {
  items: NodeListRow[];
  nextCursor: string | null;
  total?: number;
}

export interface WorkloadPage {
  items: WorkloadListRow[];
  nextCursor: string | null;
  total?: number;
}

/** A list query's sort (or the list's default), direction and keyset paging, as sortedPage takes them. */
type Paging<S> = { sort?: S; order?: ListOrder; cursor?: string; at?: number; limit: number; count?: boolean };
function pagingOf<S extends SortKey>(q: Paging<S>, sort: S): Paging<S> & { sort: S; order: ListOrder } {
  return { sort: q.sort ?? sort, order: q.order ?? 'asc', cursor: q.cursor, at: q.at, limit: q.limit, count: q.count };
}

/** What sortedPage lists: some kinds, each filter optional. */
interface SortedQuery {
  kinds: readonly string[];
  namespace?: string;
  prefix?: string;
  statuses?: readonly string[];
  node?: string;
  owners?: readonly string[];
  labels?: Readonly<Record<string, string>>;
  /** Pod template labels (TEMPLATE_LABELS_PATH) that must hold these. */
  templateLabels?: Readonly<Record<string, string>>;
  sort: SortKey;
  order: ListOrder;
  cursor?: string;
  /** From this position (rows before it skipped), not a cursor. */
  at?: number;
  limit: number;
  count?: boolean;
}

/** (kind, namespace, name, uid) of the last item of a page. */
type Cursor = [string, string, string, string];
type Row = { kind: string; namespace: string; name: string; uid: string; data: string };

const encodeCursor = (k: Cursor): string => Buffer.from(JSON.stringify(k)).toString('base64url');
function decodeCursor(c: string): Cursor | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(c, 'base64url').toString());
    const parts: readonly unknown[] = Array.isArray(v) && v.length === 4 ? v : [];
    const [a, b, d, e] = parts;
    return typeof a === 'string' && typeof b === 'string' && typeof d === 'string' && typeof e === 'string'
      ? [a, b, d, e]
      : null;
  } catch {
    return null;
  }
}

/**
 * The columns the lists filter, sort and count by, from an item: a pod's
 * phase, node, readiness and restarts; a workload's health level (in status:
 * "only unhealthy" is then a filter in SQL); a node's NotReady /
 * SchedulingDisabled / Ready (the Nodes page's status filter and sort);
 * everyone's first owner.
 */
function listColumns(it: InventoryItem): {
  status: string;
  node: string;
  owner: string;
  ready: number;
  restarts: number;
} {
  const ref = it.ownerRefs[0];
  const owner = ref ? `${ref.kind}/${ref.name}` : '';
  if (it.kind === 'Pod')
    return {
      status: it.summary.phase,
      node: it.summary.nodeName ?? '',
      owner,
      ready: it.summary.ready ? 1 : 0,
      restarts: it.summary.restarts,
    };
  return { status: listStatusOf(it), node: '', owner, ready: 0, restarts: 0 };
}

/**
 * Rows whose item's labels hold every key=value of the selector, compared in
 * the database (the labels live in the row's JSON, `data.labels`).
 * PostgreSQL: jsonb containment of the labels alone, written exactly as the
 * GIN index of migration 025 (resources_by_labels) is built — any other
 * spelling and the planner cannot use it: the index finds the matching rows
 * (alone, or ANDed with the namespace's B-tree range when they are many), and
 * only those rows' JSON is read again (jsonb_path_ops is lossy: a recheck);
 * the other filters keep the answer to the namespace. SQLite: json_extract of each key
 * (quoted in the path: keys hold "." and "/"; the route's grammar admits no
 * '"') over the rows of the namespace's index range.
 */
function labelsHold(db: HubDb, labels: Readonly<Record<string, string>>): RawBuilder<boolean> {
  return holdAt(db, labels, { postgres: sql`data::json -> 'labels'`, sqlite: '$.labels' });
}

/**
 * Rows whose item's pod template labels (TEMPLATE_LABELS_PATH, the path the
 * console's templateLabelsOf reads: one rule for both) hold every key=value —
 * a Service's workloads. Compared as labelsHold does, at the deeper path, over
 * one namespace's workloads of one kind (the route requires both). PostgreSQL:
 * written exactly as migration 026's partial GIN index
 * (resources_by_template_labels) is built, so a namespace of 10,000
 * Deployments is not parsed row by row (docs/performance.md). The path is a
 * literal (our constant, never input): an expression index matches only a constant.
 */
function templateLabelsHold(db: HubDb, labels: Readonly<Record<string, string>>): RawBuilder<boolean> {
  return holdAt(db, labels, {
    postgres: sql`data::json #> ${sql.lit(`{${TEMPLATE_LABELS_PATH.join(',')}}`)}`,
    sqlite: `$.${TEMPLATE_LABELS_PATH.join('.')}`,
    sqliteText: true,
  });
}

/**
 * Labels at a place in the row's JSON hold every key=value: jsonb containment
 * there, or json_extract per key. SQLite, `sqliteText`: each term's text as
 * JSON.stringify wrote the row (`"key":"value"`: the route's grammar admits no
 * character it escapes) must first occur in the row — a byte search that
 * keeps json_extract, a parse of the whole row, to the few rows that may match
 * (a namespace of 10,000 Deployments: docs/performance.md). Only a first sieve:
 * the text may sit elsewhere in the row; json_extract decides.
 */
function holdAt(
  db: HubDb,
  labels: Readonly<Record<string, string>>,
  at: { postgres: RawBuilder<unknown>; sqlite: string; sqliteText?: boolean },
): RawBuilder<boolean> {
  const entries = Object.entries(labels);
  if (entries.length === 0) return sql<boolean>`1 = 1`;
  if (isPostgres(db)) return sql<boolean>`(${at.postgres})::jsonb @> ${JSON.stringify(labels)}::jsonb`;
  const sieve = at.sqliteText
    ? entries.map(([k, v]) => sql`instr(data, ${`${JSON.stringify(k)}:${JSON.stringify(v)}`}) > 0`)
    : [];
  return sql<boolean>`(${sql.join(
    [...sieve, ...entries.map(([k, v]) => sql`json_extract(data, ${`${at.sqlite}."${k}"`}) = ${v}`)],
    sql` AND `,
  )})`;
}

export class InventoryStore {
  /** uids seen so far per (cluster, kind, snapshotId) while a chunked snapshot arrives. */
  private readonly pending = new Map<string, { snapshotId: string; uids: Set<string> }>();

  constructor(private readonly db: HubDb) {}

  /** Inserts or replaces items, within the caller's transaction. */
  private async upsertIn(trx: Transaction<Database>, cluster: string, items: readonly InventoryItem[]): Promise<void> {
    const now = Date.now();
    // SQLite caps bound parameters per statement; 8 columns × 100 rows stays well inside.
    for (let i = 0; i < items.length; i += 100) {
      const rows = items.slice(i, i + 100).map((it) => ({
        cluster_id: cluster,
        uid: it.uid,
        kind: it.kind,
        namespace: it.namespace,
        name: it.name,
        resource_version: it.resourceVersion,
        data: JSON.stringify(it),
        updated_at: now,
        created_at: it.createdAt,
        ...listColumns(it),
      }));
      await trx
        .insertInto('resources')
        .values(rows)
        .onConflict((oc) =>
          oc.columns(['cluster_id', 'uid']).doUpdateSet((eb) => ({
            kind: eb.ref('excluded.kind'),
            namespace: eb.ref('excluded.namespace'),
            name: eb.ref('excluded.name'),
            resource_version: eb.ref('excluded.resource_version'),
            data: eb.ref('excluded.data'),
            updated_at: eb.ref('excluded.updated_at'),
            status: eb.ref('excluded.status'),
            created_at: eb.ref('excluded.created_at'),
            node: eb.ref('excluded.node'),
            owner: eb.ref('excluded.owner'),
            ready: eb.ref('excluded.ready'),
            restarts: eb.ref('excluded.restarts'),
          })),
        )
        .execute();
    }
  }

  private async deleteIn(trx: Transaction<Database>, cluster: string, uids: readonly string[]): Promise<void> {
    for (let i = 0; i < uids.length; i += 500) {
      await trx
        .deleteFrom('resources')
        .where('cluster_id', '=', cluster)
        .where('uid', 'in', uids.slice(i, i + 500))
        .execute();
    }
  }

  /** Applies one chunk of a snapshot; on the last chunk removes what the snapshot did not contain. Returns the items removed. */
  async applySnapshotChunk(
    cluster: string,
    kind: string,
    snapshotId: string,
    items: readonly InventoryItem[],
    last: boolean,
  ): Promise<InventoryItem[]> {
    const gone = await this.db
      .transaction()
      .execute((trx) => this.applySnapshotChunkIn(trx, cluster, kind, snapshotId, items, last));
    if (last) this.snapshotStored(cluster, kind, snapshotId);
    return gone;
  }

  /**
   * applySnapshotChunk within the caller's transaction. The chunks seen so far
   * are remembered here until the caller says the last one committed
   * (snapshotStored): a rolled-back last chunk can be applied again.
   */
  async applySnapshotChunkIn(
    trx: Transaction<Database>,
    cluster: string,
    kind: string,
    snapshotId: string,
    items: readonly InventoryItem[],
    last: boolean,
  ): Promise<InventoryItem[]> {
    const key = `${cluster}\u0000${kind}`;
    let state = this.pending.get(key);
    if (state?.snapshotId !== snapshotId) {
      state = { snapshotId, uids: new Set() };
      this.pending.set(key, state);
    }
    for (const it of items) state.uids.add(it.uid);
    await this.upsertIn(trx, cluster, items);
    if (!last) return [];
    const existing = await trx
      .selectFrom('resources')
      .select(['uid', 'data'])
      .where('cluster_id', '=', cluster)
      .where('kind', '=', kind)
      .execute();
    const seen = state.uids;
    const gone = existing.filter((r) => !seen.has(r.uid));
    await this.deleteIn(
      trx,
      cluster,
      gone.map((r) => r.uid),
    );
    return gone.map((r) => JSON.parse(r.data) as InventoryItem);
  }

  /** The last chunk of the snapshot committed: what its chunks were is no longer needed. */
  snapshotStored(cluster: string, kind: string, snapshotId: string): void {
    const key = `${cluster}\u0000${kind}`;
    if (this.pending.get(key)?.snapshotId === snapshotId) this.pending.delete(key);
  }

  /** An item by uid; `db` a transaction to see its writes. */
  async getByUid(cluster: string, uid: string, db: HubDb = this.db): Promise<InventoryItem | null> {
    const row = await db
      .selectFrom('resources')
      .select('data')
      .where('cluster_id', '=', cluster)
      .where('uid', '=', uid)
      .executeTakeFirst();
    return row ? (JSON.parse(row.data) as InventoryItem) : null;
  }

  /** Applies an agent's changes in one transaction. */
  async applyChanges(
    cluster: string,
    upserts: readonly InventoryItem[],
    deletes: readonly { uid: string }[],
  ): Promise<void> {
    await this.db.transaction().execute((trx) => this.applyChangesIn(trx, cluster, upserts, deletes));
  }

  /** applyChanges within the caller's transaction. */
  async applyChangesIn(
    trx: Transaction<Database>,
    cluster: string,
    upserts: readonly InventoryItem[],
    deletes: readonly { uid: string }[],
  ): Promise<void> {
    await this.upsertIn(trx, cluster, upserts);
    await this.deleteIn(
      trx,
      cluster,
      deletes.map((d) => d.uid),
    );
  }

  /** One item, typed by its kind (the row's kind column and the item's own kind agree). */
  async get<K extends ResourceKind>(
    cluster: string,
    kind: K,
    namespace: string,
    name: string,
  ): Promise<InventoryItemOf<K> | null> {
    const row = await this.db
      .selectFrom('resources')
      .select('data')
      .where('cluster_id', '=', cluster)
      .where('kind', '=', kind)
      .where('namespace', '=', namespace)
      .where('name', '=', name)
      .executeTakeFirst();
    const item = row ? (JSON.parse(row.data) as InventoryItem) : null;
    return item && ofKind(kind)(item) ? item : null;
  }

  /**
   * Ordered by kind, namespace, name, uid; keyset pagination. `namespaces` is
   * what the caller may view in this cluster: 'all', or namespace patterns
   * (then only namespaced objects in matching namespaces; never cluster-scoped
   * ones, which need 'all').
   *
   * Why not filter in Node (issue 13 item 8): a viewer of one namespace that
   * sorts last made the hub read and parse a cluster's whole inventory for one
   * item. Every statement here is an index seek returning at most the rows it
   * needs, so a page reads at most limit + 1 rows plus one seek per kind and per
   * namespace of the cluster (patterns are expanded against the namespaces
   * that exist) — see docs/performance.md.
   */
  async query(
    cluster: string,
    q: InventoryQuery,
    namespaces: 'all' | readonly string[] = 'all',
  ): Promise<InventoryPage> {
    if (isListQuery(q) && q.kind !== undefined) return this.listPage(cluster, { ...q, kind: q.kind }, namespaces);
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    const rows =
      namespaces === 'all'
        ? await this.pageOf(
            cluster,
            q,
            after && { tuple: after },
            q.namespace === undefined ? null : [q.namespace],
            q.limit + 1,
          )
        : await this.scopedPage(cluster, q, after, namespaces);
    const items = rows.slice(0, q.limit);
    const last = items.at(-1);
    return {
      items: items.map((r) => JSON.parse(r.data) as InventoryItem),
      nextCursor: rows.length > q.limit && last ? encodeCursor([last.kind, last.namespace, last.name, last.uid]) : null,
    };
  }

  /**
   * One kind's list as the console shows it (issue 18): filtered by namespace,
   * phase, node and name prefix, sorted by one key either way, keyset-paged. Each
   * sort is one ordered seek over its own index (migration 013), so a page
   * returns at most limit + 1 rows to Node whatever the cluster's size; the
   * total is a count over the same filters (an index range, never rows'
   * JSON). A scoped caller's permitted namespaces become `namespace IN (…)`:
   * still limit + 1 rows to Node, though the database may step over other
   * namespaces' index entries for a sort other than namespace.
   */
  private listPage(
    cluster: string,
    q: InventoryQuery & { kind: string },
    namespaces: 'all' | readonly string[],
  ): Promise<InventoryPage> {
    return this.sortedPage(
      cluster,
      {
        kinds: [q.kind],
        namespace: q.namespace,
        prefix: q.prefix,
        statuses: q.status === undefined ? undefined : [q.status],
        node: q.node,
        owners: q.owner,
        labels: q.selector,
        templateLabels: q.templateSelector,
        ...pagingOf(q, 'namespace'),
      },
      namespaces,
    );
  }

  /**
   * The Workloads page (issue 18): workloads of every kind (or one) paged,
   * sorted and filtered like a kind's list — "only unhealthy" is the health
   * level kept in status — each with its pods counted in SQL (podCounts), so
   * the console never lists a cluster's pods. Several kinds at once are
   * `kind IN (…)` over the same indexes: the database merges or sorts the
   * workloads' index entries (workloads, not pods), Node still gets limit + 1.
   */
  async workloadPage(
    cluster: string,
    q: WorkloadQuery,
    namespaces: 'all' | readonly string[] = 'all',
  ): Promise<WorkloadPage> {
    const page = await this.sortedPage(
      cluster,
      {
        kinds: q.kind === undefined ? WORKLOAD_LIST_KINDS : [q.kind],
        namespace: q.namespace,
        prefix: q.prefix,
        statuses: q.unhealthy ? ['err', 'warn'] : undefined,
        ...pagingOf(q, 'namespace'),
      },
      namespaces,
    );
    const pods = await this.podCounts(cluster, page.items);
    return {
      items: page.items.map((workload, i) => ({ workload, pods: pods[i] ?? { total: 0, ready: 0, restarts: 0 } })),
      nextCursor: page.nextCursor,
      ...(page.total !== undefined ? { total: page.total } : {}),
    };
  }

  /**
   * Each workload's pods counted: a workload's pods are those whose first
   * owner is the workload, or one of its ReplicaSets (a Deployment) or Jobs (a
   * CronJob) — the protocol's resolveWorkload rule. Two statements for the
   * whole page: the page's ReplicaSets/Jobs by owner, then one GROUP BY over
   * the covering index (cluster, kind, namespace, owner, ready, restarts), so
   * the database reads index entries of the page's own pods and Node gets one
   * row per owner. An unhealthy workload also gets its newest pod that is not
   * ready (one row each), for the reason column.
   */
  private async podCounts(cluster: string, workloads: readonly InventoryItem[]): Promise<WorkloadPods[]> {
    if (workloads.length === 0) return [];
    const key = (ns: string, owner: string): string => `${ns}\u0000${owner}`;
    const namespaces = [...new Set(workloads.map((w) => w.namespace))];
    // Deployment → ReplicaSets, CronJob → Jobs: the intermediate owners, by their own owner column.
    const parents = workloads.filter((w) => w.kind === 'Deployment' || w.kind === 'CronJob');
    const steps = new Map<string, string[]>();
    if (parents.length > 0) {
      const rows = await this.db
        .selectFrom('resources')
        .select(['kind', 'namespace', 'name', 'owner'])
        .where('cluster_id', '=', cluster)
        .where('kind', 'in', ['ReplicaSet', 'Job'])
        .where('namespace', 'in', [...new Set(parents.map((w) => w.namespace))])
        .where(
          'owner',
          'in',
          parents.map((w) => `${w.kind}/${w.name}`),
        )
        .execute();
      for (const r of rows) {
        const k = key(r.namespace, r.owner);
        steps.set(k, [...(steps.get(k) ?? []), `${r.kind}/${r.name}`]);
      }
    }
    const ownersOf = (w: InventoryItem): string[] => [
      `${w.kind}/${w.name}`,
      ...(steps.get(key(w.namespace, `${w.kind}/${w.name}`)) ?? []),
    ];
    const owners = [...new Set(workloads.flatMap(ownersOf))];
    const counts = new Map<string, WorkloadPods>();
    // Bound the IN list per statement (SQLite's parameter cap); a page is ≤ 1,000 workloads.
    for (let i = 0; i < owners.length; i += 500) {
      const rows = await this.db
        .selectFrom('resources')
        .where('cluster_id', '=', cluster)
        .where('kind', '=', 'Pod')
        .where('namespace', 'in', namespaces)
        .where('owner', 'in', owners.slice(i, i + 500))
        .select((eb) => [
          'namespace',
          'owner',
          eb.fn.countAll<number | string>().as('total'),
          eb.fn.sum<number | string>('ready').as('ready'),
          eb.fn.sum<number | string>('restarts').as('restarts'),
        ])
        .groupBy(['namespace', 'owner'])
        .execute();
      for (const r of rows)
        counts.set(key(r.namespace, r.owner), {
          total: Number(r.total),
          ready: Number(r.ready),
          restarts: Number(r.restarts),
        });
    }
    const out = workloads.map((w) => {
      const sum: WorkloadPods = { total: 0, ready: 0, restarts: 0 };
      for (const o of ownersOf(w)) {
        const c = counts.get(key(w.namespace, o));
        if (!c) continue;
        sum.total += c.total;
        sum.ready += c.ready;
        sum.restarts += c.restarts;
      }
      return sum;
    });
    // The reason column: an unhealthy workload's newest pod that is not ready (one indexed row each).
    await Promise.all(
      workloads.map(async (w, i) => {
        const level = workloadHealth(w).level;
        const sum = out[i];
        if ((level !== 'err' && level !== 'warn') || !sum || sum.ready >= sum.total) return;
        const row = await this.db
          .selectFrom('resources')
          .select('data')
          .where('cluster_id', '=', cluster)
          .where('kind', '=', 'Pod')
          .where('namespace', '=', w.namespace)
          .where('owner', 'in', ownersOf(w))
          .where('ready', '=', 0)
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst();
        const pod = row ? (JSON.parse(row.data) as InventoryItem) : undefined;
        if (pod?.kind === 'Pod') sum.notReady = pod;
      }),
    );
    return out;
  }

  /** A list of some kinds, sorted, filtered, keyset-paged and counted in SQL (see listPage, workloadPage). */
  private async sortedPage(
    cluster: string,
    q: SortedQuery,
    namespaces: 'all' | readonly string[],
  ): Promise<InventoryPage> {
    const { sort, order } = q;
    let permitted: readonly string[] | null = q.namespace === undefined ? null : [q.namespace];
    if (namespaces !== 'all') permitted = await this.permittedNamespaces(cluster, namespaces, q.namespace);
    if (permitted?.length === 0) return { items: [], nextCursor: null, ...(q.count ? { total: 0 } : {}) };
    // PostgreSQL compares names bytewise only when told (its index: resources_by_name_c).
    const name: RawBuilder<string> = isPostgres(this.db) ? sql<string>`name COLLATE "C"` : sql<string>`name`;
    const keys: Record<SortKey, RawBuilder<unknown>[]> = {
      namespace: [sql`namespace`, sql`name`, sql`uid`],
      name: [name, sql`namespace`, sql`uid`],
      age: [sql`created_at`, sql`uid`],
      status: [sql`status`, sql`namespace`, sql`name`, sql`uid`],
      kind: [sql`kind`, sql`namespace`, sql`name`, sql`uid`],
      health: [
        sql`(CASE status ${sql.join(
          Object.entries(HEALTH_RANK).map(([level, rank]) => sql`WHEN ${sql.lit(level)} THEN ${sql.lit(rank)}`),
          sql` `,
        )} ELSE 0 END)`,
        sql`namespace`,
        sql`name`,
        sql`uid`,
      ],
    };
    // A few owners' objects (a workload's pods) or one node's pods (at most its pod capacity):
    // SQLite must seek the owner or node index and sort those, not walk the kind's whole sort
    // index filtering by owner or node (every pod of the cluster: 3.3 s for one node's 50 pods
    // of 100k on 2,000 nodes). `+col` makes the sort key no index's; PostgreSQL's planner has statistics.
    // A label selector (one namespace, the route requires it) likewise: the namespace's index range, its
    // rows' labels compared in SQL, the few matches sorted — not the kind's age index walked cluster-wide.
    const bySeek =
      (q.owners !== undefined || q.node !== undefined || q.labels !== undefined || q.templateLabels !== undefined) &&
      !isPostgres(this.db);
    const cols = bySeek ? keys[sort].map((c) => sql`+${c}`) : keys[sort];
    const filtered = () => {
      let sel = this.db.selectFrom('resources').where('cluster_id', '=', cluster);
      sel = q.kinds.length === 1 ? sel.where('kind', '=', q.kinds[0] ?? '') : sel.where('kind', 'in', q.kinds);
      if (permitted) sel = sel.where('namespace', 'in', permitted);
      if (q.statuses !== undefined) sel = sel.where('status', 'in', q.statuses);
      if (q.node !== undefined) sel = sel.where('node', '=', q.node);
      // The owner index of migration 020 (cluster, kind, namespace, owner, …): a seek per owner.
      if (q.owners !== undefined) sel = sel.where('owner', 'in', q.owners.length > 0 ? q.owners : ['']);
      if (q.labels !== undefined) sel = sel.where(labelsHold(this.db, q.labels));
      if (q.templateLabels !== undefined) sel = sel.where(templateLabelsHold(this.db, q.templateLabels));
      if (q.prefix !== undefined)
        sel = sel.where(sql<boolean>`${name} >= ${q.prefix} AND ${name} < ${q.prefix + PREFIX_END}`);
      return sel;
    };
    let sel = filtered().select(['kind', 'namespace', 'name', 'uid', 'data', 'status', 'created_at']);
    let after = q.cursor ? decodeListCursor(q.cursor, sort, order, cols.length) : null;
    // A page from a position (a scrollbar dragged deep into 100k pods): the sort key of the row
    // just above it, read over the sort's index alone (no row's JSON stepped over), then the
    // keyset read from there — so the page, and paging on, is the cursor's as ever.
    let past = false;
    if (q.at !== undefined && q.at > 0) {
      let seek = filtered().select(cols.map((c, i) => sql<string | number>`${c}`.as(`k${String(i)}`)));
      for (const c of cols) seek = seek.orderBy(c, order);
      const above = await seek
        .limit(1)
        .offset(q.at - 1)
        .executeTakeFirst();
      if (above) after = cols.map((_, i) => above[`k${String(i)}`] ?? '');
      else past = true;
    }
    if (after) {
      const op = sql.raw(order === 'asc' ? '>' : '<');
      sel = sel.where(sql<boolean>`(${sql.join(cols)}) ${op} (${sql.join(after)})`);
    }
    for (const c of cols) sel = sel.orderBy(c, order);
    const rows = past ? [] : await sel.limit(q.limit + 1).execute();
    const items = rows.slice(0, q.limit);
    const last = items.at(-1);
    const keyOf = (r: (typeof rows)[number]): (string | number)[] =>
      listCursorKey(sort, { ...r, createdAt: r.created_at });
    let total: number | undefined;
    if (q.count) {
      const c = await filtered()
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirst();
      total = Number(c?.n ?? 0);
    }
    return {
      items: items.map((r) => JSON.parse(r.data) as InventoryItem),
      nextCursor: rows.length > q.limit && last ? encodeListCursor({ s: sort, o: order, k: keyOf(last) }) : null,
      ...(total !== undefined ? { total } : {}),
    };
  }

  /**
   * The Nodes page (issue 18): nodes paged, sorted and filtered like a kind's
   * list, each with its pods counted over the page's nodes only (podsOnNodes) —
   * never the cluster's 2,000 nodes for a screenful of 50. Scoped like the
   * Node list: a namespace-scoped viewer lists no nodes (they are cluster-scoped).
   */
  async nodePage(cluster: string, q: NodeQuery, namespaces: 'all' | readonly string[] = 'all'): Promise<NodePage> {
    const page = await this.sortedPage(
      cluster,
      {
        kinds: ['Node'],
        prefix: q.prefix,
        statuses: q.status === undefined ? undefined : [q.status],
        ...pagingOf(q, 'name'),
      },
      namespaces,
    );
    const nodes = page.items.filter(ofKind('Node'));
    const pods = new Map(
      (
        await this.podsOnNodes(
          cluster,
          nodes.map((n) => n.name),
          namespaces,
        )
      ).map((c) => [c.node, c.pods]),
    );
    return {
      items: nodes.map((node) => ({ node, pods: pods.get(node.name) ?? 0 })),
      nextCursor: page.nextCursor,
      ...(page.total !== undefined ? { total: page.total } : {}),
    };
  }

  /**
   * How many pods each of these nodes runs (issue 18, the Nodes page: a page's
   * nodes, or the ones in view counted again as pods change): one grouped
   * count over `node IN (…)` on the (cluster, kind, node, namespace) index of
   * migration 017 — a range of index entries per node, never a pod's row, and
   * never the other nodes'. Every node asked is answered (0 when none), in the
   * order asked. A scoped caller counts the pods of the namespaces they may view only.
   */
  async podsOnNodes(
    cluster: string,
    nodes: readonly string[],
    namespaces: 'all' | readonly string[] = 'all',
  ): Promise<NodePodCount[]> {
    const counts = new Map<string, number>();
    let permitted: readonly string[] | null = null;
    if (namespaces !== 'all') permitted = await this.permittedNamespaces(cluster, namespaces, undefined);
    const names = [...new Set(nodes)].filter((n) => n !== '');
    // Bound the IN lists per statement (SQLite's parameter cap); a page is at most 1,000 nodes.
    for (let i = 0; i < names.length && permitted?.length !== 0; i += 500) {
      let sel = this.db
        .selectFrom('resources')
        .where('cluster_id', '=', cluster)
        .where('kind', '=', 'Pod')
        .where('node', 'in', names.slice(i, i + 500));
      if (permitted) sel = sel.where('namespace', 'in', permitted);
      const rows = await sel
        .select((eb) => ['node', eb.fn.countAll<number | string>().as('n')])
        .groupBy('node')
        .execute();
      for (const r of rows) counts.set(r.node, Number(r.n));
    }
    return nodes.map((node) => ({ node, pods: counts.get(node) ?? 0 }));
  }

  /**
   * The global search (GET …/search): the best `limit` objects of the searched
   * kinds matching every word, of the namespaces the caller may view (see
   * object-search.ts for the index ranges it reads and their bound).
   */
  async search(
    cluster: string,
    query: string,
    words: readonly string[],
    limit: number,
    namespaces: 'all' | readonly string[] = 'all',
  ): Promise<ObjectSearchHit[]> {
    const permitted = namespaces === 'all' ? null : await this.permittedNamespaces(cluster, namespaces, undefined);
    return searchObjects(this.db, cluster, query, words, limit, permitted);
  }

  /**
   * The page when only some namespaces may be read: for each kind present
   * (from the cursor's on), seeks on (kind, namespace ∈ permitted). The
   * permitted namespaces are those of the cluster that match a pattern, in the
   * store's own order, so the cursor's namespace splits them without any
   * string comparison in Node (PostgreSQL's collation may order differently).
   */
  private async scopedPage(
    cluster: string,
    q: InventoryQuery,
    after: Cursor | null,
    patterns: readonly string[],
  ): Promise<Row[]> {
    const permitted = await this.permittedNamespaces(cluster, patterns, q.namespace);
    if (permitted.length === 0) return [];
    const rows: Row[] = [];
    const need = (): number => q.limit + 1 - rows.length;
    let kind: string | undefined = q.kind ?? (await this.nextKind(cluster, after?.[0] ?? null, true));
    while (kind !== undefined && need() > 0) {
      const f = { kind, name: q.name };
      if (after && kind === after[0]) {
        const i = permitted.indexOf(after[1]);
        if (i >= 0) {
          // The rest of the cursor's namespace, then the namespaces after it.
          rows.push(...(await this.pageOf(cluster, f, { inNamespace: after }, [after[1]], need())));
          const rest = permitted.slice(i + 1);
          if (rest.length > 0 && need() > 0) rows.push(...(await this.pageOf(cluster, f, null, rest, need())));
        } else {
          rows.push(...(await this.pageOf(cluster, f, { tuple: after }, permitted, need())));
        }
      } else {
        // Kinds come from the store from the cursor's kind on; only a kind
        // named in the query can sit on either side of another kind's cursor.
        const rest = after && q.kind !== undefined ? { tuple: after } : null;
        rows.push(...(await this.pageOf(cluster, f, rest, permitted, need())));
      }
      if (q.kind !== undefined) break;
      kind = await this.nextKind(cluster, kind, false);
    }
    return rows;
  }

  /**
   * The namespaces of the cluster the patterns let the caller read, in the
   * store's order: exact names are looked up (a seek each), so a viewer bound
   * to a few namespaces costs a few rows however many namespaces the cluster
   * has; a wildcard pattern expands over the cluster's namespaces.
   */
  private async permittedNamespaces(
    cluster: string,
    patterns: readonly string[],
    only: string | undefined,
  ): Promise<string[]> {
    const allowed = (ns: string): boolean => ns !== '' && patterns.some((p) => matchesPattern(p, ns));
    if (only !== undefined) return allowed(only) ? [only] : [];
    if (patterns.some((p) => p.includes('*'))) return (await this.namespacesOf(cluster)).filter(allowed);
    const exact = patterns.filter((p) => p !== '');
    if (exact.length === 0) return [];
    const rows = await this.db
      .selectFrom('resources')
      .select('namespace')
      .distinct()
      .where('cluster_id', '=', cluster)
      .where('namespace', 'in', exact)
      .orderBy('namespace')
      .execute();
    return rows.map((r) => r.namespace);
  }

  /**
   * Rows in (kind, namespace, name, uid) order after a cursor — the whole
   * tuple, or (name, uid) inside the cursor's one namespace, which the
   * (cluster, kind, namespace, name, uid) index seeks straight to — optionally
   * of the given namespaces only (with a kind: one ordered seek each).
   */
  private async pageOf(
    cluster: string,
    q: Pick<InventoryQuery, 'kind' | 'name'>,
    after: { tuple: Cursor } | { inNamespace: Cursor } | null,
    namespaces: readonly string[] | null,
    limit: number,
  ): Promise<Row[]> {
    let sel = this.db
      .selectFrom('resources')
      .select(['kind', 'namespace', 'name', 'uid', 'data'])
      .where('cluster_id', '=', cluster);
    if (q.kind !== undefined) sel = sel.where('kind', '=', q.kind);
    if (namespaces) sel = sel.where('namespace', 'in', namespaces);
    if (q.name) sel = sel.where('name', '=', q.name);
    if (after && 'tuple' in after) {
      const t = after.tuple;
      sel = sel.where((eb) => eb(eb.refTuple('kind', 'namespace', 'name', 'uid'), '>', eb.tuple(...t)));
    } else if (after) {
      const [, , name, uid] = after.inNamespace;
      sel = sel.where((eb) => eb(eb.refTuple('name', 'uid'), '>', eb.tuple(name, uid)));
    }
    return sel.orderBy('kind').orderBy('namespace').orderBy('name').orderBy('uid').limit(limit).execute();
  }

  /** The first kind present in the cluster after (or from) `from`, by one index seek. */
  private async nextKind(cluster: string, from: string | null, inclusive: boolean): Promise<string | undefined> {
    let sel = this.db.selectFrom('resources').select('kind').where('cluster_id', '=', cluster);
    if (from !== null) sel = sel.where('kind', inclusive ? '>=' : '>', from);
    const row = await sel.orderBy('kind').limit(1).executeTakeFirst();
    return row?.kind;
  }

  /** The cluster's distinct namespaces (one index seek each, see store/distinct-namespaces.ts). */
  namespacesOf(cluster: string): Promise<string[]> {
    return distinctNamespaces(this.db, 'resources', cluster);
  }
}
