// The agents' timeline events, stored by a writer thread with its own
// connection to hub.db, off the hub's event loop (issue 18: timeline ingest).
//
// Why: SQLite's cost is per commit, so ingest is fast only with big commits
// (~10,000 rows: ~93k events/s), and better-sqlite3 is synchronous — a commit
// that size on the hub's connection would hold the event loop ~100 ms, and
// every socket of the hub with it. Here the events of the 'timeline' messages
// queued on all links go into one transaction in the worker
// (sqlite-writer-worker.ts), while the hub's thread goes on.
//
// Semantics are insertSqlite's (timeline-store.ts): the same INSERT … ON
// CONFLICT DO NOTHING, an event stored already is not stored again, a stored
// row's seq is its rowid; a job's events are all stored or none (a coalesced
// transaction that fails is retried job by job); durable before answered
// (synchronous = FULL on this connection too). The two connections take turns
// to write (sqlite-write-turn.ts), so the hub never waits on SQLite's lock.
//
// If the worker cannot start or dies, its turn is released, the jobs it had
// not answered are rejected with WriterGoneError (their transaction rolled
// back with the thread, or never began) and `available` turns false: callers
// store on the hub's connection from then on (logged once, a metric).
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TimelineEventInput } from '@wheelhouse/protocol';
import { SQLITE_CONNECTION_PRAGMAS } from './sqlite-pragmas.js';
import { SqliteWriteTurn } from './sqlite-write-turn.js';
import {
  TIMELINE_COLUMNS,
  TIMELINE_INSERT_SQL,
  timelineRowValues,
  writerWorkerSource,
  type TimelineColumnValue,
  type WriterJob,
  type WriterWorkerData,
  type WriterWorkerMessage,
} from './sqlite-writer-worker.js';

export interface TimelineWriterOptions {
  /** Rows per transaction at most (a job is never split). Bigger: fewer commits, each holding the turn longer. */
  maxRows?: number;
  /** false when the WAL checkpoint worker is on (the writer's connection then does not checkpoint in commits). */
  autocheckpoint?: boolean;
  /** The hub connection's journal_size_limit (set by sqlite.ts). */
  journalSizeLimit?: number;
  /** WAL frames past which this thread checkpoints the tail before its next transaction (see the worker). */
  rewindFrames?: number;
}

export const DEFAULT_TIMELINE_WRITER_MAX_ROWS = 10_000;

/** The worker is gone: the job was not stored by it (store it on the hub's connection). */
export class WriterGoneError extends Error {
  constructor(reason: string) {
    super(`timeline writer gone: ${reason}`);
    this.name = 'WriterGoneError';
  }
}

export interface TimelineWriterStats {
  commits: number;
  rows: number;
  /** Coalesced transactions that failed and were retried job by job. */
  splits: number;
  /** Set once the worker is gone (the reason). */
  fallback: string | undefined;
}

interface WriterEvents {
  commit: [jobs: number, rows: number, seconds: number];
  /** Once: the worker is gone; the hub's connection stores timeline events again. */
  fallback: [reason: string];
}

interface Pending {
  resolve: (seqs: number[]) => void;
  reject: (err: unknown) => void;
}

export class SqliteTimelineWriter extends EventEmitter<WriterEvents> {
  readonly turn = new SqliteWriteTurn();
  readonly stats: TimelineWriterStats = { commits: 0, rows: 0, splits: 0, fallback: undefined };
  private worker: Worker | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private readonly data: WriterWorkerData;

  constructor(file: string, opts: TimelineWriterOptions = {}) {
    super();
    this.data = {
      file,
      sqliteModule: dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
      turn: this.turn.buffer,
      maxRows: opts.maxRows ?? DEFAULT_TIMELINE_WRITER_MAX_ROWS,
      insertSql: TIMELINE_INSERT_SQL,
      pragmas: SQLITE_CONNECTION_PRAGMAS,
      columns: TIMELINE_COLUMNS,
      autocheckpoint: opts.autocheckpoint ?? false,
      journalSizeLimit: opts.journalSizeLimit ?? -1,
      rewindFrames: opts.rewindFrames ?? 2000,
    };
  }

  /** The worker takes jobs (false once it is gone or closed: store on the hub's connection). */
  get available(): boolean {
    return !this.closed && this.stats.fallback === undefined;
  }

  /** The worker thread, started on the first job (tests terminate it to prove the fallback). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  /**
   * Stores one message's events in the worker's next transaction. Resolves, once
   * committed, with each event's seq (0: stored already); rejects with the
   * job's own failure, or WriterGoneError if the worker is gone.
   */
  submit(cluster: string, events: readonly TimelineEventInput[]): Promise<number[]> {
    if (!this.available) return Promise.reject(new WriterGoneError(this.stats.fallback ?? 'closed'));
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    // Bound here, not in the worker: see WriterJob.
    const values: TimelineColumnValue[] = [];
    for (const e of events) for (const v of timelineRowValues(cluster, e)) values.push(v);
    const job: WriterJob = { id, rows: events.length, values };
    return new Promise((resolve, reject) => {
      // Held while jobs are out: the process must not end before they are answered.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage(job);
    });
  }

  private start(): Worker {
    const worker = new Worker(writerWorkerSource(), { eval: true, workerData: this.data });
    this.worker = worker;
    worker.unref();
    worker.on('message', (m: WriterWorkerMessage) => this.onMessage(m));
    worker.on('error', (err) => this.fallBack(`worker error: ${err.message}`));
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.once('exit', (code) => this.fallBack(`worker exited (code ${code})`));
    return worker;
  }

  private onMessage(m: WriterWorkerMessage): void {
    if (m.type === 'stored' || m.type === 'failed') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker?.unref();
      if (m.type === 'stored') p.resolve(m.seqs);
      else p.reject(new Error(m.message));
    } else if (m.type === 'commit') {
      if (m.split) this.stats.splits++;
      else {
        this.stats.commits++;
        this.stats.rows += m.rows;
        this.emit('commit', m.jobs, m.rows, m.seconds);
      }
    } else if (m.type === 'fatal') {
      this.fallBack(`worker: ${m.message}`);
    }
  }

  /** The worker is gone: free its turn, hand its unanswered jobs back (in order), fall back for good. */
  private fallBack(reason: string): void {
    // A transaction it had open died with its connection (rolled back): the turn it held is free.
    this.turn.releaseWorker();
    const unanswered = [...this.pending.values()];
    this.pending.clear();
    if (this.stats.fallback === undefined && !this.closed) {
      this.stats.fallback = reason;
      void this.worker?.terminate();
      this.emit('fallback', reason);
    }
    for (const p of unanswered) p.reject(new WriterGoneError(reason));
  }

  /** Stores the jobs already handed in, then stops the worker (its connection closed). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    worker.postMessage('stop');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 30_000, 'timeout').unref());
    if ((await Promise.race([this.exited, timeout])) === 'timeout') await worker.terminate();
  }
}
