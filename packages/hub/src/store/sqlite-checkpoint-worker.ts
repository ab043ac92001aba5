// The body of the WAL checkpoint worker thread (sqlite-checkpointer.ts starts it).
//
// Why a function run with `eval: true` rather than a worker file: the hub runs
// from dist (built JavaScript) and under vitest (TypeScript that Node cannot
// load in a worker thread), so a file path would resolve in only one of them.
// The function is still typed and linted; it must stay self-contained (no
// imports, no outer names): only its parameters and Node's `require`.
import type BetterSqlite3 from 'better-sqlite3';

export interface CheckpointWorkerData {
  /** The database file (hub.db); its wal-index is `${file}-shm`. */
  file: string;
  /** Absolute path of the better-sqlite3 package, resolved by the hub (an eval worker resolves from the cwd). */
  sqliteModule: string;
  /** Run a checkpoint once this many WAL frames are not yet copied into the database file. */
  thresholdPages: number;
  /** How often to look at the wal-index header. */
  pollMs: number;
  /** A WAL this long (frames) after a checkpoint: checkpoint again at once, while the hub's commits left a tail. */
  chasePages: number;
}

/** What the worker tells the hub. */
export type CheckpointWorkerMessage =
  | { type: 'ready' }
  | { type: 'checkpoint'; busy: number; log: number; checkpointed: number; seconds: number }
  /** fatal: the worker could not open the database and has stopped. */
  | { type: 'failed'; message: string; fatal: boolean };

/** Minimal shapes of the Node modules the worker uses (it gets them from `require`). */
interface WorkerDeps {
  parentPort: { postMessage(m: CheckpointWorkerMessage): void; on(e: 'message', f: (m: unknown) => void): void };
  fs: {
    openSync(p: string, flags: string): number;
    readSync(fd: number, b: Buffer, off: number, len: number, pos: number): number;
    closeSync(fd: number): void;
  };
  Database: typeof BetterSqlite3;
}

/**
 * The worker: its own connection to hub.db runs `PRAGMA wal_checkpoint(PASSIVE)`
 * whenever the WAL holds `thresholdPages` frames not yet in the database file.
 * It learns that from the wal-index header in hub.db-shm (the shared memory
 * every connection maps; format: sqlite.org/walformat.html): mxFrame (last
 * valid frame, offset 16) minus nBackfill (frames already copied, offset 96),
 * read with one pread — no lock, no SQLite call, nothing on the hub's thread.
 * A torn or unexpected header only skips one poll. PASSIVE never blocks the
 * hub's writer or readers: it copies what no reader still needs and stops.
 */
export function checkpointWorkerMain(data: CheckpointWorkerData, deps: WorkerDeps): void {
  const { parentPort, fs, Database } = deps;
  let db: BetterSqlite3.Database;
  try {
    db = new Database(data.file, { fileMustExist: true });
    // The hub holds the write lock only for a commit; PASSIVE needs no write
    // lock, but opening may briefly wait for a lock the hub holds.
    db.pragma('busy_timeout = 1000');
  } catch (err) {
    parentPort.postMessage({ type: 'failed', message: `open: ${(err as Error).message}`, fatal: true });
    return;
  }
  const header = Buffer.alloc(104);
  let shm = -1;
  const pendingFrames = (): number | undefined => {
    try {
      if (shm < 0) shm = fs.openSync(`${data.file}-shm`, 'r');
      if (fs.readSync(shm, header, 0, 104, 0) < 104) return undefined;
    } catch {
      return undefined;
    }
    // Two copies of the 48-byte header; a writer updates them one after the other.
    if (header.compare(header, 0, 48, 48, 96) !== 0) return undefined;
    if (header.readUInt32LE(0) !== 3007000 && header.readUInt32BE(0) !== 3007000) return undefined;
    const le = header.readUInt32LE(0) === 3007000;
    const mxFrame = le ? header.readUInt32LE(16) : header.readUInt32BE(16);
    const nBackfill = le ? header.readUInt32LE(96) : header.readUInt32BE(96);
    return mxFrame - nBackfill;
  };
  let unreadable = 0;
  const poll = (): void => {
    const pending = pendingFrames();
    // An unreadable header for a while (say ~1 s): checkpoint anyway, so the WAL stays bounded.
    if (pending === undefined) unreadable++;
    else unreadable = 0;
    if (pending !== undefined ? pending < data.thresholdPages : unreadable < 20) return;
    unreadable = 0;
    const started = process.hrtime.bigint();
    try {
      type Result = { busy: number; log: number; checkpointed: number };
      let [r] = db.pragma('wal_checkpoint(PASSIVE)') as Result[];
      // A long WAL rewinds only if a write starts when every frame is copied: chase the tail
      // the hub committed meanwhile (short: a few pages) a few times, so the hub need not.
      for (let chase = 0; chase < 3 && r && r.log >= data.chasePages && r.checkpointed < r.log; chase++) {
        [r] = db.pragma('wal_checkpoint(PASSIVE)') as Result[];
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      parentPort.postMessage({
        type: 'checkpoint',
        busy: r?.busy ?? 0,
        log: r?.log ?? 0,
        checkpointed: r?.checkpointed ?? 0,
        seconds,
      });
    } catch (err) {
      // SQLITE_BUSY and the like: the next poll tries again; the hub counts failures.
      parentPort.postMessage({ type: 'failed', message: (err as Error).message, fatal: false });
    }
  };
  const timer = setInterval(poll, data.pollMs);
  parentPort.on('message', (m) => {
    if (m !== 'stop') return;
    clearInterval(timer);
    if (shm >= 0) fs.closeSync(shm);
    db.close();
    process.exit(0);
  });
  parentPort.postMessage({ type: 'ready' });
}

/** The eval source that runs checkpointWorkerMain in a worker thread. */
export function checkpointWorkerSource(): string {
  return `(${checkpointWorkerMain.toString()})(require('node:worker_threads').workerData, {
    parentPort: require('node:worker_threads').parentPort,
    fs: require('node:fs'),
    Database: require(require('node:worker_threads').workerData.sqliteModule),
  });`;
}
