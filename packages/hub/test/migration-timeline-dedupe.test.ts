// Migration 023_timeline_dedupe_by_object on a store that already holds
// timeline events (issue 18: ingest): the events stay, and an agent that
// re-sends them after the upgrade stores nothing twice — on SQLite under the
// new key (cluster, namespace, kind, name, id), on PostgreSQL under the old
// (cluster, id), which the previous version's replicas still insert with
// during a rolling upgrade.
import type { TimelineEventInput } from '@wheelhouse/protocol';
import { Kysely, Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeDialect, type HubDb } from '../src/store/db.js';
import { migrationProvider } from '../src/store/migrations.js';
import type { Database } from '../src/store/schema.js';
import { TimelineStore } from '../src/timeline/timeline-store.js';
import { storeFactories } from './support/store-factories.js';

const event = (i: number, time: number): TimelineEventInput => ({
  id: `pod-phase:uid-${i}:Running/Ready:${i}`,
  time,
  type: 'pod-phase',
  severity: 'info',
  kind: 'Pod',
  namespace: `ns-${i % 3}`,
  name: `pod-${i}`,
  owner: { kind: 'Deployment', name: 'web' },
  summary: `Pod pod-${i}: Pending → Running/Ready`,
  data: { from: 'Pending', to: 'Running/Ready', phase: 'Running', ready: true, nodeName: 'n1' },
});

describe.each(storeFactories)('migration 023_timeline_dedupe_by_object ($name store)', (store) => {
  let db: HubDb;
  beforeAll(async () => {
    db = new Kysely<Database>({ dialect: storeDialect(await store.options()) });
    const migrator = new Migrator({ db, provider: migrationProvider });
    expect((await migrator.migrateTo('022_sso_session_refresh')).error).toBeUndefined();
    await db
      .insertInto('clusters')
      .values({ id: 'c1', created_at: 0, created_by: 't', token_hash: 'x', capabilities: '{}', connected: 0 })
      .execute();
    // Stored by the hub from before the upgrade, under the old key.
    await db
      .insertInto('timeline_events')
      .values(
        [0, 1, 2, 3].map((i) => {
          const e = event(i, 1000 + i);
          return {
            id: e.id,
            cluster_id: 'c1',
            time: e.time,
            type: e.type,
            severity: e.severity,
            kind: e.kind,
            namespace: e.namespace,
            name: e.name,
            owner_kind: 'Deployment',
            owner_name: 'web',
            summary: e.summary,
            data: JSON.stringify(e.data),
          };
        }),
      )
      .execute();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
  });
  afterAll(() => db.destroy());

  it('keeps the stored events, and a re-send after the upgrade stores only what is new', async () => {
    const timeline = new TimelineStore(db);
    // The agent reconnects and re-sends (new times), with one event it had not sent.
    const stored = await timeline.insert(
      'c1',
      [0, 1, 2, 3, 4].map((i) => event(i, 2000 + i)),
    );
    expect(stored.map((e) => e.name)).toEqual(['pod-4']);
    const all = await timeline.query('c1', { limit: 10 });
    expect(all.items.map((e) => [e.name, e.time])).toEqual([
      ['pod-4', 2004],
      ['pod-3', 1003],
      ['pod-2', 1002],
      ['pod-1', 1001],
      ['pod-0', 1000],
    ]);
  });

  // A PostgreSQL store is shared by replicas, old and new side by side while they roll (docs/operations.md).
  if (store.name === 'postgres') {
    it("keeps the previous version's insert working (ON CONFLICT (cluster_id, id)) during a rolling upgrade", async () => {
      const insert = (id: string) => sql`INSERT INTO timeline_events
        (id, cluster_id, time, type, severity, kind, namespace, name, summary, data)
        VALUES (${id}, 'c1', 1, 'k8s-event', 'info', 'Pod', 'ns-0', 'pod-9', 's', '{}')
        ON CONFLICT (cluster_id, id) DO NOTHING RETURNING seq`;
      expect((await insert('old-replica').execute(db)).rows).toHaveLength(1);
      expect((await insert('old-replica').execute(db)).rows).toHaveLength(0);
    });
  }
});
