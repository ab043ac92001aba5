// WAL checkpoints of the embedded store, off the hub's event loop.
//
// Why: better-sqlite3 is synchronous, and SQLite's automatic checkpoint runs
// inside the COMMIT that pushes the WAL past 1,000 pages — reading and writing
// those pages and fsyncing hub.db while every socket of the hub waits (the
// fan-in benchmark's p99, issue 18). Here the hub's connection does not
// auto-checkpoint (wal_autocheckpoint = 0); a worker thread with its own
// connection runs PASSIVE checkpoints (sqlite-checkpoint-worker.ts).
//
// Durability is unchanged: a transaction is durable once its COMMIT has
// fsynced the WAL (synchronous = FULL stays). A checkpoint only copies
// committed pages from the WAL into hub.db; a crash in the middle of one is
// recovered from the WAL on the next open. When and by whom it runs changes
// latency and WAL size, never what survives a crash.
//
// WAL size stays bounded:
// - the worker copies frames as soon as `thresholdPages` are pending;
// - SQLite rewinds the WAL only when a write starts after a checkpoint that
//   copied everything, and the hub keeps committing while the worker copies.
//   So past half of `resetLimitPages` the worker chases the tail the hub
//   committed meanwhile (up to 3 more short PASSIVE runs); past the limit
//   the hub runs one PASSIVE checkpoint on its own connection right after the
//   worker's next one, between transactions (only that tail is left to
//   copy), so its next write rewinds the WAL; journal_size_limit then cuts
//   the file back. (RESTART/TRUNCATE from the worker would block the hub's
//   writers inside their synchronous commit: a worse stall.) A worker alive
//   but stuck: the hub does the same at twice the limit, from a timer;
// - if the worker dies or cannot open the database, the hub's connection
//   goes back to SQLite's own automatic checkpoint (logged once);
// - only a reader that keeps one snapshot open pins the WAL — as with SQLite's
//   own checkpoints; no mode could copy past it without blocking writers.
import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import {
  checkpointWorkerSource,
  type CheckpointWorkerData,
  type CheckpointWorkerMessage,
} from './sqlite-checkpoint-worker.js';

export interface WalCheckpointOptions {
  /** Checkpoint once this many WAL pages are pending (SQLite's own autocheckpoint default: 1,000). */
  thresholdPages?: number;
  /** The -wal file past this many pages → one checkpoint on the hub's connection, so the WAL rewinds. */
  resetLimitPages?: number;
  /** How often the worker reads the wal-index header, and the hub stats the -wal file (ms). */
  pollMs?: number;
}

/** What the checkpointer did, for metrics (counted since the store opened). */
export interface WalCheckpointStats {
  /** PASSIVE checkpoints the worker ran. */
  workerCheckpoints: number;
  /** Checkpoints the hub ran on its own connection to rewind a WAL that had not rewound. */
  loopCheckpoints: number;
  /** Checkpoints that failed (the next one retries). */
  failures: number;
  /** Set once the worker is gone and the hub's connection checkpoints by itself again. */
  fallback: string | undefined;
}

const DEFAULTS = { thresholdPages: 1000, resetLimitPages: 4000, pollMs: 50 };

interface CheckpointerEvents {
  /** A checkpoint ran: by the worker, or by the hub's connection to rewind the WAL. */
  checkpoint: [by: 'worker' | 'hub', seconds: number];
  failure: [message: string];
  /** Once: the worker is gone; SQLite checkpoints inside commits again. */
  fallback: [reason: string];
}

export class SqliteWalCheckpointer extends EventEmitter<CheckpointerEvents> {
  readonly stats: WalCheckpointStats = {
    workerCheckpoints: 0,
    loopCheckpoints: 0,
    failures: 0,
    fallback: undefined,
  };
  /** The worker thread (tests terminate it to prove the fallback). */
  readonly worker: Worker;
  private readonly walFile: string;
  private readonly resetLimitBytes: number;
  private readonly thresholdPages: number;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** The worker just checkpointed and the -wal file was past the limit: rewind at the next chance. */
  private rewindWanted = false;
  private exited: Promise<void>;

  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    file: string,
    opts: WalCheckpointOptions = {},
  ) {
    super();
    const o = { ...DEFAULTS, ...opts };
    this.thresholdPages = o.thresholdPages;
    this.walFile = `${file}-wal`;
    const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
    // A WAL frame is a 24-byte header and one page.
    this.resetLimitBytes = o.resetLimitPages * (pageSize + 24);
    sqlite.pragma('wal_autocheckpoint = 0');
    // After a rewind, the next commit cuts a -wal file longer than this back.
    sqlite.pragma(`journal_size_limit = ${this.resetLimitBytes}`);
    const data: CheckpointWorkerData = {
      file,
      sqliteModule: dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')),
      thresholdPages: o.thresholdPages,
      pollMs: o.pollMs,
      chasePages: Math.floor(o.resetLimitPages / 2),
    };
    this.worker = new Worker(checkpointWorkerSource(), { eval: true, workerData: data });
    // Never what keeps the hub's process alive.
    this.worker.unref();
    this.worker.on('message', (m: CheckpointWorkerMessage) => this.onMessage(m));
    this.worker.on('error', (err) => this.fallBack(`worker error: ${err.message}`));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.once('exit', (code) => {
      if (!this.closed) this.fallBack(`worker exited (code ${code})`);
    });
    // Backstop for a worker that is alive but stuck: rewind at twice the limit without its word.
    this.timer = setInterval(() => this.rewindIfLong(this.rewindWanted ? 1 : 2), o.pollMs);
    this.timer.unref();
  }

  private onMessage(m: CheckpointWorkerMessage): void {
    if (m.type === 'checkpoint') {
      this.stats.workerCheckpoints++;
      this.emit('checkpoint', 'worker', m.seconds);
      // Right after the worker's checkpoint the tail left to copy is shortest: the commits made while it ran.
      this.rewindWanted = true;
      this.rewindIfLong(1);
    } else if (m.type === 'failed') {
      this.stats.failures++;
      this.emit('failure', m.message);
      if (m.fatal) this.fallBack(`worker: ${m.message}`);
    }
  }

  /** Length of the -wal file now (0 when there is none). */
  walBytes(): number {
    try {
      return statSync(this.walFile).size;
    } catch {
      return 0;
    }
  }

  /** The -wal file is longer than the limit: it has not rewound; copy the tail here so the next write rewinds it. */
  private rewindIfLong(limits: number): void {
    if (this.closed) return;
    if (this.walBytes() <= this.resetLimitBytes * limits) {
      this.rewindWanted = false;
      return;
    }
    // Not inside a transaction (a checkpoint there fails with SQLITE_LOCKED); the next tick tries again.
    if (this.sqlite.inTransaction || !this.sqlite.open) return;
    this.rewindWanted = false;
    const started = process.hrtime.bigint();
    try {
      const [r] = this.sqlite.pragma('wal_checkpoint(PASSIVE)') as { busy: number }[];
      // busy: the worker is checkpointing right now; the next tick looks again.
      if (r?.busy) return;
      this.stats.loopCheckpoints++;
      this.emit('checkpoint', 'hub', Number(process.hrtime.bigint() - started) / 1e9);
    } catch (err) {
      this.stats.failures++;
      this.emit('failure', (err as Error).message);
    }
  }

  /** The worker is gone: SQLite's own automatic checkpoint on the hub's connection again. */
  private fallBack(reason: string): void {
    if (this.closed || this.stats.fallback !== undefined) return;
    this.stats.fallback = reason;
    if (this.sqlite.open) this.sqlite.pragma(`wal_autocheckpoint = ${this.thresholdPages}`);
    void this.worker.terminate();
    this.emit('fallback', reason);
  }

  /** Stops the worker (its connection closed) before the hub closes its own, whose close then checkpoints the rest. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    // Held while it stops: with the worker unref()ed and nothing else pending,
    // Node would end the process here, before the hub's connection closes.
    this.worker.ref();
    this.worker.postMessage('stop');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 5000, 'timeout').unref());
    if ((await Promise.race([this.exited, timeout])) === 'timeout') await this.worker.terminate();
  }
}
