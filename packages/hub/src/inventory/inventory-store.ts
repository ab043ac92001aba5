// The hub's copy of each cluster's inventory, kept by snapshot + changes from
// the agent. A snapshot (sent after every list, in chunks) replaces the kind
// wholesale, so objects deleted while the agent was away disappear too.
import { ofKind, type InventoryItem, type InventoryItemOf, type ResourceKind } from '@wheelhouse/protocol';
import type { HubDb } from '../store/db.js';

export interface InventoryQuery {
  kind?: string;
  namespace?: string;
  name?: string;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  limit: number;
}

export interface InventoryPage {
  items: InventoryItem[];
  nextCursor: string | null;
}

const encodeCursor = (k: [string, string, string, string]): string =>
  Buffer.from(JSON.stringify(k)).toString('base64url');
function decodeCursor(c: string): [string, string, string, string] | null {
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

export class InventoryStore {
  /** uids seen so far per (cluster, kind, snapshotId) while a chunked snapshot arrives. */
  private readonly pending = new Map<string, { snapshotId: string; uids: Set<string> }>();

  constructor(private readonly db: HubDb) {}

  private async upsert(cluster: string, items: readonly InventoryItem[]): Promise<void> {
    if (items.length === 0) return;
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
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
            })),
          )
          .execute();
      }
    });
  }

  /** Applies one chunk of a snapshot; on the last chunk removes what the snapshot did not contain. Returns the items removed. */
  async applySnapshotChunk(
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
    await this.upsert(cluster, items);
    if (!last) return [];
    this.pending.delete(key);
    const existing = await this.db
      .selectFrom('resources')
      .select(['uid', 'data'])
      .where('cluster_id', '=', cluster)
      .where('kind', '=', kind)
      .execute();
    const gone = existing.filter((r) => !state.uids.has(r.uid));
    for (let i = 0; i < gone.length; i += 500) {
      await this.db
        .deleteFrom('resources')
        .where('cluster_id', '=', cluster)
        .where(
          'uid',
          'in',
          gone.slice(i, i + 500).map((r) => r.uid),
        )
        .execute();
    }
    return gone.map((r) => JSON.parse(r.data) as InventoryItem);
  }

  async getByUid(cluster: string, uid: string): Promise<InventoryItem | null> {
    const row = await this.db
      .selectFrom('resources')
      .select('data')
      .where('cluster_id', '=', cluster)
      .where('uid', '=', uid)
      .executeTakeFirst();
    return row ? (JSON.parse(row.data) as InventoryItem) : null;
  }

  async applyChanges(
    cluster: string,
    upserts: readonly InventoryItem[],
    deletes: readonly { uid: string }[],
  ): Promise<void> {
    await this.upsert(cluster, upserts);
    const uids = deletes.map((d) => d.uid);
    for (let i = 0; i < uids.length; i += 500) {
      await this.db
        .deleteFrom('resources')
        .where('cluster_id', '=', cluster)
        .where('uid', 'in', uids.slice(i, i + 500))
        .execute();
    }
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

  /** Ordered by kind, namespace, name, uid; keyset pagination. */
  async query(
    cluster: string,
    q: InventoryQuery,
    namespaceAllowed: (ns: string) => boolean = () => true,
  ): Promise<InventoryPage> {
    let sel = this.db
      .selectFrom('resources')
      .select(['kind', 'namespace', 'name', 'uid', 'data'])
      .where('cluster_id', '=', cluster);
    if (q.kind) sel = sel.where('kind', '=', q.kind);
    if (q.namespace !== undefined) sel = sel.where('namespace', '=', q.namespace);
    if (q.name) sel = sel.where('name', '=', q.name);
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    if (after) {
      sel = sel.where((eb) => eb(eb.refTuple('kind', 'namespace', 'name', 'uid'), '>', eb.tuple(...after)));
    }
    const items: InventoryItem[] = [];
    let last: [string, string, string, string] | null = null;
    // Over-fetch so that rows hidden by namespace permissions do not leave pages short.
    let batchCursor = sel;
    for (;;) {
      const rows = await batchCursor
        .orderBy('kind')
        .orderBy('namespace')
        .orderBy('name')
        .orderBy('uid')
        .limit(q.limit + 1)
        .execute();
      for (const r of rows) {
        if (items.length === q.limit) return { items, nextCursor: last ? encodeCursor(last) : null };
        last = [r.kind, r.namespace, r.name, r.uid];
        if (namespaceAllowed(r.namespace)) items.push(JSON.parse(r.data) as InventoryItem);
      }
      if (rows.length <= q.limit || !last) return { items, nextCursor: null };
      const l: [string, string, string, string] = last;
      batchCursor = sel.where((eb) => eb(eb.refTuple('kind', 'namespace', 'name', 'uid'), '>', eb.tuple(...l)));
    }
  }
}
