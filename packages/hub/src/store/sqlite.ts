// The embedded SQLite store: one file, hub.db, in the data directory (the default).
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteDialect, type Dialect, type Driver } from 'kysely';
import { SqliteWalCheckpointer, type WalCheckpointOptions } from './sqlite-checkpointer.js';

/** Each dialect sqliteDialect made → its better-sqlite3 connection (the store's only one). */
const connections = new WeakMap<Dialect, BetterSqlite3.Database>();
/** Each file-backed dialect → the worker that checkpoints its WAL. */
const checkpointers = new WeakMap<Dialect, SqliteWalCheckpointer>();

/** The WAL checkpointer of a dialect sqliteDialect made on a file (undefined for ':memory:', PostgreSQL, or when off). */
export function walCheckpointerOf(dialect: Dialect): SqliteWalCheckpointer | undefined {
  return checkpointers.get(dialect);
}

/** A SqliteDialect whose destroy stops the checkpoint worker before closing the connection. */
class CheckpointedSqliteDialect extends SqliteDialect {
  constructor(
    database: BetterSqlite3.Database,
    private readonly checkpointer: SqliteWalCheckpointer,
  ) {
    super({ database });
  }
  override createDriver(): Driver {
    const driver = super.createDriver();
    const destroy = driver.destroy.bind(driver);
    driver.destroy = async () => {
      await this.checkpointer.close();
      await destroy();
    };
    return driver;
  }
}

/** The better-sqlite3 connection behind a dialect sqliteDialect made (undefined for any other). */
export function sqliteConnectionOf(dialect: Dialect): BetterSqlite3.Database | undefined {
  return connections.get(dialect);
}

/**
 * dataDir ':memory:' opens an in-memory store (tests). On a file, a worker
 * thread checkpoints the WAL (sqlite-checkpointer.ts) unless `walCheckpoint`
 * is false (then SQLite checkpoints inside commits, on the event loop).
 */
export function sqliteDialect(dataDir: string, walCheckpoint: WalCheckpointOptions | false = {}): SqliteDialect {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    // The store holds password hashes, session hashes, recordings and the audit log: owner only.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    file = join(dataDir, 'hub.db');
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
  if (file === ':memory:' || walCheckpoint === false) {
    const dialect = new SqliteDialect({ database: sqlite });
    connections.set(dialect, sqlite);
    return dialect;
  }
  const checkpointer = new SqliteWalCheckpointer(sqlite, file, walCheckpoint);
  const dialect = new CheckpointedSqliteDialect(sqlite, checkpointer);
  connections.set(dialect, sqlite);
  checkpointers.set(dialect, checkpointer);
  return dialect;
}
