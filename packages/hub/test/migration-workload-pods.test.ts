// Migration 020_workload_pods on a store that already holds workloads and pods
// (issue 18): the owner, ready and restarts columns and a workload's health
// level (status) are filled from the stored JSON, so an upgraded hub's
// Workloads page counts pods before the agent sends anything new. Both dialects.
import { Kysely, Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeDialect, type HubDb } from '../src/store/db.js';
import { InventoryStore } from '../src/inventory/inventory-store.js';
import { migrationProvider } from '../src/store/migrations.js';
import type { Database } from '../src/store/schema.js';
import { deploymentSummary, runningPodSummary } from './support/inventory-items.js';
import { storeFactories } from './support/store-factories.js';

describe.each(storeFactories)('migration 020_workload_pods backfills ($name store)', (store) => {
  let db: HubDb;
  beforeAll(async () => {
    db = new Kysely<Database>({ dialect: storeDialect(await store.options()) });
    const migrator = new Migrator({ db, provider: migrationProvider });
    const before = await migrator.migrateTo('019_timeline_object_seq');
    expect(before.error).toBeUndefined();
    await db
      .insertInto('clusters')
      .values({ id: 'c1', created_at: 0, created_by: 't', token_hash: 'x', capabilities: '{}', connected: 0 })
      .execute();
    const row = (uid: string, kind: string, name: string, item: Record<string, unknown>): Record<string, unknown> => {
      const data = { kind, namespace: 'ns', name, uid, resourceVersion: '1', createdAt: 1, labels: {}, ...item };
      return {
        cluster_id: 'c1',
        uid,
        kind,
        namespace: 'ns',
        name,
        resource_version: '1',
        data: JSON.stringify(data),
        updated_at: 0,
      };
    };
    const owned = (kind: string, name: string) => [{ kind, name, uid: `u-${name}` }];
    const pod = (uid: string, name: string, ready: boolean, restarts: number) =>
      row(uid, 'Pod', name, {
        ownerRefs: owned('ReplicaSet', 'web-1'),
        summary: { ...runningPodSummary(), ready, restarts },
      });
    await db
      .insertInto('resources')
      .values([
        row('d1', 'Deployment', 'web', {
          ownerRefs: [],
          summary: { ...deploymentSummary(3), readyReplicas: 1 },
        }),
        row('r1', 'ReplicaSet', 'web-1', {
          ownerRefs: owned('Deployment', 'web'),
          summary: { replicas: 3, readyReplicas: 1, availableReplicas: 1, images: [] },
        }),
        pod('p1', 'web-1-a', true, 2),
        pod('p2', 'web-1-b', false, 5),
        pod('p3', 'web-1-c', false, 0),
        row('p4', 'Pod', 'bare', { ownerRefs: [], summary: runningPodSummary() }),
      ] as never)
      .execute();
    const after = await migrator.migrateToLatest();
    expect(after.error).toBeUndefined();
  });
  afterAll(() => db.destroy());

  it("counts a Deployment's pods through its ReplicaSet from the stored JSON, and knows it is unhealthy", async () => {
    const inventory = new InventoryStore(db);
    const page = await inventory.workloadPage('c1', { kind: 'Deployment', unhealthy: true, limit: 10 });
    expect(page.items.map((r) => [r.workload.name, r.pods.total, r.pods.ready, r.pods.restarts])).toEqual([
      ['web', 3, 1, 7],
    ]);
    expect(page.items[0]?.pods.notReady?.name).toMatch(/^web-1-[bc]$/);
  });
});
