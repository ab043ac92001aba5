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
import type { Transaction } from 'kysely';
import type { HubDb } from '../store/db.js';
import type { Database } from '../store/schema.js';

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

interface Pending {
  work: IngestWork;
  resolve: () => void;
  reject: (err: unknown) => void;
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
  ) {
    this.limits = { ...DEFAULT_INGEST_BATCH_LIMITS, ...limits };
  }

  /** Resolves once the work is committed and its after-commit function ran; rejects with its own failure. */
  submit(work: IngestWork): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ work, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      void this.drain();
    });
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
        for (const p of batch) p.reject(err);
        return;
      }
      // Rolled back whole. A message bad on its own must not fail the others: each again in its own transaction.
      this.observe({ messages: batch.length, rows: rowsOf(batch), split: true });
      for (const p of batch) await this.commit([p], false);
      return;
    }
    if (mayRetry) this.observe({ messages: batch.length, rows: rowsOf(batch), split: false });
    this.afterCommit(() =>
      batch.forEach((p, i) => {
        try {
          after[i]?.();
          p.resolve();
        } catch (err) {
          p.reject(err);
        }
      }),
    );
  }
}

const rowsOf = (batch: readonly Pending[]): number => batch.reduce((n, p) => n + p.work.rows, 0);
