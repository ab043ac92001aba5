// Migration 017_pod_node on a store that already holds pods (issue 18): the
// new node column is filled from each pod's stored JSON (other kinds and
// unscheduled pods get ''), so pods-by-node counts an upgraded hub's pods
// before the agent sends anything new. Both dialects.
import { Kysely, Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeDialect, type HubDb } from '../src/store/db.js';
import { InventoryStore } from '../src/inventory/inventory-store.js';
import { migrationProvider } from '../src/store/migrations.js';
import type { Database } from '../src/store/schema.js';
import { runningPodSummary } from './support/inventory-items.js';
import { storeFactories } from './support/store-factories.js';

describe.each(storeFactories)('migration 017_pod_node backfills ($name store)', (store) => {
  let db: HubDb;
  beforeAll(async () => {
    db = new Kysely<Database>({ dialect: storeDialect(await store.options()) });
    const migrator = new Migrator({ db, provider: migrationProvider });
    const before = await migrator.migrateTo('016_replicas');
    expect(before.error).toBeUndefined();
    await db
      .insertInto('clusters')
      .values({ id: 'c1', created_at: 0, created_by: 't', token_hash: 'x', capabilities: '{}', connected: 0 })
      .execute();
    const row = (uid: string, kind: string, nodeName: string | null, name: string): Record<string, unknown> => ({
      cluster_id: 'c1',
      uid,
      kind,
      namespace: kind === 'Node' ? '' : 'ns',
      name,
      resource_version: '1',
      data: JSON.stringify({ kind, name, summary: { ...runningPodSummary(), nodeName } }),
      updated_at: 0,
    });
    await db
      .insertInto('resources')
      .values([
        row('u1', 'Pod', 'node-a', 'p1'),
        row('u2', 'Pod', 'node-a', 'p2'),
        row('u3', 'Pod', 'node-b', 'p3'),
        row('u4', 'Pod', null, 'p4'),
        row('u5', 'Node', 'node-a', 'node-a'),
      ] as never)
      .execute();
    const after = await migrator.migrateToLatest();
    expect(after.error).toBeUndefined();
  });
  afterAll(() => db.destroy());

  it('fills the node column from the stored pods', async () => {
    expect(await new InventoryStore(db).podsOnNodes('c1', ['node-a', 'node-b', 'node-c'])).toEqual([
      { node: 'node-a', pods: 2 },
      { node: 'node-b', pods: 1 },
      { node: 'node-c', pods: 0 },
    ]);
  });
});
