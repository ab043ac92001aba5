// Timeline events per cluster. Idempotent: the agent may re-send after a
// reconnect and nothing is stored twice. On SQLite an event is unique per
// (cluster, object, event id), on PostgreSQL still per (cluster, event id)
// — migration 023_timeline_dedupe_by_object says why and until when; every
// id names one object, so both keys see the same re-sends.
import type {
  TimelineBuckets,
  TimelineCounts,
  TimelineEvent,
  TimelineEventInput,
  TimelineEventType,
} from '@wheelhouse/protocol';
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteConnection, type HubDb } from '../store/db.js';
import { TIMELINE_INSERT_SQL, timelineRowValues } from '../store/sqlite-writer-worker.js';
import { sql, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Database, TimelineRow } from '../store/schema.js';

type TimelineSelect = SelectQueryBuilder<Database, 'timeline_events', TimelineRow>;

export interface TimelineQuery {
  namespace?: string;
  kind?: string;
  name?: string;
  /** Event types to include (any when empty). */
  types?: string[];
  from?: number;
  to?: number;
  /** seq of the last event of the previous page (results are newest first). */
  cursor?: number;
  limit: number;
}

/**
 * A stored row as an event. Events are validated (TimelineEventInput) before
 * they are written, so type, severity and data belong together: the one
 * assertion is that trust in our own table.
 */
export function rowToEvent(r: TimelineRow): TimelineEvent {
  const data: unknown = JSON.parse(r.data);
  return {
    cluster: r.cluster_id,
    seq: r.seq,
    id: r.id,
    time: r.time,
    type: r.type,
    severity: r.severity,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    ...(r.owner_kind && r.owner_name ? { owner: { kind: r.owner_kind, name: r.owner_name } } : {}),
    summary: r.summary,
    data,
  } as TimelineEvent;
}

/** The event as stored with this seq — built from the input, not read back (its data is already JSON). */
export function storedEvent(cluster: string, seq: number, e: TimelineEventInput): TimelineEvent {
  return {
    cluster,
    seq,
    id: e.id,
    time: e.time,
    type: e.type,
    severity: e.severity,
    kind: e.kind,
    namespace: e.namespace,
    name: e.name,
    ...(e.owner?.kind && e.owner.name ? { owner: { kind: e.owner.kind, name: e.owner.name } } : {}),
    summary: e.summary,
    data: e.data,
  } as TimelineEvent;
}

/** An event's dedupe key within one cluster (the widest of the two dialects' keys). */
const dedupeKey = (e: { namespace: string; kind: string; name: string; id: string }): string =>
  JSON.stringify([e.namespace, e.kind, e.name, e.id]);

/** Inserts events within the caller's transaction (ignoring those already stored); returns the new ones, by seq. */
export async function insertTimelineEvents(
  trx: Transaction<Database>,
  cluster: string,
  events: readonly TimelineEventInput[],
): Promise<TimelineEvent[]> {
  const stored: TimelineEvent[] = [];
  // 12 columns × 250 rows stays well inside SQLite's bound-parameter limit.
  for (let i = 0; i < events.length; i += 250) {
    const chunk = events.slice(i, i + 250);
    const inserted = await trx
      .insertInto('timeline_events')
      .values(
        chunk.map((e) => ({
          id: e.id,
          cluster_id: cluster,
          time: e.time,
          type: e.type,
          severity: e.severity,
          kind: e.kind,
          namespace: e.namespace,
          name: e.name,
          owner_kind: e.owner?.kind ?? null,
          owner_name: e.owner?.name ?? null,
          summary: e.summary,
          data: JSON.stringify(e.data),
        })),
      )
      // No conflict target: whichever unique index the store has (see migration 023) decides.
      .onConflict((oc) => oc.doNothing())
      .returning(['seq', 'namespace', 'kind', 'name', 'id'])
      .execute();
    // An event twice in one batch is stored once, as its first occurrence (the second conflicts with it).
    const byKey = new Map<string, TimelineEventInput>();
    for (const e of chunk) if (!byKey.has(dedupeKey(e))) byKey.set(dedupeKey(e), e);
    for (const r of inserted) {
      const e = byKey.get(dedupeKey(r));
      if (e) stored.push(storedEvent(cluster, r.seq, e));
    }
  }
  return stored.sort((a, b) => a.seq - b.seq);
}

/** One prepared INSERT per SQLite connection, reused for every row of every batch. */
const sqliteInserts = new WeakMap<BetterSqlite3.Database, BetterSqlite3.Statement>();

/**
 * The same insert on the embedded store, row by row through one prepared
 * statement: no SQL built or parsed per batch, no RETURNING rows to read —
 * `changes` says whether the row was new (0: it was stored already) and
 * `lastInsertRowid` is its seq. The caller holds the store's one connection
 * and has begun the transaction (see sqliteConnection).
 */
function insertSqlite(
  sqlite: BetterSqlite3.Database,
  cluster: string,
  events: readonly TimelineEventInput[],
): TimelineEvent[] {
  let insert = sqliteInserts.get(sqlite);
  if (!insert) {
    insert = sqlite.prepare(TIMELINE_INSERT_SQL);
    sqliteInserts.set(sqlite, insert);
  }
  const stored: TimelineEvent[] = [];
  for (const e of events) {
    const r = insert.run(timelineRowValues(cluster, e));
    if (r.changes === 1) stored.push(storedEvent(cluster, Number(r.lastInsertRowid), e));
  }
  return stored;
}

export class TimelineStore {
  private readonly sqlite: BetterSqlite3.Database | undefined;

  constructor(private readonly db: HubDb) {
    this.sqlite = sqliteConnection(db);
  }

  /**
   * Stores new events, one transaction per call (one commit, so one fsync,
   * per call), and returns those that were not already stored, in seq order.
   */
  async insert(cluster: string, events: readonly TimelineEventInput[]): Promise<TimelineEvent[]> {
    if (events.length === 0) return [];
    return this.db.transaction().execute((trx) => this.insertIn(trx, cluster, events));
  }

  /**
   * insert within the caller's transaction (the agent links' group commit).
   * On SQLite through the prepared statement, on the one connection the
   * transaction holds — so within it.
   */
  async insertIn(
    trx: Transaction<Database>,
    cluster: string,
    events: readonly TimelineEventInput[],
  ): Promise<TimelineEvent[]> {
    if (events.length === 0) return [];
    return this.sqlite ? insertSqlite(this.sqlite, cluster, events) : insertTimelineEvents(trx, cluster, events);
  }

  /**
   * Newest first. Filtering by kind+name also returns events whose owner is
   * that object, so a Deployment's timeline includes its pods' events: two
   * ordered seeks (the object's own events, its pods'), each of at most
   * limit + 1 rows, merged here — an OR in one statement made the database
   * sort the object's whole history for every page (seconds at 100k events).
   */
  async query(cluster: string, q: TimelineQuery): Promise<{ items: TimelineEvent[]; nextCursor: number | null }> {
    const { kind, name } = q;
    let rows: TimelineRow[];
    if (kind && name) {
      const objectSeek = { timeByIndex: false };
      const [own, owned] = await Promise.all([
        this.select(cluster, q, (sel) => sel.where('kind', '=', kind).where('name', '=', name), objectSeek).execute(),
        this.select(
          cluster,
          q,
          (sel) => sel.where('owner_kind', '=', kind).where('owner_name', '=', name),
          objectSeek,
        ).execute(),
      ]);
      const bySeq = new Map<number, TimelineRow>();
      for (const r of [...own, ...owned]) bySeq.set(r.seq, r);
      rows = [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, q.limit + 1);
    } else {
      // A namespace's or the cluster's view: an ordered seek on (cluster, namespace, seq) or
      // (cluster, seq), its time range a filter (+time) as in the object seeks — with time
      // indexed, SQLite took the index on time and sorted the whole range for every page.
      rows = await this.select(
        cluster,
        q,
        (sel) => {
          if (kind) return sel.where('kind', '=', kind);
          if (name) return sel.where('name', '=', name);
          return sel;
        },
        { timeByIndex: Boolean(kind ?? name) },
      ).execute();
    }
    const page = rows.slice(0, q.limit).map(rowToEvent);
    return { items: page, nextCursor: rows.length > q.limit ? (page.at(-1)?.seq ?? null) : null };
  }

  /**
   * How many events the view's range holds, by type: counted in the index
   * (for an object, its two seq indexes end in time and type), no row read.
   * An object's own events and its pods' are disjoint (nothing owns itself).
   */
  async counts(cluster: string, q: Omit<TimelineQuery, 'types' | 'cursor' | 'limit'>): Promise<TimelineCounts> {
    const { kind, name } = q;
    const count = (which: (sel: TimelineSelect) => TimelineSelect, timeByIndex: boolean) =>
      this.filtered(cluster, q, which, { timeByIndex })
        .clearSelect()
        .select((eb) => ['type', eb.fn.countAll<number | string>().as('n')])
        .groupBy('type')
        .execute();
    const groups =
      kind && name
        ? [
            ...(await count((sel) => sel.where('kind', '=', kind).where('name', '=', name), false)),
            ...(await count((sel) => sel.where('owner_kind', '=', kind).where('owner_name', '=', name), false)),
          ]
        : await count((sel) => (kind ? sel.where('kind', '=', kind) : name ? sel.where('name', '=', name) : sel), true);
    const byType: Partial<Record<TimelineEventType, number>> = {};
    let total = 0;
    for (const g of groups) {
      const n = Number(g.n); // PostgreSQL's count is a bigint (text)
      const type = g.type as TimelineEventType;
      byType[type] = (byType[type] ?? 0) + n;
      total += n;
    }
    return { total, byType };
  }

  /**
   * The range cut into `buckets` equal buckets, each bucket's events counted
   * by type — GROUP BY over the same indexes as counts (for an object, its two
   * seq indexes hold time and type: no row read), so the chart shows a range
   * of 100k events without loading them. With `before` (a seq), only events
   * stored before it: those the console has not loaded.
   */
  async buckets(
    cluster: string,
    q: Omit<TimelineQuery, 'types' | 'cursor' | 'limit' | 'from' | 'to'> & {
      from: number;
      to: number;
      buckets: number;
      before?: number;
    },
  ): Promise<TimelineBuckets> {
    const { kind, name, from, to } = q;
    const width = Math.max(1, Math.ceil((to - from + 1) / q.buckets));
    // Integers the route validated, written as literals: integer division on both dialects.
    const bucket = sql<number | string>`(${sql.ref('time')} - ${sql.lit(from)}) / ${sql.lit(width)}`; // bigint arithmetic on PostgreSQL comes back as text
    const group = (which: (sel: TimelineSelect) => TimelineSelect, timeByIndex: boolean) => {
      let sel = this.filtered(cluster, q, which, { timeByIndex });
      if (q.before !== undefined) sel = sel.where('seq', '<', q.before);
      return sel
        .clearSelect()
        .select((eb) => [bucket.as('b'), 'type', eb.fn.countAll<number | string>().as('n')])
        .groupBy([bucket, 'type'])
        .execute();
    };
    const rows =
      kind && name
        ? [
            ...(await group((sel) => sel.where('kind', '=', kind).where('name', '=', name), false)),
            ...(await group((sel) => sel.where('owner_kind', '=', kind).where('owner_name', '=', name), false)),
          ]
        : await group((sel) => (kind ? sel.where('kind', '=', kind) : name ? sel.where('name', '=', name) : sel), true);
    const byBucket = new Map<number, TimelineBuckets['buckets'][number]>();
    for (const r of rows) {
      const i = Number(r.b); // PostgreSQL's bigint arithmetic comes back as text
      let b = byBucket.get(i);
      if (!b) byBucket.set(i, (b = { start: from + i * width, total: 0, byType: {} }));
      const type = r.type as TimelineEventType;
      const n = Number(r.n);
      b.byType[type] = (b.byType[type] ?? 0) + n;
      b.total += n;
    }
    return { from, to, width, buckets: [...byBucket.values()].sort((a, b) => a.start - b.start) };
  }

  /**
   * One page's seek: the query's filters, newest first, limit + 1 rows. With
   * timeByIndex false the time bounds are written `+time`, which no index
   * serves: without statistics SQLite preferred the index on time and sorted
   * every event of the range (seconds at 100k) over the object's own index,
   * which yields the page in order and holds time to check as it goes.
   */
  private select(
    cluster: string,
    q: TimelineQuery,
    which: (sel: TimelineSelect) => TimelineSelect,
    opts: { timeByIndex: boolean } = { timeByIndex: true },
  ): TimelineSelect {
    let sel = this.filtered(cluster, q, which, opts);
    if (q.types && q.types.length > 0) sel = sel.where('type', 'in', q.types);
    if (q.cursor !== undefined) sel = sel.where('seq', '<', q.cursor);
    return sel.orderBy('seq', 'desc').limit(q.limit + 1);
  }

  /** The cluster, namespace, object and time range of a view (see select for timeByIndex). */
  private filtered(
    cluster: string,
    q: Pick<TimelineQuery, 'namespace' | 'from' | 'to'>,
    which: (sel: TimelineSelect) => TimelineSelect,
    opts: { timeByIndex: boolean },
  ): TimelineSelect {
    const time = opts.timeByIndex ? sql.ref<number>('time') : sql<number>`+${sql.ref('time')}`;
    let sel = this.db.selectFrom('timeline_events').selectAll().where('cluster_id', '=', cluster);
    if (q.namespace !== undefined) sel = sel.where('namespace', '=', q.namespace);
    sel = which(sel);
    const { from, to } = q;
    if (from !== undefined) sel = sel.where((eb) => eb(time, '>=', from));
    if (to !== undefined) sel = sel.where((eb) => eb(time, '<=', to));
    return sel;
  }
}
