// The durable record of interactions and extension requests. The admission
// hooks append an entry and wait for it to reach the disk (fdatasync) before
// they answer the API server, so a crash right after admission loses nothing;
// a worker then applies entries to the cluster and appends a "done" marker.
//
// Appends are group-committed: every entry that arrives while a write+sync is
// in flight goes into the next single write+sync, so throughput scales with
// load while each caller still waits for its own durability. Done markers ride
// along with the next write and never cost a sync of their own: losing one in
// a crash only makes its (idempotent) entry apply once more. The entries not
// yet done are also kept in memory (they are bounded by maxPendingBytes), so
// compaction and reloading spilled entries never re-read the file while hooks
// wait. The file is JSON lines; a torn last line (crash mid-write) is ignored
// and truncated on open. When most entries are done the file is compacted
// (rewrite + rename).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface InteractionEntry {
  kind: 'interaction';
  id: string;
  /** ms since the epoch when the API server asked us. */
  at: number;
  namespace: string;
  pod: string;
  /** debug: an ephemeral container added with kubectl debug (UPDATE pods/ephemeralcontainers). */
  operation: 'exec' | 'attach' | 'portforward' | 'debug';
  container?: string;
  /** debug only: the ephemeral container's image and the container it targets. */
  image?: string;
  targetContainer?: string;
  command?: string[];
  /** true when the recorded command was cut to keep the record bounded. */
  commandTruncated?: boolean;
  tty?: boolean;
  stdin?: boolean;
  /** Who interacted: the Kubernetes username, or "alice via Wheelhouse (agent …)" (review.ts attributedUser). */
  user: string;
  /** The person the Wheelhouse agent made the request for, when it said so (the on-behalf-of extra). */
  onBehalfOf?: string;
  uid?: string;
  groups: string[];
}

export interface ExtensionEntry {
  kind: 'extension';
  id: string;
  at: number;
  namespace: string;
  pod: string;
  podUid?: string;
  /** The requested Go duration, exactly as written in the annotation. */
  duration: string;
  requester: string;
  groups: string[];
}

export type JournalEntry = InteractionEntry | ExtensionEntry;
type Line = JournalEntry | { kind: 'done'; id: string };

export function newEntryId(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

export interface JournalOptions {
  dir: string;
  /** Compact when at least this many done markers were written since the last compaction. */
  compactAfter?: number;
  /** Skip fdatasync (benchmarks comparing its cost only; never in production). */
  noSync?: boolean;
  /**
   * Most bytes of entries not yet applied (default 16 MiB). An append beyond it is
   * refused with JournalFullError: the hook answers 503 and the failurePolicy decides.
   */
  maxPendingBytes?: number;
}

export const DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024;

/** The journal holds maxPendingBytes of entries not yet applied; nothing more is accepted until some are. */
export class JournalFullError extends Error {
  constructor(readonly limit: number) {
    super(
      `the journal holds ${limit} bytes of interactions not yet applied to the cluster (its limit); ` +
        'exec guard accepts new ones once those are applied',
    );
  }
}

interface Waiter {
  line: string;
  /** An entry (synced before it resolves), or a done marker (written only). */
  sync: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class Journal {
  readonly path: string;
  private fh: FileHandle | undefined;
  private queue: Waiter[] = [];
  private flushing: Promise<void> | undefined;
  private doneSinceCompaction = 0;
  private appendedCount = 0;
  private closed = false;
  private readonly compactAfter: number;
  private readonly maxPendingBytes: number;
  /** The entries not yet marked done (their lines, oldest first), so the bound counts only what still waits. */
  private readonly pendingLines = new Map<string, { line: string; size: number; durable: boolean }>();
  private pendingBytesTotal = 0;

  private constructor(
    readonly dir: string,
    private readonly opts: JournalOptions,
  ) {
    this.path = join(dir, 'journal.jsonl');
    this.compactAfter = opts.compactAfter ?? 5000;
    this.maxPendingBytes = opts.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
  }

  /** Opens (creating) the journal and returns it with every entry not yet marked done, oldest first. */
  static async open(opts: JournalOptions): Promise<{ journal: Journal; pending: JournalEntry[] }> {
    await mkdir(opts.dir, { recursive: true });
    const j = new Journal(opts.dir, opts);
    const { pending, validBytes, totalBytes } = await j.scan();
    for (const e of pending) j.trackPending(e.id, JSON.stringify(e), true);
    j.fh = await open(j.path, 'a+');
    if (validBytes < totalBytes) {
      // A torn tail from a crash mid-append: drop it so the next append starts on a fresh line.
      await j.fh.truncate(validBytes);
      await j.fh.datasync();
    }
    return { journal: j, pending };
  }

  /** Reads the file, once every write queued so far is done, and returns the entries without a done marker. */
  async scan(): Promise<{ pending: JournalEntry[]; validBytes: number; totalBytes: number }> {
    while (this.flushing) await this.flushing;
    let buf: Buffer;
    try {
      buf = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { pending: [], validBytes: 0, totalBytes: 0 };
      throw err;
    }
    const entries = new Map<string, JournalEntry>();
    let pos = 0;
    let validBytes = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) break; // torn tail: no newline yet
      const text = buf.subarray(pos, nl).toString('utf8');
      pos = nl + 1;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        break; // a torn line can only be the last one; stop here
      }
      validBytes = pos;
      if (line.kind === 'done') entries.delete(line.id);
      else entries.set(line.id, line);
    }
    return { pending: [...entries.values()], validBytes, totalBytes: buf.length };
  }

  /** Appends an entry and resolves once it is on disk; rejects with JournalFullError when the bound is reached. */
  append(entry: JournalEntry): Promise<void> {
    const line = JSON.stringify(entry);
    const size = Buffer.byteLength(line) + 1;
    if (this.closed) return Promise.reject(new Error('exec guard journal is closed'));
    if (this.pendingBytesTotal + size > this.maxPendingBytes)
      return Promise.reject(new JournalFullError(this.maxPendingBytes));
    // Counted before the write completes, so concurrent appends cannot overshoot the bound together.
    this.trackPending(entry.id, line, false);
    return this.write(line, true).then(
      () => {
        const p = this.pendingLines.get(entry.id);
        if (p) p.durable = true;
      },
      (err: unknown) => {
        this.untrackPending(entry.id);
        throw err;
      },
    );
  }

  /**
   * Marks an entry applied. It stops counting against the bound at once; the
   * marker is written with the next write and resolves then (not synced: the
   * worker need not wait for it, see the header).
   */
  markDone(id: string): Promise<void> {
    this.doneSinceCompaction++;
    this.untrackPending(id);
    return this.write(JSON.stringify({ kind: 'done', id }), false);
  }

  /** The entries on disk and not yet marked done, oldest first, from memory (no file read). */
  pendingEntries(): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (const p of this.pendingLines.values()) if (p.durable) out.push(JSON.parse(p.line) as JournalEntry);
    return out;
  }

  get appended(): number {
    return this.appendedCount;
  }

  /** Bytes of entries appended and not yet marked done. */
  get pendingBytes(): number {
    return this.pendingBytesTotal;
  }

  private trackPending(id: string, line: string, durable: boolean): void {
    if (this.pendingLines.has(id)) return;
    const size = Buffer.byteLength(line) + 1;
    this.pendingLines.set(id, { line, size, durable });
    this.pendingBytesTotal += size;
  }

  private untrackPending(id: string): void {
    const p = this.pendingLines.get(id);
    if (p === undefined) return;
    this.pendingLines.delete(id);
    this.pendingBytesTotal -= p.size;
  }

  private write(line: string, sync: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new Error('exec guard journal is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line: `${line}\n`, sync, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const fh = this.fh;
          if (!fh) throw new Error('exec guard journal is not open');
          await fh.write(batch.map((w) => w.line).join(''));
          // A batch of done markers only is not synced; the next entry's sync carries them too.
          if (this.opts.noSync !== true && batch.some((w) => w.sync)) await fh.datasync();
          this.appendedCount += batch.filter((w) => w.sync).length;
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
        if (this.doneSinceCompaction >= this.compactAfter && this.queue.length === 0) await this.compact();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /**
   * Rewrites the file with only the pending entries (write to a temp file, sync, rename, sync the directory).
   * Runs between batches with nothing in flight, so every pending entry is in the file already.
   */
  private async compact(): Promise<void> {
    const lines = [...this.pendingLines.values()].map((p) => `${p.line}\n`);
    const tmp = `${this.path}.compact`;
    await writeFile(tmp, lines.join(''));
    const t = await open(tmp, 'r');
    await t.datasync();
    await t.close();
    await this.fh?.close();
    await rename(tmp, this.path);
    await syncDir(this.dir);
    this.fh = await open(this.path, 'a+');
    this.doneSinceCompaction = 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.fh?.close();
    this.fh = undefined;
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

const lockedHere = new Set<string>();

/**
 * An exclusive lock on a data directory (a pid file); a stale lock of a dead
 * process is taken over. A lock naming our own pid is stale too unless this
 * process holds it (a restarted container is often pid 1 again).
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const lock = join(dir, 'lock');
  if (lockedHere.has(lock))
    throw new Error(
      `exec guard data directory ${dir} is in use by this process; give each instance its own --data-dir`,
    );
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      lockedHere.add(lock);
      return async () => {
        lockedHere.delete(lock);
        await rm(lock, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(
          `exec guard data directory ${dir} is in use by process ${pid}; give each instance its own --data-dir`,
        );
      }
      await rm(lock, { force: true });
    }
  }
  throw new Error(`could not lock exec guard data directory ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
