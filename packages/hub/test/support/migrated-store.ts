// A new PostgreSQL store migrated up to one migration (or all), holding cluster c1: what a migration's test
// stores rows into before running the migration under test (migrateToLatest on the returned migrator).
import { Kysely, Migrator } from 'kysely';
import { expect } from 'vitest';
import { storeDialect, type HubDb } from '../../src/store/db.js';
import { migrationProvider } from '../../src/store/migrations.js';
import type { Database } from '../../src/store/schema.js';
import { newPostgresStore } from './store-factories.js';

/** `migration`: a migration's name, or 'latest'. */
export async function postgresStoreAt(migration: string): Promise<{ db: HubDb; migrator: Migrator }> {
  const db = new Kysely<Database>({ dialect: storeDialect(await newPostgresStore()) });
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error } = migration === 'latest' ? await migrator.migrateToLatest() : await migrator.migrateTo(migration);
  expect(error).toBeUndefined();
  await db
    .insertInto('clusters')
    .values({ id: 'c1', created_at: 0, created_by: 't', token_hash: 'x', capabilities: '{}', connected: 0 })
    .execute();
  return { db, migrator };
}
