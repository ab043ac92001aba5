// Group commit for the agent links' store writes. Each agent message that
// writes (inventory changes and snapshots, timeline events, a ping's
// last-seen) used to be its own transaction — its own commit and fsync — and
// with 100 agents the hub spent its time waiting on fsync, one link at a time
// (issue 18, fan-in). Here the writes queued on all links at that moment go
// into ONE transaction: one commit, one fsync, for all of them.
//
// What does not change: a message's live events go out (and a ping is
// answered) only after the commit that stored it; work is written, committed
// and published in the order submitted, so a link's order is kept (a link may
// hand in its next inventory changes, timeline or insight changes before the
// previous one committed — agent-link.ts PIPELINED —, every other message
// waits until the link's earlier ones are stored); a message's writes are all
// stored or none are.
//
// On an embedded store on a file, 'timeline' messages (timeline rows only) of
// 100 events or more go to the writer thread instead (store/sqlite-writer.ts):
// its transactions hold up to 10,000 rows and the event loop runs meanwhile,
// while everything else — and a few events, which ride along in the commit
// their link's inventory changes take anyway — stays in these transactions
// of at most 2,000 rows (one path at a time per link, see submitTimeline). A link's
// after-commit functions still run in the order it submitted them (a link's
// inventory changes handed in behind its timeline message publish after
// that message's events), and a link's `stored()` waits for both.
import type { Transaction } from 'kysely';
import type { TimelineEvent, TimelineEventInput } from '@wheelhouse/protocol';
import type { HubDb } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { WriterGoneError, type SqliteTimelineWriter } from '../store/sqlite-writer.js';
import { storedEvent, type TimelineStore } from '../timeline/timeline-store.js';

/** One message's store writes. */
export interface IngestWork {
  /** Rows it writes (roughly): bounds a batch. */
  rows: number;
  /** Its size on the wire: bounds a batch. */
  bytes: number;
  /**
   * Writes within the batch's transaction and returns what to do once that
   * committed (publish live events, count). It may run a second time, in a
   * transaction of its own, when the batch's failed: so no effect outside
   * `trx` here — everything else goes into the returned function.
   */
  write(trx: Transaction<Database>): Promise<() => void>;
}

/** One 'timeline' message's events (the writer thread stores them when the store has one). */
export interface TimelineWork {
  cluster: string;
  events: readonly TimelineEventInput[];
  /** Its size on the wire. */
  bytes: number;
  /** Once committed: the events newly stored (not stored before), in seq order. */
  after(stored: TimelineEvent[]): void;
}

/** Where 'timeline' messages go: the writer thread, or (without one, or once it is gone) these transactions. */
export interface TimelineIngest {
  store: TimelineStore;
  writer?: SqliteTimelineWriter | undefined;
  /**
   * A message of fewer events goes into these transactions unless its link has one at the writer
   * (default 100): a few events ride along in the commit the link's inventory changes take anyway,
   * where the writer would add a second commit (and fsync) for them; a backlog comes in full messages (500).
   */
  writerMinRows?: number;
}

export const DEFAULT_WRITER_MIN_ROWS = 100;

export interface IngestBatchLimits {
  /**
   * Rows per transaction at most (one message is never split). SQLite writes
   * synchronously, so a batch holds the event loop for as long as it takes:
   * a few thousand rows are tens of milliseconds.
   */
  maxRows: number;
  /** Message bytes per transaction at most. */
  maxBytes: number;
}

export const DEFAULT_INGEST_BATCH_LIMITS: IngestBatchLimits = {
  maxRows: 2_000,
  maxBytes: 4 * 1024 * 1024,
};

/** What one commit held (metrics, tests). */
export interface IngestBatchReport {
  messages: number;
  rows: number;
  /** The batch failed and its messages were stored one transaction each. */
  split: boolean;
}

/** A submission's place in its link's order of after-commit functions. */
interface OrderSlot {
  /** Its after-commit function ran (or it failed). */
  settled: boolean;
  done: Promise<void>;
  settle: () => void;
}

interface Pending {
  work: IngestWork;
  resolve: () => void;
  reject: (err: unknown) => void;
  /** The same link's previous submission: this one's after-commit runs only once that one's did. */
  prev: OrderSlot | undefined;
  slot: OrderSlot | undefined;
}

export class IngestBatcher {
  private waiting: Pending[] = [];
  /** A drain is scheduled or under way: new work joins its next batch. */
  private draining = false;
  private readonly limits: IngestBatchLimits;

  constructor(
    private readonly db: HubDb,
    limits: Partial<IngestBatchLimits> = {},
    private readonly observe: (b: IngestBatchReport) => void = () => undefined,
    /**
     * Runs a commit's after-commit functions (which publish its live events): the hub passes
     * LiveBus.batch, so one commit's live messages to a socket leave in one write.
     */
    private readonly afterCommit: (runAll: () => void) => void = (runAll) => runAll(),
    private readonly timeline?: TimelineIngest,
  ) {
    this.limits = { ...DEFAULT_INGEST_BATCH_LIMITS, ...limits };
  }

  /** Each link's (order key's) latest submission. */
  private readonly lastOf = new WeakMap<object, OrderSlot>();

  private order(key: object | undefined): { prev: OrderSlot | undefined; slot: OrderSlot | undefined } {
    if (!key) return { prev: undefined, slot: undefined };
    const prev = this.lastOf.get(key);
    let settle: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const slot: OrderSlot = { settled: false, done, settle: () => undefined };
    slot.settle = () => {
      slot.settled = true;
      settle();
    };
    this.lastOf.set(key, slot);
    return { prev: prev?.settled ? undefined : prev, slot };
  }

  /**
   * Resolves once the work is committed and its after-commit function ran; rejects with its own failure.
   * Submissions with the same `key` (a link) run their after-commit functions in the order submitted.
   */
  submit(work: IngestWork, key?: object): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ work, resolve, reject, ...this.order(key) });
      if (this.draining) return;
      this.draining = true;
      void this.drain();
    });
  }

  /**
   * A 'timeline' message: to the writer thread when the store has one (resolves once its transaction
   * committed and `after` ran), else — or once the writer is gone — as any other work here.
   */
  submitTimeline(work: TimelineWork, key?: object): Promise<void> {
    const ingest = this.timeline;
    if (!ingest) throw new Error('IngestBatcher: no timeline store');
    const { cluster, events } = work;
    const here = (k: object | undefined): Promise<void> =>
      this.submit(
        {
          rows: events.length,
          bytes: work.bytes,
          write: async (trx) => {
            const stored = await ingest.store.insertIn(trx, cluster, events);
            return () => work.after(stored);
          },
        },
        k,
      );
    const writer = ingest.writer;
    if (!writer?.available) return here(key);
    // A link's timeline messages are committed in its order (their seqs follow it): one path at a time per link.
    const route = key ? this.routes.get(key) : undefined;
    const toWriter = route?.writer
      ? true
      : route?.here
        ? false
        : events.length >= (ingest.writerMinRows ?? DEFAULT_WRITER_MIN_ROWS);
    if (!toWriter) return this.routed(key, 'here', here(key));
    const { prev, slot } = this.order(key);
    const published: Promise<void> = writer.submit(cluster, events).then(
      (seqs) => {
        const stored: TimelineEvent[] = [];
        seqs.forEach((seq, i) => {
          const e = events[i];
          if (seq > 0 && e) stored.push(storedEvent(cluster, seq, e));
        });
        return this.inOrder(prev, () => this.afterCommit(() => work.after(stored)));
      },
      (err: unknown) => {
        // The worker died before answering: nothing of it is stored; store it here, in the link's order.
        if (err instanceof WriterGoneError) return this.inOrder(prev, () => here(undefined));
        throw err;
      },
    );
    return this.routed(
      key,
      'writer',
      published.finally(() => slot?.settle()),
    );
  }

  /** Per link: its timeline messages in flight on each path. */
  private readonly routes = new WeakMap<object, { writer: number; here: number }>();

  private routed(key: object | undefined, path: 'writer' | 'here', done: Promise<void>): Promise<void> {
    if (!key) return done;
    let route = this.routes.get(key);
    if (!route) this.routes.set(key, (route = { writer: 0, here: 0 }));
    const r = route;
    r[path]++;
    return done.finally(() => r[path]--);
  }

  /** Runs `f` once the link's previous submission's after-commit ran (at once if it did). */
  private async inOrder(prev: OrderSlot | undefined, f: () => void | Promise<void>): Promise<void> {
    if (prev && !prev.settled) await prev.done;
    await f();
  }

  private async drain(): Promise<void> {
    try {
      do {
        // A turn of the event loop before each batch: every link whose message is ready hands it in meanwhile
        // (those just acknowledged too), and timers and socket reads run between batches.
        await new Promise((resolve) => setImmediate(resolve));
        await this.commit(this.take(), true);
      } while (this.waiting.length > 0);
    } finally {
      this.draining = false;
    }
  }

  /** The oldest waiting work, up to the limits (always at least one). */
  private take(): Pending[] {
    let rows = 0;
    let bytes = 0;
    let n = 0;
    for (const p of this.waiting) {
      rows += p.work.rows;
      bytes += p.work.bytes;
      if (n > 0 && (rows > this.limits.maxRows || bytes > this.limits.maxBytes)) break;
      n++;
    }
    return this.waiting.splice(0, n);
  }

  private async commit(batch: Pending[], mayRetry: boolean): Promise<void> {
    let after: (() => void)[];
    try {
      after = await this.db.transaction().execute(async (trx) => {
        const out: (() => void)[] = [];
        for (const p of batch) out.push(await p.work.write(trx));
        return out;
      });
    } catch (err) {
      if (!mayRetry || batch.length === 1) {
        for (const p of batch) {
          p.reject(err);
          p.slot?.settle();
        }
        return;
      }
      // Rolled back whole. A message bad on its own must not fail the others: each again in its own transaction.
      this.observe({ messages: batch.length, rows: rowsOf(batch), split: true });
      for (const p of batch) await this.commit([p], false);
      return;
    }
    if (mayRetry) this.observe({ messages: batch.length, rows: rowsOf(batch), split: false });
    const run = (p: Pending, i: number): void => {
      try {
        after[i]?.();
        p.resolve();
      } catch (err) {
        p.reject(err);
      } finally {
        p.slot?.settle();
      }
    };
    // A link's work behind its timeline message still with the writer waits for that message's after-commit.
    this.afterCommit(() =>
      batch.forEach((p, i) => {
        const prev = p.prev;
        if (prev && !prev.settled) void prev.done.then(() => this.afterCommit(() => run(p, i)));
        else run(p, i);
      }),
    );
  }
}

const rowsOf = (batch: readonly Pending[]): number => batch.reduce((n, p) => n + p.work.rows, 0);
