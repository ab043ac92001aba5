// Retention of timeline events and shell recordings: by age and by total
// size, oldest first, on both stores. Work is done in small batches with the
// event loop (and, on SQLite, the one connection) free between them, so a
// large purge never holds up requests; the longest batch is measured.
import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { HubDb } from '../store/db.js';
import type { Database } from '../store/schema.js';

export interface RetentionPolicy {
  /** Delete timeline events whose time is older than this (ms; 0/undefined: keep). */
  timelineMaxAgeMs?: number;
  /** Keep the newest events whose stored text adds up to at most this (bytes; 0/undefined: no cap). */
  timelineMaxBytes?: number;
  /** Delete recordings of sessions that ended longer ago than this (ms). */
  recordingsMaxAgeMs?: number;
  /** Keep the newest recordings adding up to at most this (bytes, as counted while recording). */
  recordingsMaxBytes?: number;
}

export interface RetentionOptions extends RetentionPolicy {
  /** Rows (events) or sessions per batch (default 500). */
  batchSize?: number;
  /** Rows read per step of the size walk (default 5000). */
  scanSize?: number;
  now?: () => number;
  /** Called after each batch with its duration (tests, metrics). */
  onBatch?: (what: 'timeline' | 'recordings', ms: number, rows: number) => void;
}

export interface RetentionReport {
  timelineDeleted: number;
  recordingsDeleted: number;
  batches: number;
  /** The longest single batch (a query or a delete), in ms. */
  longestBatchMs: number;
}

/** What a timeline row weighs for the size cap: its stored text plus a fixed row overhead. */
const ROW_OVERHEAD = 64;

const yieldToOthers = (): Promise<void> => new Promise((r) => setImmediate(r));

export function retentionEnabled(p: RetentionPolicy): boolean {
  return Boolean(p.timelineMaxAgeMs || p.timelineMaxBytes || p.recordingsMaxAgeMs || p.recordingsMaxBytes);
}

export class Retention {
  private running: Promise<RetentionReport> | null = null;
  constructor(
    private readonly db: HubDb,
    private readonly opts: RetentionOptions,
  ) {}

  /** One pass over every rule; a pass already under way is joined, not doubled. */
  run(): Promise<RetentionReport> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  /** Resolves once no pass is under way (failures are the pass's caller's to report). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<RetentionReport> {
    const report: RetentionReport = { timelineDeleted: 0, recordingsDeleted: 0, batches: 0, longestBatchMs: 0 };
    const timed = async <T>(what: 'timeline' | 'recordings', fn: () => Promise<T>, rows: (t: T) => number) => {
      const t0 = performance.now();
      const out = await fn();
      const ms = performance.now() - t0;
      report.batches++;
      report.longestBatchMs = Math.max(report.longestBatchMs, ms);
      this.opts.onBatch?.(what, ms, rows(out));
      await yieldToOthers();
      return out;
    };
    const now = (this.opts.now ?? Date.now)();
    if (this.opts.timelineMaxAgeMs) {
      report.timelineDeleted += await this.deleteTimelineBefore(now - this.opts.timelineMaxAgeMs, timed);
    }
    if (this.opts.timelineMaxBytes) {
      report.timelineDeleted += await this.capTimeline(this.opts.timelineMaxBytes, timed);
    }
    if (this.opts.recordingsMaxAgeMs) {
      report.recordingsDeleted += await this.expireRecordings(now - this.opts.recordingsMaxAgeMs, timed);
    }
    if (this.opts.recordingsMaxBytes) {
      report.recordingsDeleted += await this.capRecordings(this.opts.recordingsMaxBytes, timed);
    }
    return report;
  }

  private get batch(): number {
    return this.opts.batchSize ?? 500;
  }

  /**
   * Events older than cutoff (event time), each cluster's oldest first, a
   * batch at a time: a seek on (cluster_id, time) — SQLite has no index on
   * time alone since migration 024 (one B-tree insert fewer per event).
   * Every event's cluster is registered (the foreign key deletes a cluster's
   * events with it).
   */
  private async deleteTimelineBefore(cutoff: number, timed: Timed): Promise<number> {
    let deleted = 0;
    const clusters = await this.db.selectFrom('clusters').select('id').execute();
    for (const { id } of clusters) {
      deleted += await this.deleteTimelineBatches(
        (eb) =>
          eb
            .selectFrom('timeline_events')
            .select('seq')
            .where('cluster_id', '=', id)
            .where('time', '<', cutoff)
            .orderBy('time')
            .limit(this.batch),
        timed,
      );
    }
    return deleted;
  }

  /** Deletes the events `seqs` picks, a batch at a time, until a batch comes back short. */
  private async deleteTimelineBatches(seqs: TimelineSeqs, timed: Timed): Promise<number> {
    let deleted = 0;
    for (;;) {
      const n = await timed(
        'timeline',
        async () => {
          const r = await this.db.deleteFrom('timeline_events').where('seq', 'in', seqs).executeTakeFirst();
          return Number(r.numDeletedRows);
        },
        (x) => x,
      );
      deleted += n;
      if (n < this.batch) return deleted;
    }
  }

  /**
   * Walks events newest first (by seq, the primary key) adding up their size
   * until the cap is passed; everything at and below that seq goes.
   */
  private async capTimeline(maxBytes: number, timed: Timed): Promise<number> {
    const scan = this.opts.scanSize ?? 5000;
    let total = 0;
    let before: number | null = null;
    let cut: number | null = null;
    while (cut === null) {
      const rows = await timed(
        'timeline',
        () => {
          let q = this.db
            .selectFrom('timeline_events')
            .select((eb) => [
              'seq',
              eb(
                eb(
                  eb(eb.fn<number>('length', ['data']), '+', eb.fn<number>('length', ['summary'])),
                  '+',
                  eb(eb.fn<number>('length', ['name']), '+', eb.fn<number>('length', ['namespace'])),
                ),
                '+',
                eb(eb.fn<number>('length', ['kind']), '+', eb.fn<number>('length', ['id'])),
              ).as('size'),
            ])
            .orderBy('seq', 'desc')
            .limit(scan);
          if (before !== null) q = q.where('seq', '<', before);
          return q.execute();
        },
        (r) => r.length,
      );
      for (const r of rows) {
        total += r.size + ROW_OVERHEAD;
        if (total > maxBytes) {
          cut = r.seq;
          break;
        }
      }
      if (rows.length < scan) break;
      before = rows.at(-1)?.seq ?? null;
    }
    if (cut === null) return 0;
    const upTo = cut;
    return this.deleteTimelineBatches(
      (eb) => eb.selectFrom('timeline_events').select('seq').where('seq', '<=', upTo).orderBy('seq').limit(this.batch),
      timed,
    );
  }

  /**
   * Deletes the recordings (chunks) of ended sessions that ended before
   * cutoff — or, with `onlyIds`, of those sessions — keeping each session's
   * record, marked recording_expired_at. Sessions still open are never touched.
   */
  private async expireRecordings(cutoff: number, timed: Timed, onlyIds?: string[]): Promise<number> {
    let expired = 0;
    const now = (this.opts.now ?? Date.now)();
    const remaining = onlyIds ? [...onlyIds] : null;
    for (;;) {
      const ids = remaining
        ? remaining.splice(0, this.batch)
        : (
            await timed(
              'recordings',
              () =>
                this.db
                  .selectFrom('shell_sessions')
                  .select('id')
                  .where('recorded', '=', 1)
                  .where('recording_expired_at', 'is', null)
                  .where('ended_at', 'is not', null)
                  .where('ended_at', '<', cutoff)
                  .orderBy('started_at')
                  .limit(this.batch)
                  .execute(),
              (r) => r.length,
            )
          ).map((r) => r.id);
      if (ids.length === 0) return expired;
      await timed(
        'recordings',
        () =>
          this.db.transaction().execute(async (trx) => {
            await trx.deleteFrom('shell_recordings').where('session_id', 'in', ids).execute();
            await trx.updateTable('shell_sessions').set({ recording_expired_at: now }).where('id', 'in', ids).execute();
          }),
        () => ids.length,
      );
      expired += ids.length;
      if (remaining ? remaining.length === 0 : ids.length < this.batch) return expired;
    }
  }

  /** Newest sessions first, adding up recording_bytes; the ended ones past the cap lose their recordings. */
  private async capRecordings(maxBytes: number, timed: Timed): Promise<number> {
    const scan = this.opts.scanSize ?? 5000;
    let total = 0;
    let before: { startedAt: number; id: string } | null = null;
    const over: string[] = [];
    for (;;) {
      const b = before;
      const rows = await timed(
        'recordings',
        () => {
          let q = this.db
            .selectFrom('shell_sessions')
            .select(['id', 'started_at', 'ended_at', 'recording_bytes'])
            .where('recorded', '=', 1)
            .where('recording_expired_at', 'is', null)
            .orderBy('started_at', 'desc')
            .orderBy('id', 'desc')
            .limit(scan);
          if (b) {
            q = q.where((eb) =>
              eb.or([
                eb('started_at', '<', b.startedAt),
                eb.and([eb('started_at', '=', b.startedAt), eb('id', '<', b.id)]),
              ]),
            );
          }
          return q.execute();
        },
        (r) => r.length,
      );
      for (const r of rows) {
        total += r.recording_bytes;
        if (total > maxBytes && r.ended_at !== null) over.push(r.id);
      }
      const last = rows.at(-1);
      if (rows.length < scan || !last) break;
      before = { startedAt: last.started_at, id: last.id };
    }
    if (over.length === 0) return 0;
    return this.expireRecordings(Infinity, timed, over);
  }
}

/** A batch of timeline seqs to delete, as a subquery. */
type TimelineSeqs = (
  eb: ExpressionBuilder<Database, 'timeline_events'>,
) => SelectQueryBuilder<Database, 'timeline_events', { seq: number }>;

type Timed = <T>(what: 'timeline' | 'recordings', fn: () => Promise<T>, rows: (t: T) => number) => Promise<T>;
