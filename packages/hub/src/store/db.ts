// Opens the hub's store — embedded SQLite (default) or PostgreSQL — and brings
// its schema up to date with the one set of migrations both dialects share.
import { Kysely, Migrator, type Dialect } from 'kysely';
import { migrationProvider } from './migrations.js';
import { isPostgresUrl, postgresDialect } from './postgres.js';
import type { Database } from './schema.js';
import { sqliteConnectionOf, sqliteDialect, timelineWriterOf, walCheckpointerOf } from './sqlite.js';
import type { SqliteTimelineWriter, TimelineWriterOptions } from './sqlite-writer.js';
import type { SqliteWalCheckpointer, WalCheckpointOptions } from './sqlite-checkpointer.js';
import type BetterSqlite3 from 'better-sqlite3';

export type HubDb = Kysely<Database>;

export interface OpenStoreOptions {
  /** Directory holding hub.db; ':memory:' for an in-memory store (tests). Used when `store` is unset. */
  dataDir?: string;
  /** A postgres:// URL: the store is that PostgreSQL database instead of hub.db. */
  store?: string;
  /** The PostgreSQL password (from --store-password-file); overrides one in the URL. */
  storePassword?: string;
  /** Embedded store on a file: tune the WAL checkpoint worker, or false to leave checkpoints to SQLite (in commits). */
  walCheckpoint?: WalCheckpointOptions | false;
  /** Embedded store on a file: tune the timeline writer thread, or false to store timeline events on the hub's connection. */
  timelineWriter?: TimelineWriterOptions | false;
}

export function storeDialect(opts: OpenStoreOptions): Dialect {
  if (opts.store !== undefined && opts.store !== '') {
    if (!isPostgresUrl(opts.store)) throw new Error('--store must be a postgres:// or postgresql:// URL');
    return postgresDialect({
      url: opts.store,
      ...(opts.storePassword !== undefined ? { password: opts.storePassword } : {}),
    });
  }
  const writer: TimelineWriterOptions | false =
    opts.timelineWriter === false ? false : { autocheckpoint: opts.walCheckpoint === false, ...opts.timelineWriter };
  return sqliteDialect(opts.dataDir ?? ':memory:', opts.walCheckpoint, writer);
}

/** Stores openDatabase opened on SQLite → their better-sqlite3 connection. */
const sqliteConnections = new WeakMap<HubDb, BetterSqlite3.Database>();

/**
 * The better-sqlite3 connection under an embedded store that openDatabase
 * opened, for the one hot path that skips Kysely (timeline ingest: a prepared
 * statement reused row by row). Use it only inside a Kysely transaction or
 * connection of that store — Kysely serializes the one connection, so raw
 * statements then run in that transaction, never interleaved with another.
 */
export function sqliteConnection(db: HubDb): BetterSqlite3.Database | undefined {
  return sqliteConnections.get(db);
}

/** Stores openDatabase opened on an SQLite file → the worker checkpointing their WAL. */
const walCheckpointers = new WeakMap<HubDb, SqliteWalCheckpointer>();

/** The WAL checkpointer of an embedded store on a file (metrics read its stats; tests stop its worker). */
export function walCheckpointer(db: HubDb): SqliteWalCheckpointer | undefined {
  return walCheckpointers.get(db);
}

/** Stores openDatabase opened on an SQLite file → their timeline writer thread. */
const timelineWriters = new WeakMap<HubDb, SqliteTimelineWriter>();

/** The timeline writer of an embedded store on a file (the agent links' ingest; metrics; tests stop its worker). */
export function timelineWriter(db: HubDb): SqliteTimelineWriter | undefined {
  return timelineWriters.get(db);
}

export async function openDatabase(opts: OpenStoreOptions): Promise<HubDb> {
  const dialect = storeDialect(opts);
  const db = new Kysely<Database>({ dialect });
  const sqlite = sqliteConnectionOf(dialect);
  if (sqlite) sqliteConnections.set(db, sqlite);
  const checkpointer = walCheckpointerOf(dialect);
  if (checkpointer) walCheckpointers.set(db, checkpointer);
  const writer = timelineWriterOf(dialect);
  if (writer) timelineWriters.set(db, writer);
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}

/**
 * Applies pending migrations. On PostgreSQL, Kysely's migrator first takes a
 * session advisory lock (pg_advisory_lock on one connection; others wait, up
 * to an hour) and runs all pending migrations in one transaction: replicas
 * starting together migrate once (the second finds nothing pending), and a
 * failed migration leaves nothing half-done. Proved by replicas-migrate.test.ts.
 */
export async function migrate(db: HubDb): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `store migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
    );
  }
}
