// The embedded SQLite store: one file, hub.db, in the data directory (the default).
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteDialect,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import { SqliteWalCheckpointer, type WalCheckpointOptions } from './sqlite-checkpointer.js';
import { SQLITE_CONNECTION_PRAGMAS } from './sqlite-pragmas.js';
import type { SqliteWriteTurn } from './sqlite-write-turn.js';
import { SqliteTimelineWriter, type TimelineWriterOptions } from './sqlite-writer.js';

/** Each dialect sqliteDialect made → its better-sqlite3 connection (the hub's; on a file the writer thread has another). */
const connections = new WeakMap<Dialect, BetterSqlite3.Database>();
/** Each file-backed dialect → the worker that checkpoints its WAL. */
const checkpointers = new WeakMap<Dialect, SqliteWalCheckpointer>();
/** Each file-backed dialect → the write turn its connections share, and the timeline writer thread. */
const writers = new WeakMap<Dialect, SqliteTimelineWriter>();

/** The WAL checkpointer of a dialect sqliteDialect made on a file (undefined for ':memory:', PostgreSQL, or when off). */
export function walCheckpointerOf(dialect: Dialect): SqliteWalCheckpointer | undefined {
  return checkpointers.get(dialect);
}

/** The timeline writer of a dialect sqliteDialect made on a file (undefined for ':memory:', PostgreSQL, or when off). */
export function timelineWriterOf(dialect: Dialect): SqliteTimelineWriter | undefined {
  return writers.get(dialect);
}

/**
 * The embedded store on a file: its hub connection writes only while it holds
 * the write turn (sqlite-write-turn.ts), which the timeline writer thread
 * shares — so the event loop never waits on SQLite's write lock; destroy stops
 * the writer (draining it) and the checkpoint worker before closing the connection.
 */
class FileSqliteDialect extends SqliteDialect {
  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly checkpointer: SqliteWalCheckpointer | undefined,
    private readonly writer: SqliteTimelineWriter | undefined,
  ) {
    super({ database });
  }
  override createDriver(): Driver {
    const driver = super.createDriver();
    const destroy = driver.destroy.bind(driver);
    driver.destroy = async () => {
      await this.writer?.close();
      await this.checkpointer?.close();
      await destroy();
    };
    const turn = this.writer?.turn;
    return turn ? new TurnTakingDriver(driver, this.database, turn) : driver;
  }
}

/**
 * Kysely's SQLite driver, with the write turn taken before every write
 * transaction (BEGIN IMMEDIATE: the write lock at once, so a transaction never
 * finds at its first write that the writer thread committed after its read
 * snapshot — SQLITE_BUSY_SNAPSHOT) and before every statement that writes
 * outside a transaction; released once the connection is out of its
 * transaction. Kysely runs one query or transaction at a time on the one
 * connection, so the turn is never taken twice by the hub.
 */
class TurnTakingDriver implements Driver {
  private readonly statements: ReadonlyStatements;
  constructor(
    private readonly inner: Driver,
    private readonly sqlite: BetterSqlite3.Database,
    private readonly turn: SqliteWriteTurn,
  ) {
    this.statements = new ReadonlyStatements(sqlite);
  }
  init(): Promise<void> {
    return this.inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new TurnTakingConnection(await this.inner.acquireConnection(), this.sqlite, this.turn, this.statements);
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.turn.acquire();
    try {
      await innerOf(connection).executeQuery(CompiledQuery.raw('begin immediate'));
    } catch (err) {
      this.turn.release();
      throw err;
    }
  }
  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.ending(connection, 'commit');
  }
  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.ending(connection, 'rollback');
  }
  private async ending(connection: DatabaseConnection, statement: string): Promise<void> {
    try {
      await innerOf(connection).executeQuery(CompiledQuery.raw(statement));
    } finally {
      // A COMMIT that failed leaves the transaction open (Kysely rolls it back next): the turn stays until then.
      if (!this.sqlite.inTransaction) this.turn.release();
    }
  }
  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['savepoint']>>[2],
  ): Promise<void> {
    await this.inner.savepoint?.(innerOf(connection), name, compile);
  }
  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['rollbackToSavepoint']>>[2],
  ): Promise<void> {
    await this.inner.rollbackToSavepoint?.(innerOf(connection), name, compile);
  }
  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['releaseSavepoint']>>[2],
  ): Promise<void> {
    await this.inner.releaseSavepoint?.(innerOf(connection), name, compile);
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerOf(connection));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** Past this many distinct statements the cache starts over (SQL with inlined values would grow it). */
const READONLY_CACHE_MAX = 1000;

/**
 * Whether a statement only reads, by its SQL, asked of SQLite once: preparing it again (beside
 * Kysely's driver) for every write outside a transaction costs CPU and a native statement freed
 * only at GC — the hub's hot statements are few and repeat.
 */
class ReadonlyStatements {
  private readonly bySql = new Map<string, boolean>();
  constructor(private readonly sqlite: BetterSqlite3.Database) {}
  readsOnly(sql: string): boolean {
    let known = this.bySql.get(sql);
    if (known === undefined) {
      known = this.sqlite.prepare(sql).readonly;
      if (this.bySql.size >= READONLY_CACHE_MAX) this.bySql.clear();
      this.bySql.set(sql, known);
    }
    return known;
  }
}

class TurnTakingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly sqlite: BetterSqlite3.Database,
    private readonly turn: SqliteWriteTurn,
    private readonly statements: ReadonlyStatements,
  ) {}
  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.sqlite.inTransaction || SelectQueryNode.is(query.query) || this.statements.readsOnly(query.sql)) {
      return this.inner.executeQuery<R>(query);
    }
    // A write on its own (its own implicit transaction): the turn for that statement.
    await this.turn.acquire();
    try {
      return await this.inner.executeQuery<R>(query);
    } finally {
      this.turn.release();
    }
  }
  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

const innerOf = (c: DatabaseConnection): DatabaseConnection => (c instanceof TurnTakingConnection ? c.inner : c);

/** The better-sqlite3 connection behind a dialect sqliteDialect made (undefined for any other). */
export function sqliteConnectionOf(dialect: Dialect): BetterSqlite3.Database | undefined {
  return connections.get(dialect);
}

/**
 * dataDir ':memory:' opens an in-memory store (tests). On a file, a worker
 * thread checkpoints the WAL (sqlite-checkpointer.ts) unless `walCheckpoint`
 * is false (then SQLite checkpoints inside commits, on the event loop), and a
 * writer thread stores the agents' timeline events (sqlite-writer.ts) unless
 * `timelineWriter` is false.
 */
export function sqliteDialect(
  dataDir: string,
  walCheckpoint: WalCheckpointOptions | false = {},
  timelineWriter: TimelineWriterOptions | false = {},
): SqliteDialect {
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
  // synchronous = FULL (durable before acknowledged) and the rest, as the writer thread's connection takes them.
  for (const p of SQLITE_CONNECTION_PRAGMAS) sqlite.pragma(p);
  if (file === ':memory:' || (walCheckpoint === false && timelineWriter === false)) {
    const dialect = new SqliteDialect({ database: sqlite });
    connections.set(dialect, sqlite);
    return dialect;
  }
  const checkpointer = walCheckpoint === false ? undefined : new SqliteWalCheckpointer(sqlite, file, walCheckpoint);
  const writer =
    timelineWriter === false
      ? undefined
      : new SqliteTimelineWriter(file, {
          // As the hub's connection (the checkpointer set it): the writer's commits rewind the WAL too.
          journalSizeLimit: sqlite.pragma('journal_size_limit', { simple: true }) as number,
          ...timelineWriter,
        });
  const dialect = new FileSqliteDialect(sqlite, checkpointer, writer);
  connections.set(dialect, sqlite);
  if (checkpointer) checkpointers.set(dialect, checkpointer);
  if (writer) writers.set(dialect, writer);
  return dialect;
}
