// The body of the timeline writer thread (sqlite-writer.ts starts it).
//
// A function run with `eval: true`, like the checkpoint worker (see
// sqlite-checkpoint-worker.ts for why): self-contained — no imports, no outer
// names — only its parameters and Node's `require`.
import type BetterSqlite3 from 'better-sqlite3';
import type { TimelineEventInput } from '@wheelhouse/protocol';

/** The timeline INSERT both connections use: `changes` 0 means stored already; a new row's seq is lastInsertRowid. */
export const TIMELINE_INSERT_SQL = `INSERT INTO timeline_events
  (id, cluster_id, time, type, severity, kind, namespace, name, owner_kind, owner_name, summary, data)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;

/** One value bound to TIMELINE_INSERT_SQL. */
export type TimelineColumnValue = string | number | null;

/** Values per row of TIMELINE_INSERT_SQL (its column list). */
export const TIMELINE_COLUMNS = 12;

/**
 * One event's values for TIMELINE_INSERT_SQL, in its column order: the hub's
 * connection (timeline-store.ts) and the writer's jobs (sqlite-writer.ts) bind
 * rows with this one function.
 */
export function timelineRowValues(cluster: string, e: TimelineEventInput): TimelineColumnValue[] {
  return [
    e.id,
    cluster,
    e.time,
    e.type,
    e.severity,
    e.kind,
    e.namespace,
    e.name,
    e.owner?.kind ?? null,
    e.owner?.name ?? null,
    e.summary,
    JSON.stringify(e.data),
  ];
}

export interface WriterWorkerData {
  /** The database file (hub.db). */
  file: string;
  /** Absolute path of the better-sqlite3 package, resolved by the hub (an eval worker resolves from the cwd). */
  sqliteModule: string;
  /** The write turn shared with the hub (sqlite-write-turn.ts). */
  turn: SharedArrayBuffer;
  /** Rows per transaction at most (one job is never split). */
  maxRows: number;
  insertSql: string;
  /** SQLITE_CONNECTION_PRAGMAS (sqlite-pragmas.ts): the settings the hub's connection takes, this one too. */
  pragmas: readonly string[];
  /** Values per row in a job (TIMELINE_COLUMNS). */
  columns: number;
  /** false when the checkpoint worker checkpoints the WAL (as on the hub's connection). */
  autocheckpoint: boolean;
  /**
   * The hub connection's journal_size_limit (bytes; -1: none). Whichever connection writes first after a
   * checkpoint rewinds the WAL and cuts the file back to this: without it here, a rewind by this connection
   * left the -wal file long, and the checkpointer kept checkpointing on the event loop to shorten it.
   */
  journalSizeLimit: number;
  /**
   * With the checkpoint worker on (autocheckpoint false): after each commit this thread checkpoints
   * (PASSIVE) what it wrote, and if the WAL then held this many frames or more, checkpoints the tail
   * again holding the turn before its next transaction, so that transaction rewinds the WAL. Else its
   * big commits outran the checkpoint worker, the WAL never rewound, and the hub's thread checkpointed
   * to rewind it — on the event loop (tens of ms each, seen in the timeline-ingest bench).
   */
  rewindFrames: number;
}

/**
 * One 'timeline' message's rows, bound on the hub's thread: `values` holds
 * TIMELINE_COLUMNS primitives per row, one row after the other (`data`
 * already JSON). A flat array of strings and numbers is what structured clone
 * copies cheapest; cloned event objects (nested `owner` and `data`) and their
 * JSON.stringify cost the writer thread — the one that limits ingest — ~4 µs
 * an event.
 */
export interface WriterJob {
  id: number;
  rows: number;
  values: TimelineColumnValue[];
}

/** What the worker tells the hub. */
export type WriterWorkerMessage =
  | { type: 'ready' }
  /** A job's transaction committed: per event, its seq, or 0 when it was stored already. */
  | { type: 'stored'; id: number; seqs: number[] }
  /** A job failed on its own (its transaction rolled back). */
  | { type: 'failed'; id: number; message: string }
  /** One transaction committed (metrics): split = a coalesced one failed and its jobs went one by one. */
  | { type: 'commit'; jobs: number; rows: number; seconds: number; split: boolean }
  /** The worker could not open the database and has stopped. */
  | { type: 'fatal'; message: string };

interface WorkerDeps {
  parentPort: {
    postMessage(m: WriterWorkerMessage): void;
    on(e: 'message', f: (m: WriterJob | 'stop') => void): void;
  };
  Database: typeof BetterSqlite3;
}

/**
 * The worker: its own connection to hub.db (WAL, synchronous = FULL,
 * foreign keys, busy timeout: as the hub's). Jobs queue as they arrive; after
 * each turn of its event loop every queued job, up to maxRows, goes into one
 * transaction, taken under the write turn (blocking here is fine: this thread
 * does nothing else). A transaction that fails is retried job by job, so a
 * bad job fails alone.
 */
export function writerWorkerMain(data: WriterWorkerData, deps: WorkerDeps): void {
  const { parentPort, Database } = deps;
  const HOLDER = 0;
  const HUB_WAITING = 1;
  const FREE = 0;
  const WORKER = 2;
  const turn = new Int32Array(data.turn);
  let db: BetterSqlite3.Database;
  let insert: BetterSqlite3.Statement;
  try {
    db = new Database(data.file, { fileMustExist: true });
    for (const p of data.pragmas) db.pragma(p);
    if (!data.autocheckpoint) db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${data.journalSizeLimit}`);
    insert = db.prepare(data.insertSql);
  } catch (err) {
    parentPort.postMessage({ type: 'fatal', message: `open: ${(err as Error).message}` });
    return;
  }
  const takeTurn = (): void => {
    for (;;) {
      // The hub waiting goes first: its writes are short and the event loop's clients wait on them.
      if (Atomics.load(turn, HUB_WAITING) === 0 && Atomics.compareExchange(turn, HOLDER, FREE, WORKER) === FREE) {
        return;
      }
      Atomics.wait(turn, HOLDER, Atomics.load(turn, HOLDER), 2);
    }
  };
  const releaseTurn = (): void => {
    Atomics.store(turn, HOLDER, FREE);
    Atomics.notify(turn, HOLDER);
  };
  /** Frames in the WAL at this thread's last checkpoint. */
  let walFrames = 0;
  type CheckpointResult = { busy: number; log: number; checkpointed: number };
  const checkpoint = (): void => {
    try {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
      walFrames = r?.log ?? 0;
    } catch {
      // SQLITE_BUSY and the like: the checkpoint worker goes on regardless.
    }
  };
  const width = data.columns;
  /** One row's values, refilled for each insert (no array per row). */
  const row: TimelineColumnValue[] = new Array<TimelineColumnValue>(width).fill(null);
  const queue: WriterJob[] = [];
  let scheduled = false;
  let stopping = false;

  const commit = (batch: WriterJob[], mayRetry: boolean): void => {
    const started = process.hrtime.bigint();
    let rows = 0;
    const results: number[][] = [];
    takeTurn();
    // Only the hub's commits since this thread's last checkpoint are left to copy: then this transaction rewinds the WAL.
    if (!data.autocheckpoint && walFrames >= data.rewindFrames) checkpoint();
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const job of batch) {
        const seqs: number[] = [];
        const { values } = job;
        for (let at = 0; at < values.length; at += width) {
          for (let c = 0; c < width; c++) row[c] = values[at + c] ?? null;
          const r = insert.run(row);
          seqs.push(r.changes === 1 ? Number(r.lastInsertRowid) : 0);
        }
        rows += seqs.length;
        results.push(seqs);
      }
      db.exec('COMMIT');
    } catch (err) {
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } finally {
        releaseTurn();
      }
      if (!mayRetry || batch.length === 1) {
        for (const job of batch)
          parentPort.postMessage({ type: 'failed', id: job.id, message: (err as Error).message });
        return;
      }
      // Told before the jobs' answers, so the hub's stats are current when they settle.
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      parentPort.postMessage({ type: 'commit', jobs: batch.length, rows, seconds, split: true });
      for (const job of batch) commit([job], false);
      return;
    }
    releaseTurn();
    if (!data.autocheckpoint) checkpoint();
    if (mayRetry) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      parentPort.postMessage({ type: 'commit', jobs: batch.length, rows, seconds, split: false });
    }
    batch.forEach((job, i) => parentPort.postMessage({ type: 'stored', id: job.id, seqs: results[i] ?? [] }));
  };

  const flush = (): void => {
    scheduled = false;
    if (queue.length > 0) {
      let rows = 0;
      let n = 0;
      for (const job of queue) {
        rows += job.rows;
        if (n > 0 && rows > data.maxRows) break;
        n++;
      }
      commit(queue.splice(0, n), true);
    }
    if (queue.length > 0) schedule();
    else if (stopping) {
      db.close();
      process.exit(0);
    }
  };
  // A turn of this thread's event loop first: the jobs posted meanwhile arrive and join the transaction.
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  parentPort.on('message', (m) => {
    if (m === 'stop') stopping = true;
    else queue.push(m);
    schedule();
  });
  parentPort.postMessage({ type: 'ready' });
}

/** The eval source that runs writerWorkerMain in a worker thread. */
export function writerWorkerSource(): string {
  return `(${writerWorkerMain.toString()})(require('node:worker_threads').workerData, {
    parentPort: require('node:worker_threads').parentPort,
    Database: require(require('node:worker_threads').workerData.sqliteModule),
  });`;
}
