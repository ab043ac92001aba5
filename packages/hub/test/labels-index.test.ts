// Migration 025_resource_labels_gin on a PostgreSQL store that already holds
// pods (issue 18: a Service's pods at 100k): after the upgrade, a selector is
// answered from the labels index — the pods stored before it included (the
// build fills it) and the ones the agent sends after — and still within the
// namespace asked. Without the index the plan reads every pod of the
// namespace, parsing each one's JSON.
import { Kysely, Migrator, sql, type CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryItem } from '@wheelhouse/protocol';
import { InventoryStore } from '../src/inventory/inventory-store.js';
import { storeDialect, type HubDb } from '../src/store/db.js';
import { migrationProvider } from '../src/store/migrations.js';
import type { Database } from '../src/store/schema.js';
import { runningPodSummary } from './support/inventory-items.js';
import { planOf, recording } from './support/query-plans.js';
import { newPostgresStore } from './support/store-factories.js';

/** Pods of a namespace: 3 of `count` carry app=checkout-api; every other one tier=frontend. */
function pods(namespace: string, count: number, from = 0): InventoryItem[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    return {
      kind: 'Pod',
      namespace,
      name: `pod-${String(i).padStart(5, '0')}`,
      uid: `${namespace}-${String(i)}`,
      resourceVersion: '1',
      createdAt: 1_700_000_000_000 + i * 1000,
      labels: {
        app: i < 3 ? 'checkout-api' : `app-${String(i % 40)}`,
        tier: i % 2 === 0 ? 'frontend' : 'backend',
        'pod-template-hash': String(i % 97),
      },
      ownerRefs: [],
      summary: runningPodSummary(),
    };
  });
}

describe('migration 025_resource_labels_gin: a selector read from the labels index (postgres store)', () => {
  let db: HubDb;
  beforeAll(async () => {
    db = new Kysely<Database>({ dialect: storeDialect(await newPostgresStore()) });
    const migrator = new Migrator({ db, provider: migrationProvider });
    expect((await migrator.migrateTo('023_timeline_dedupe_by_object')).error).toBeUndefined();
    await db
      .insertInto('clusters')
      .values({ id: 'c1', created_at: 0, created_by: 't', token_hash: 'x', capabilities: '{}', connected: 0 })
      .execute();
    // Stored before the upgrade, as the agent sent them: 3,000 pods in checkout, and the same labels in another namespace.
    const store = new InventoryStore(db);
    const before = [...pods('checkout', 3000), ...pods('other', 500)];
    for (let i = 0; i < before.length; i += 500) await store.applyChanges('c1', before.slice(i, i + 500), []);
    // The planner's statistics as autovacuum keeps them on a store in use; none yet for the index's
    // expression (the upgrade builds the index, nothing analyzes it): the planner must take it right away.
    await sql`ANALYZE resources`.execute(db);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
  });
  afterAll(() => db.destroy());

  /** The Service's pods as the console asks (newest first), their uids, and the plan of the statement. */
  async function servicePods(selector: Record<string, string>): Promise<{ uids: string[]; plan: string }> {
    const rec = recording(db);
    const page = await new InventoryStore(rec.db).query('c1', {
      kind: 'Pod',
      namespace: 'checkout',
      selector,
      sort: 'age',
      order: 'desc',
      limit: 100,
      count: true,
    });
    const statement: CompiledQuery | undefined = rec.statements[0];
    expect(page.total).toBe(page.items.length);
    return { uids: page.items.map((p) => p.uid), plan: await planOf(db, statement) };
  }

  it('finds the pods stored before the upgrade through resources_by_labels, in the namespace asked only', async () => {
    const { uids, plan } = await servicePods({ app: 'checkout-api', tier: 'frontend' });
    // checkout-0 and checkout-2 (tier=frontend); other-0 and other-2 carry the same labels in another namespace.
    expect(uids).toEqual(['checkout-2', 'checkout-0']);
    expect(plan).toContain('Bitmap Index Scan on resources_by_labels');
    expect(plan).toMatch(/Index Cond: .*'labels'.*@> '\{"app": "checkout-api", "tier": "frontend"\}'/);
    // The cluster, kind and namespace are still asked of every row (an index condition or a filter).
    expect(plan).toMatch(/namespace = 'checkout'::text/);
  });

  it('follows the agent’s changes: a pod added, relabelled or deleted after the upgrade', async () => {
    const store = new InventoryStore(db);
    const [added] = pods('checkout', 1, 3000).map((p) => ({ ...p, labels: { ...p.labels, app: 'checkout-api' } }));
    if (!added) throw new Error('pod');
    await store.applyChanges('c1', [added], []);
    expect((await servicePods({ app: 'checkout-api' })).uids).toEqual([
      'checkout-3000',
      'checkout-2',
      'checkout-1',
      'checkout-0',
    ]);
    const [relabelled] = pods('checkout', 1, 1);
    if (!relabelled) throw new Error('pod');
    await store.applyChanges('c1', [{ ...relabelled, labels: { app: 'checkout-web' }, resourceVersion: '2' }], []);
    await store.applyChanges('c1', [], [{ uid: 'checkout-0' }]);
    const after = await servicePods({ app: 'checkout-api' });
    expect(after.uids).toEqual(['checkout-3000', 'checkout-2']);
    expect(after.plan).toContain('resources_by_labels');
  });
});
