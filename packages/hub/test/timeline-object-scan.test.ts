// A workload's timeline at size (issue 18: a workload with 100k events): the
// pages of a Deployment's timeline (its own events and its pods') are right —
// newest first, filtered by range and type, cursor pages with no gap or
// repeat — on both dialects; and on SQLite every statement of a page is an
// ordered seek on the object's index, never a sort of its whole history
// (that sort took seconds a page at 100k events).
import type { TimelineEventInput, TimelineEventType } from '@wheelhouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterStore } from '../src/clusters/cluster-store.js';
import { openDatabase, type HubDb } from '../src/store/db.js';
import { TimelineStore, type TimelineQuery } from '../src/timeline/timeline-store.js';
import { plansOf } from './support/query-plans.js';
import { storeFactories } from './support/store-factories.js';

const N = 12_000;
const T0 = 1_750_000_000_000;

/** Event i: a restart, an Event or a phase change of one of api's pods, of api itself, or of another workload's pod. */
function event(i: number): TimelineEventInput {
  const which = i % 10 === 0 ? 'own' : i % 10 < 7 ? 'pod' : 'other';
  const type: TimelineEventType = i % 3 === 0 ? 'container-restart' : i % 3 === 1 ? 'k8s-event' : 'pod-phase';
  return {
    id: `e${i}`,
    // Times not in seq order (an agent's batch arrives late): the range filter is by time, the order by seq.
    time: T0 + i * 1000 + (i % 7) * 5000,
    type,
    severity: 'info',
    kind: which === 'own' ? 'Deployment' : 'Pod',
    namespace: 'shop',
    name: which === 'own' ? 'api' : which === 'pod' ? `api-7c9-${i % 40}` : `web-5d8-${i % 40}`,
    ...(which === 'pod' ? { owner: { kind: 'Deployment', name: 'api' } } : {}),
    ...(which === 'other' ? { owner: { kind: 'Deployment', name: 'web' } } : {}),
    summary: `event ${i}`,
    data: { i },
  } as unknown as TimelineEventInput;
}

const all = Array.from({ length: N }, (_, i) => event(i));

/** A store holding cluster c1's N events (the cluster registered as the hub registers one). */
async function seeded(open: () => Promise<HubDb>): Promise<HubDb> {
  const db = await open();
  await new ClusterStore(db).create('c1', 't');
  const timeline = new TimelineStore(db);
  for (let i = 0; i < N; i += 2000) await timeline.insert('c1', all.slice(i, i + 2000));
  return db;
}

describe.each(storeFactories)("a workload's timeline at size ($name)", (store) => {
  let db: HubDb;
  let timeline: TimelineStore;
  beforeAll(async () => {
    db = await seeded(() => store.open());
    timeline = new TimelineStore(db);
  }, 120_000);
  afterAll(() => db.destroy());

  /** Every page of a query, in order, as event ids. */
  async function walk(q: Omit<TimelineQuery, 'limit' | 'cursor'>, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: number | undefined;
    for (;;) {
      const page = await timeline.query('c1', { ...q, limit, ...(cursor !== undefined ? { cursor } : {}) });
      ids.push(...page.items.map((e) => e.id));
      if (page.nextCursor === null) return ids;
      expect(page.items).toHaveLength(limit);
      cursor = page.nextCursor;
    }
  }

  /** What the query must answer: the workload's own and its pods' events, filtered, newest (last stored) first. */
  const expected = (keep: (e: TimelineEventInput) => boolean): string[] =>
    all
      .filter((e) => (e.kind === 'Deployment' && e.name === 'api') || e.owner?.name === 'api')
      .filter(keep)
      .map((e) => e.id)
      .reverse();

  it('pages its own and its pods’ events newest first, every one once', async () => {
    const ids = await walk({ namespace: 'shop', kind: 'Deployment', name: 'api' }, 997);
    expect(ids).toEqual(expected(() => true));
  });

  it('counts the events of a range by type, as many as the pages hold', async () => {
    const from = T0 + 3000 * 1000;
    const to = T0 + 9000 * 1000;
    const counts = await timeline.counts('c1', { namespace: 'shop', kind: 'Deployment', name: 'api', from, to });
    const inRange = expected((e) => e.time >= from && e.time <= to);
    const byType = (t: string) => expected((e) => e.time >= from && e.time <= to && e.type === t).length;
    expect(counts).toEqual({
      total: inRange.length,
      byType: {
        'container-restart': byType('container-restart'),
        'k8s-event': byType('k8s-event'),
        'pod-phase': byType('pod-phase'),
      },
    });
    // A namespace's view counts every workload's events.
    const ns = await timeline.counts('c1', { namespace: 'shop' });
    expect(ns.total).toBe(N);
  });

  it('filters by time range and type in every page', async () => {
    const from = T0 + 3000 * 1000;
    const to = T0 + 9000 * 1000;
    const ids = await walk(
      { namespace: 'shop', kind: 'Deployment', name: 'api', from, to, types: ['container-restart', 'pod-phase'] },
      250,
    );
    expect(ids).toEqual(expected((e) => e.time >= from && e.time <= to && e.type !== 'k8s-event'));
    expect(ids.length).toBeGreaterThan(1000);
  });

  it('pages a namespace’s and the cluster’s range newest first, the time bound checked on every row', async () => {
    const from = T0 + 3000 * 1000;
    const to = T0 + 9000 * 1000;
    const inRange = all
      .filter((e) => e.time >= from && e.time <= to)
      .map((e) => e.id)
      .reverse();
    expect(await walk({ namespace: 'shop', from, to }, 997)).toEqual(inRange);
    expect(await walk({ from, to, types: ['pod-phase'] }, 500)).toEqual(
      all
        .filter((e) => e.time >= from && e.time <= to && e.type === 'pod-phase')
        .map((e) => e.id)
        .reverse(),
    );
  });
});

// One store for every plan below: seeding 12,000 events is most of these tests' time.
describe("a workload's, a namespace's and the cluster's timeline in SQLite's plan", () => {
  let db: HubDb;
  beforeAll(async () => {
    db = await seeded(() => openDatabase({ dataDir: ':memory:' }));
  }, 120_000);
  afterAll(() => db.destroy());

  /** The store's answer for run, and SQLite's plan of each statement it ran. */
  const timelinePlans = <T>(run: (store: TimelineStore) => Promise<T>) =>
    plansOf(db, (recorded) => run(new TimelineStore(recorded)));

  it('reads a workload’s page by ordered seeks on the object’s indexes (no sort)', async () => {
    const { result: page, plans } = await timelinePlans((store) =>
      store.query('c1', {
        namespace: 'shop',
        kind: 'Deployment',
        name: 'api',
        from: T0,
        types: ['k8s-event'],
        limit: 100,
      }),
    );
    expect(page.items).toHaveLength(100);
    expect(plans).toEqual([
      expect.stringContaining('USING INDEX timeline_by_target_seq'),
      expect.stringContaining('USING INDEX timeline_by_owner_seq'),
    ]);
    for (const p of plans) expect(p).not.toContain('TEMP B-TREE');
  });

  it('counts a workload’s own and its pods’ events in the two covering indexes (no row read)', async () => {
    const range = { namespace: 'shop', kind: 'Deployment', name: 'api', from: T0, to: T0 + 6000 * 1000 };
    const { result, plans } = await timelinePlans(async (store) => ({
      counts: await store.counts('c1', range),
      buckets: await store.buckets('c1', { ...range, buckets: 50 }),
    }));
    expect(result.counts.total).toBeGreaterThan(0);
    expect(result.buckets.buckets.length).toBeGreaterThan(0);
    // Not the dedupe index (cluster, namespace, kind, name, id), whose prefix is the same but which holds no time or type.
    expect(plans).toEqual([
      expect.stringContaining('USING COVERING INDEX timeline_by_target_seq'),
      expect.stringContaining('USING COVERING INDEX timeline_by_owner_seq'),
      expect.stringContaining('USING COVERING INDEX timeline_by_target_seq'),
      expect.stringContaining('USING COVERING INDEX timeline_by_owner_seq'),
    ]);
  });

  const inRange = (from: number, to: number): string[] =>
    all
      .filter((e) => e.time >= from && e.time <= to)
      .map((e) => e.id)
      .reverse();

  it('seeks a namespace’s range by seq, the time bound a filter (no sort)', async () => {
    const from = T0 + 2000 * 1000;
    const to = T0 + 8000 * 1000;
    const { result, plans } = await timelinePlans((store) =>
      store.query('c1', { namespace: 'shop', from, to, limit: 100 }),
    );
    expect(result.items.map((e) => e.id)).toEqual(inRange(from, to).slice(0, 100));
    expect(plans).toEqual([expect.stringContaining('USING INDEX timeline_by_namespace_seq')]);
    expect(plans[0]).not.toContain('TEMP B-TREE');
  });

  it('seeks the cluster’s range by seq, the time bound a filter (no sort)', async () => {
    const from = T0 + 2000 * 1000;
    const { result, plans } = await timelinePlans((store) => store.query('c1', { from, limit: 100 }));
    expect(result.items.map((e) => e.id)).toEqual(inRange(from, Infinity).slice(0, 100));
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatch(/USING (COVERING )?INDEX timeline_by_seq|USING INTEGER PRIMARY KEY/);
    expect(plans[0]).not.toContain('TEMP B-TREE');
  });
});
