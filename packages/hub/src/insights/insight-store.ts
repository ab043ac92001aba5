// Insights per cluster, one row per problem (cluster, id): opened, updated while
// open (evidence, severity), resolved, reopened in place. Each open and resolve
// also goes on the timeline, in the same transaction. Kysely's query builder
// only (no dialect-specific SQL), so the store moves to PostgreSQL as it is.
import type { Insight, InsightInput, TimelineEvent, TimelineEventInput } from '@wheelhouse/protocol';
import type { Selectable, Transaction } from 'kysely';
import type { HubDb } from '../store/db.js';
import type { Database, InsightsTable } from '../store/schema.js';
import { insertTimelineEvents } from '../timeline/timeline-store.js';

type InsightRow = Selectable<InsightsTable>;

export interface InsightQuery {
  state?: 'open' | 'resolved';
  namespace?: string;
  kind?: string;
  name?: string;
  limit: number;
}

/**
 * A stored row as an insight. Rows are written only from validated InsightInput
 * (the link schema), so check, severity and JSON columns belong together: the
 * one assertion is that trust in our own table.
 */
function rowToInsight(r: InsightRow): Insight {
  return {
    cluster: r.cluster_id,
    id: r.id,
    check: r.check_id,
    object: { kind: r.kind, namespace: r.namespace, name: r.name },
    ...(r.owner_kind && r.owner_name ? { owner: { kind: r.owner_kind, name: r.owner_name } } : {}),
    severity: r.severity,
    title: r.title,
    since: r.since,
    evidence: JSON.parse(r.evidence) as unknown,
    fix: r.fix,
    ...(r.action ? { action: JSON.parse(r.action) as unknown } : {}),
    state: r.state,
    openedAt: r.opened_at,
    resolvedAt: r.resolved_at,
  } as Insight;
}

function timelineEvent(i: InsightInput, state: 'opened' | 'resolved', at: number): TimelineEventInput {
  const base = {
    id: `insight-${state}:${i.id}:${at}`,
    time: at,
    severity: state === 'opened' ? i.severity : ('info' as const),
    kind: i.object.kind,
    namespace: i.object.namespace,
    name: i.object.name,
    ...(i.owner ? { owner: i.owner } : {}),
    summary: state === 'opened' ? i.title : `Resolved: ${i.title}`,
    data: { insightId: i.id, check: i.check, title: i.title, fix: state === 'opened' ? i.fix : null },
  };
  return state === 'opened' ? { ...base, type: 'insight-opened' } : { ...base, type: 'insight-resolved' };
}

export class InsightStore {
  constructor(private readonly db: HubDb) {}

  /**
   * Applies what the agent reported: `opened` are open now (new, reopened or
   * changed); `resolved` ids are no longer; with `complete`, every open insight
   * not in `opened` is resolved too (a snapshot). Returns the new timeline events.
   */
  async apply(
    cluster: string,
    opened: readonly InsightInput[],
    resolved: readonly string[],
    complete: boolean,
    now = Date.now(),
  ): Promise<TimelineEvent[]> {
    return this.db.transaction().execute((trx) => this.applyIn(trx, cluster, opened, resolved, complete, now));
  }

  /** apply within the caller's transaction (the agent links' group commit). */
  async applyIn(
    trx: Transaction<Database>,
    cluster: string,
    opened: readonly InsightInput[],
    resolved: readonly string[],
    complete: boolean,
    now = Date.now(),
  ): Promise<TimelineEvent[]> {
    const events: TimelineEventInput[] = [];
    const current = new Map(
      (
        await trx
          .selectFrom('insights')
          .selectAll()
          .where('cluster_id', '=', cluster)
          .where('state', '=', 'open')
          .execute()
      ).map((r) => [r.id, r]),
    );
    for (const i of opened) {
      const before = current.get(i.id) ?? (await this.row(trx, cluster, i.id));
      const stillOpen = before?.state === 'open';
      const values = {
        check_id: i.check,
        kind: i.object.kind,
        namespace: i.object.namespace,
        name: i.object.name,
        owner_kind: i.owner?.kind ?? null,
        owner_name: i.owner?.name ?? null,
        severity: i.severity,
        title: i.title,
        fix: i.fix,
        // The earliest start wins: a re-evaluation or an agent restart does not make it younger.
        since: stillOpen ? Math.min(before.since, i.since) : i.since,
        evidence: JSON.stringify(i.evidence),
        action: i.action ? JSON.stringify(i.action) : null,
        state: 'open',
        opened_at: stillOpen ? before.opened_at : now,
        resolved_at: null,
        updated_at: now,
      };
      if (before) {
        await trx
          .updateTable('insights')
          .set(values)
          .where('cluster_id', '=', cluster)
          .where('id', '=', i.id)
          .execute();
      } else {
        await trx
          .insertInto('insights')
          .values({ cluster_id: cluster, id: i.id, ...values })
          .execute();
      }
      if (!stillOpen) events.push(timelineEvent(i, 'opened', now));
    }
    const keep = new Set(opened.map((i) => i.id));
    const toResolve = complete
      ? [...current.keys()].filter((id) => !keep.has(id))
      : resolved.filter((id) => !keep.has(id));
    for (const id of toResolve) {
      const r = current.get(id);
      if (!r) continue;
      await trx
        .updateTable('insights')
        .set({ state: 'resolved', resolved_at: now, updated_at: now })
        .where('cluster_id', '=', cluster)
        .where('id', '=', id)
        .execute();
      const i = rowToInsight(r);
      events.push(timelineEvent(i, 'resolved', now));
    }
    return insertTimelineEvents(trx, cluster, events);
  }

  private async row(trx: Transaction<Database>, cluster: string, id: string): Promise<InsightRow | undefined> {
    return trx
      .selectFrom('insights')
      .selectAll()
      .where('cluster_id', '=', cluster)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Open ones first (newest since first), then resolved (newest first); rows of hidden namespaces left out. */
  async query(
    cluster: string,
    q: InsightQuery,
    namespaceAllowed: (ns: string) => boolean = () => true,
  ): Promise<Insight[]> {
    let sel = this.db.selectFrom('insights').selectAll().where('cluster_id', '=', cluster);
    if (q.state) sel = sel.where('state', '=', q.state);
    if (q.namespace !== undefined) sel = sel.where('namespace', '=', q.namespace);
    if (q.kind && q.name) {
      const { kind, name } = q;
      // A workload's insights include its pods' (owner), as its timeline does.
      sel = sel.where((eb) =>
        eb.or([
          eb.and([eb('kind', '=', kind), eb('name', '=', name)]),
          eb.and([eb('owner_kind', '=', kind), eb('owner_name', '=', name)]),
        ]),
      );
    } else if (q.kind) sel = sel.where('kind', '=', q.kind);
    const rows = await sel.orderBy('state').orderBy('since', 'desc').orderBy('id').execute();
    return rows
      .filter((r) => namespaceAllowed(r.namespace))
      .slice(0, q.limit)
      .map(rowToInsight);
  }
}
