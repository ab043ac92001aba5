// Store tests run once per dialect: describe.each(storeFactories)('… ($name)', ({ open }) => …).
// SQLite is in memory; PostgreSQL is a fresh database on the run's throw-away
// server (test/postgres, started by the vitest global setup).
import { createDatabase, postgresUrl } from '@wheelhouse/test-postgres';
import { inject } from 'vitest';
import { openDatabase, type HubDb, type OpenStoreOptions } from '../../src/store/db.js';

export interface StoreFactory {
  name: 'sqlite' | 'postgres';
  /** Options for openDatabase/createHub naming a new, empty store. */
  options(): Promise<OpenStoreOptions>;
  /** A new, empty, migrated store. */
  open(): Promise<HubDb>;
}

export async function newPostgresStore(): Promise<OpenStoreOptions> {
  const conn = inject('postgres');
  const database = await createDatabase(conn);
  return { store: postgresUrl(conn, database), storePassword: conn.password };
}

const sqlite: StoreFactory = {
  name: 'sqlite',
  options: () => Promise.resolve({ dataDir: ':memory:' }),
  open: () => openDatabase({ dataDir: ':memory:' }),
};

const postgres: StoreFactory = {
  name: 'postgres',
  options: newPostgresStore,
  open: async () => openDatabase(await newPostgresStore()),
};

export const storeFactories: readonly StoreFactory[] = [sqlite, postgres];
