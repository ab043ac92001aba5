// Opens the hub's embedded SQLite store and brings its schema up to date.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

export type HubDb = Kysely<Database>;

export interface OpenStoreOptions {
  /** Directory holding hub.db; ':memory:' for an in-memory store (tests). */
  dataDir: string;
}

export async function openDatabase(opts: OpenStoreOptions): Promise<HubDb> {
  let file = ':memory:';
  if (opts.dataDir !== ':memory:') {
    // The store holds password hashes, session hashes, recordings and the audit log: owner only.
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    chmodSync(opts.dataDir, 0o700);
    file = join(opts.dataDir, 'hub.db');
    // Created 0600 before SQLite opens it; SQLite gives -wal and -shm the database file's mode.
    closeSync(openSync(file, 'a', 0o600));
  }
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  // Files an older hub created world-readable are tightened too.
  if (file !== ':memory:') for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  // Durable before acknowledged: a commit is on disk before the API answers.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    await db.destroy();
    throw new Error(
      `store migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
    );
  }
  return db;
}
