// Every statement the hub runs over the timeline (its views, their counts and
// chart, retention) in SQLite's plan: each one seeks an index, a time range
// seeks (cluster_id, time), and every index the ingest pays for (one B-tree
// insert per event each) serves at least one of them — the unique dedupe
// index aside, which the INSERT itself uses. Migration 024 dropped the index
// on time alone, which only retention's delete by age used before it sought
// per cluster.
import type { TimelineEventInput, TimelineEventType } from '@wheelhouse/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore } from '../src/clusters/cluster-store.js';
import { Retention } from '../src/retention/retention.js';
import { openDatabase, type HubDb } from '../src/store/db.js';
import { TimelineStore } from '../src/timeline/timeline-store.js';
import { plansOf } from './support/query-plans.js';

const T0 = 1_750_000_000_000;
const N = 3000;
const from = T0 + 500 * 1000;
const to = T0 + 2000 * 1000;

/** Event i of a cluster: phase changes and Events of a Deployment's pods, and the Deployment's own, over 5 namespaces. */
function event(i: number): TimelineEventInput {
  const own = i % 10 === 0;
  const type: TimelineEventType = i % 2 ? 'pod-phase' : 'k8s-event';
  return {
    id: `e${i}`,
    time: T0 + i * 1000,
    type,
    severity: 'info',
    kind: own ? 'Deployment' : 'Pod',
    namespace: `ns${i % 5}`,
    name: own ? 'api' : `api-${i % 40}`,
    ...(own ? {} : { owner: { kind: 'Deployment', name: 'api' } }),
    summary: `event ${i}`,
    data: { i },
  } as unknown as TimelineEventInput;
}

describe('the timeline statements the hub runs, in SQLite’s plan', () => {
  let db: HubDb;
  /** Every statement on timeline_events below, its plan. */
  const plans: { what: string; plan: string }[] = [];

  /** Runs `run` over a recording store; keeps the plans of its statements on timeline_events. */
  async function planned<T>(what: string, run: (db: HubDb) => Promise<T>): Promise<string[]> {
    const { plans: all } = await plansOf(db, run);
    const mine = all.filter((p) => p.includes('timeline_events'));
    plans.push(...mine.map((plan) => ({ what, plan })));
    return mine;
  }
  const timeline = (what: string, run: (store: TimelineStore) => Promise<unknown>) =>
    planned(what, (recorded) => run(new TimelineStore(recorded)));

  beforeAll(async () => {
    db = await openDatabase({ dataDir: ':memory:' });
    const clusters = new ClusterStore(db);
    const store = new TimelineStore(db);
    for (const c of ['c1', 'c2']) {
      await clusters.create(c, 't');
      await store.insert(
        c,
        Array.from({ length: N }, (_, i) => event(i)),
      );
    }
  }, 60_000);
  afterAll(() => db.destroy());

  it('seeks (cluster_id, time) for the counts and chart of a cluster’s or namespace’s range', async () => {
    const ranged = [
      await timeline('counts, cluster range', (s) => s.counts('c1', { from, to })),
      await timeline('counts, namespace range', (s) => s.counts('c1', { namespace: 'ns1', from, to })),
      await timeline('chart, cluster', (s) => s.buckets('c1', { from, to, buckets: 50 })),
      await timeline('chart, cluster, before a seq', (s) => s.buckets('c1', { from, to, buckets: 50, before: 2000 })),
      await timeline('chart, namespace', (s) => s.buckets('c1', { namespace: 'ns1', from, to, buckets: 50 })),
      // The root-cause hint's lookups (insights/root-cause-lookup.ts): a kind in a namespace within a window.
      await timeline('a kind in a namespace, in a window', (s) =>
        s.query('c1', { namespace: 'ns1', kind: 'ConfigMap', from, to, types: ['spec-change'], limit: 200 }),
      ),
      await timeline('Nodes in a window', (s) =>
        s.query('c1', { namespace: '', kind: 'Node', from, to, types: ['node-condition'], limit: 200 }),
      ),
    ].flat();
    expect(ranged).toHaveLength(7);
    for (const p of ranged) expect(p).toContain('USING INDEX timeline_by_time (cluster_id=? AND time>? AND time<?)');
  });

  it('deletes by age per cluster, seeking (cluster_id, time); every cluster’s old events go', async () => {
    const cutoff = T0 + 100 * 1000;
    const deletes = await planned('retention by age', async (recorded) => {
      const report = await new Retention(recorded, { timelineMaxAgeMs: 1, now: () => cutoff + 1, batchSize: 40 }).run();
      expect(report.timelineDeleted).toBe(2 * 100);
    });
    // Per cluster: two full batches of 40 and the short one (20) that ends it.
    expect(deletes).toHaveLength(2 * 3);
    for (const p of deletes) expect(p).toContain('COVERING INDEX timeline_by_time (cluster_id=? AND time<?)');
    const left = await db
      .selectFrom('timeline_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('time', '<', cutoff)
      .executeTakeFirstOrThrow();
    expect(left.n).toBe(0);
  });

  it('pages the views and walks retention’s size cap by seeks', async () => {
    await timeline('cluster', (s) => s.query('c1', { limit: 100 }));
    await timeline('cluster, range and type', (s) => s.query('c1', { from, to, types: ['pod-phase'], limit: 100 }));
    await timeline('cluster, next page', (s) => s.query('c1', { cursor: 2000, limit: 100 }));
    await timeline('namespace, range', (s) => s.query('c1', { namespace: 'ns1', from, to, limit: 100 }));
    await timeline('object', (s) => s.query('c1', { namespace: 'ns1', kind: 'Deployment', name: 'api', limit: 100 }));
    await timeline('object counts', (s) =>
      s.counts('c1', { namespace: 'ns1', kind: 'Deployment', name: 'api', from, to }),
    );
    await timeline('counts, cluster', (s) => s.counts('c1', {}));
    const bySize = await planned('retention by size', (recorded) =>
      new Retention(recorded, { timelineMaxBytes: 10_000 }).run(),
    );
    // Its first step reads the table newest first by seq (the rowid) up to scanSize rows: SQLite calls that a SCAN.
    expect(bySize[0]).toBe('SCAN timeline_events');
    for (const { what, plan } of plans.filter((p) => p.plan !== bySize[0] || p.what !== 'retention by size')) {
      expect(plan, what).toMatch(/^SEARCH timeline_events USING (COVERING INDEX|INDEX|INTEGER PRIMARY KEY)/);
      expect(plan, what).not.toContain('SCAN');
    }
  });

  it('uses every index on timeline_events but the unique dedupe index (the INSERT’s)', async () => {
    expect(plans.length).toBeGreaterThan(20); // the tests above ran first
    const indexes = await sql<{ name: string }>`SELECT name FROM pragma_index_list('timeline_events')
      WHERE "unique" = 0 AND origin = 'c'`.execute(db);
    const used = new Set(plans.flatMap(({ plan }) => [...plan.matchAll(/INDEX (\w+)/g)].map((m) => m[1])));
    const unused = indexes.rows.map((r) => r.name).filter((name) => !used.has(name));
    expect(unused).toEqual([]);
  });
});
