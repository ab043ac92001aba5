// Which notifications go out: the leader reads new timeline events (insights
// opened and resolved, failed actions and access steps are all written there,
// in the transaction that made them), matches them against the rules, claims
// each (rule, dedupe key) in the store, rate-limits per rule and hands the
// message to the shared sender.
//
// Why the timeline and the leader: every replica writes events (whichever
// holds the agent link or answered the request), but only the leader reads
// them, so a message goes out once; the cursor and the claims live in the
// store, so a new leader continues where the old one stopped. PostgreSQL may
// commit a lower seq after a higher one was read: each pass there also re-reads
// the last `lookbackMs` of events at or below the cursor (less those this
// leader handled), and the claims make that re-read send nothing twice.
// SQLite needs no re-read (see readEvents).
//
// Each pass reads by index seeks only (issue 18: a read that scanned the
// table from its oldest row held the hub's event loop for 400 ms at 300,000
// events, every pass): new events by seq (the primary key), up to the newest
// seq at the pass's start; the re-read by the index on time.
import {
  SEVERITIES,
  severityRank,
  type NotificationDelivery,
  type NotificationEvent,
  type Severity,
  type TimelineEvent,
} from '@wheelhouse/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { matchesPattern } from '../auth/rbac.js';
import type { HubMetrics } from '../metrics.js';
import type { HubDb } from '../store/db.js';
import { isPostgres } from '../store/dialect.js';
import type { TimelineRow } from '../store/schema.js';
import { rowToEvent } from '../timeline/timeline-store.js';
import { bodyOf, messageOf, notificationEventOf, suppressedMessage } from './notification-format.js';
import type { NotificationRule, NotificationRuleStore } from './notification-rule-store.js';
import type { NotificationSender } from './notification-sender.js';

export interface NotificationDispatchOptions {
  /** An insight opened (or resolved) again within this time of the last message about it is not re-sent (default 10 min). */
  flapWindowMs?: number;
  /** Messages per rule per rateWindowMs (default 20); beyond, counted and summed up in one "N more suppressed". */
  ratePerWindow?: number;
  rateWindowMs?: number;
  /** How far back each pass re-reads events that may have committed late (default 30 s). */
  lookbackMs?: number;
  /** Events read per pass (default 500). */
  batch?: number;
}

const TYPES = ['insight-opened', 'insight-resolved', 'action', 'access'] as const;
const CURSOR = 'timeline';
/** Claims older than this are pruned: longer than any flap window or lookback. */
const CLAIM_TTL_MS = 24 * 3_600_000;
/** A pass that sent nothing writes its cursor at most this often. */
const PERSIST_EVERY_MS = 5 * 60_000;

/** One key per thing a rule says once: an insight's opening or resolution (flap window), or any other event. */
export function dedupeKey(e: TimelineEvent, event: NotificationEvent): { key: string; flap: boolean } {
  if (event === 'insight-opened' || event === 'insight-resolved') {
    const id = (e.data as { insightId?: unknown }).insightId;
    return { key: `insight:${e.cluster}:${String(id)}:${event}`, flap: true };
  }
  return { key: `event:${e.cluster}:${e.id}`, flap: false };
}

/** Whether a rule sends this event: kind, cluster and namespace patterns, and (health events) severity. */
export function ruleMatches(
  rule: Pick<NotificationRule, 'events' | 'cluster' | 'namespace' | 'minSeverity'>,
  e: Pick<TimelineEvent, 'cluster' | 'namespace'>,
  event: NotificationEvent,
  severity: Severity,
): boolean {
  if (!rule.events.includes(event)) return false;
  if (!matchesPattern(rule.cluster, e.cluster) || !matchesPattern(rule.namespace, e.namespace)) return false;
  // Access steps are not health: every one goes to the rules that ask for them.
  return event === 'access-request' || severityRank(severity) >= severityRank(rule.minSeverity);
}

/** Per-rule fixed-window rate limit: how many went out in this window, how many were left out. */
export class RuleRateLimit {
  private readonly windows = new Map<string, { start: number; sent: number; suppressed: number }>();
  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number,
  ) {}

  /** True: send it. False: suppressed (counted for the window's summary). */
  take(ruleId: string, now: number): boolean {
    let w = this.windows.get(ruleId);
    if (!w || now - w.start >= this.windowMs) {
      if (w && w.suppressed > 0) return this.suppress(w); // its summary is still due: flushed first
      w = { start: now, sent: 0, suppressed: 0 };
      this.windows.set(ruleId, w);
    }
    if (w.sent < this.perWindow) {
      w.sent++;
      return true;
    }
    return this.suppress(w);
  }

  private suppress(w: { suppressed: number }): false {
    w.suppressed++;
    return false;
  }

  /** Whether a summary is still to be sent. */
  pending(): boolean {
    for (const w of this.windows.values()) if (w.suppressed > 0) return true;
    return false;
  }

  /** Rules whose window ended with messages left out: their counts, reset (a new window starts). */
  due(now: number): { ruleId: string; suppressed: number }[] {
    const out: { ruleId: string; suppressed: number }[] = [];
    for (const [ruleId, w] of this.windows) {
      if (now - w.start < this.windowMs) continue;
      if (w.suppressed > 0) out.push({ ruleId, suppressed: w.suppressed });
      this.windows.delete(ruleId);
    }
    return out;
  }
}

export class NotificationDispatcher {
  private readonly o: Required<NotificationDispatchOptions>;
  private readonly rate: RuleRateLimit;
  private running: Promise<void> | null = null;
  private lastPrune = 0;
  private memCursor: number | null = null;
  private storedCursor: number | null = null;
  /**
   * PostgreSQL: the seqs this leader handled, with their event time, while the
   * re-read of late commits still returns them (time within lookbackMs). The
   * re-read skips them: their claims are in the store, so claiming again (an
   * INSERT per rule per event, every pass, for every notified event of the
   * last 30 s — hundreds in an incident) could only be refused.
   */
  private readonly handled = new Map<number, number>();
  /** From start-up: a pass that sends nothing writes no cursor for the first persist interval either. */
  private lastPersist = Date.now();

  constructor(
    private readonly deps: {
      db: HubDb;
      rules: NotificationRuleStore;
      sender: NotificationSender;
      metrics: HubMetrics;
      log: FastifyBaseLogger;
    },
    opts: NotificationDispatchOptions = {},
  ) {
    this.o = {
      flapWindowMs: 10 * 60_000,
      ratePerWindow: 20,
      rateWindowMs: 60_000,
      lookbackMs: 30_000,
      batch: 500,
      ...opts,
    };
    this.rate = new RuleRateLimit(this.o.ratePerWindow, this.o.rateWindowMs);
  }

  /** Leadership changed: the next pass starts from the stored cursor. */
  forgetCursor(): void {
    this.memCursor = null;
    this.handled.clear();
  }

  /** Resolves once no pass is under way. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** One pass; a pass still under way is joined, never run twice at once. */
  tick(now = Date.now()): Promise<void> {
    this.running ??= this.pass(now).finally(() => (this.running = null));
    return this.running;
  }

  private async pass(now: number): Promise<void> {
    const { db } = this.deps;
    const rules = await this.deps.rules.rules();
    // No rules, no writes: an idle hub's store stays as it is. The stored
    // cursor may then lag; a rule sends only what happened after it was made,
    // so the backlog a new rule finds is skipped, not sent: the cursor in
    // memory keeps up with the timeline's end (one seek), and the first pass
    // after a rule is made starts where the last one without stopped.
    if (rules.length === 0 && !this.rate.pending()) {
      this.memCursor = Math.max(this.memCursor ?? 0, (await this.newestSeq()) ?? 0);
      return;
    }
    const cursor = await this.cursor(now);
    const { rows, seq } = await this.readEvents(cursor, now);
    const postgres = isPostgres(db);
    let sent = false;
    for (const row of rows) {
      const e = rowToEvent(row);
      const event = notificationEventOf(e);
      if (!event) continue;
      const severity = await this.severityOf(e, event);
      for (const rule of rules) {
        if (e.time < rule.createdAt || !ruleMatches(rule, e, event, severity)) continue;
        const { key, flap } = dedupeKey(e, event);
        if (!(await this.claim(rule.id, key, flap, now))) continue;
        sent = true;
        if (!this.rate.take(rule.id, now)) {
          this.deps.metrics.notifications.inc({ outcome: 'suppressed' });
          await this.deps.rules.countLeftOut(rule.id, 'suppressed');
          continue;
        }
        this.send(rule, bodyOf(rule.format, messageOf(e, event, severity, rule)));
      }
      if (postgres) this.handled.set(row.seq, row.time);
    }
    if (seq > cursor) await this.setCursor(seq, sent, now);
    const byId = new Map(rules.map((r) => [r.id, r]));
    for (const { ruleId, suppressed } of this.rate.due(now)) {
      const rule = byId.get(ruleId);
      if (rule) this.send(rule, bodyOf(rule.format, suppressedMessage(rule, suppressed, now)));
    }
    if (now - this.lastPrune > 3_600_000) {
      this.lastPrune = now;
      await db
        .deleteFrom('notification_sent')
        .where('sent_at', '<', now - CLAIM_TTL_MS)
        .execute();
    }
  }

  /**
   * The events this pass considers, in seq order, and the cursor once they are
   * handled. New events: seq above the cursor, up to `end`, the newest seq
   * when the pass starts (read first: on SQLite every seq up to it is then
   * committed). A short batch moves the cursor to `end`, so events of other
   * types (most of the timeline) are walked past once, never again.
   *
   * The re-read of late commits, PostgreSQL only: there seqs are taken when a
   * transaction inserts but become visible when it commits, so a lower one may
   * appear after the cursor passed it. SQLite has one writer at a time (its
   * write lock; the hub's connection and the timeline writer thread also take
   * the write turn, store/sqlite-write-turn.ts) and seq is AUTOINCREMENT
   * (never reused, even after a rollback or a delete): a seq committed later
   * is always above every seq a read already saw.
   */
  private async readEvents(cursor: number, now: number): Promise<{ rows: TimelineRow[]; seq: number }> {
    const { db } = this.deps;
    const end = (await this.newestSeq()) ?? cursor;
    const fresh = await db
      .selectFrom('timeline_events')
      .selectAll()
      .where('seq', '>', cursor)
      .where('seq', '<=', end)
      .where('type', 'in', TYPES)
      .orderBy('seq')
      .limit(this.o.batch)
      .execute();
    const last = fresh.at(-1)?.seq ?? cursor;
    const seq = Math.max(cursor, fresh.length < this.o.batch ? end : last);
    if (!isPostgres(db)) return { rows: fresh, seq };
    // By the index on time (timeline_by_event_time); no LIMIT, which would let
    // the planner walk the primary key instead. Only the notified types of
    // the last lookbackMs come back.
    const since = now - this.o.lookbackMs;
    const late = await db
      .selectFrom('timeline_events')
      .selectAll()
      .where('time', '>', since)
      .where('seq', '<=', cursor)
      .where('type', 'in', TYPES)
      .orderBy('seq')
      .execute();
    for (const [s, time] of this.handled) if (time <= since) this.handled.delete(s);
    return { rows: [...late.filter((r) => !this.handled.has(r.seq)), ...fresh], seq };
  }

  /** The timeline's newest seq (an index seek at the end of the primary key); undefined when empty. */
  private async newestSeq(): Promise<number | undefined> {
    const r = await this.deps.db
      .selectFrom('timeline_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return r?.seq ?? undefined;
  }

  /** Queues one message for a rule; its outcome lands on the rule's row. */
  send(
    rule: NotificationRule,
    body: unknown,
    more: { retries?: number; done?: (outcome: NotificationDelivery) => void } = {},
  ): boolean {
    const queued = this.deps.sender.enqueue({
      url: rule.url,
      body,
      ...(more.retries !== undefined ? { retries: more.retries } : {}),
      done: (outcome) => {
        this.deps.metrics.notifications.inc({ outcome: outcome.ok ? 'delivered' : 'failed' });
        if (!outcome.ok) this.deps.log.warn({ rule: rule.id, outcome }, 'notification not delivered');
        this.deps.rules
          .recordDelivery(rule.id, outcome)
          .catch((err: unknown) => this.deps.log.warn({ err }, 'recording a notification delivery failed'))
          .finally(() => more.done?.(outcome));
      },
    });
    if (!queued) {
      this.deps.metrics.notifications.inc({ outcome: 'dropped' });
      this.deps.log.warn({ rule: rule.id }, 'notification dropped: the send queue is full');
      this.deps.rules
        .countLeftOut(rule.id, 'dropped')
        .catch((err: unknown) => this.deps.log.warn({ err }, 'counting a dropped notification failed'));
    }
    return queued;
  }

  /** A resolved insight keeps the severity it had while open (its timeline event says info). */
  private async severityOf(e: TimelineEvent, event: NotificationEvent): Promise<Severity> {
    if (event !== 'insight-resolved') return e.severity;
    const id = (e.data as { insightId?: unknown }).insightId;
    if (typeof id !== 'string') return e.severity;
    const r = await this.deps.db
      .selectFrom('insights')
      .select('severity')
      .where('cluster_id', '=', e.cluster)
      .where('id', '=', id)
      .executeTakeFirst();
    return r && (SEVERITIES as readonly string[]).includes(r.severity) ? (r.severity as Severity) : e.severity;
  }

  /**
   * Claims (rule, key): true when this pass should send it. A new key is
   * inserted; a flap key already there is taken again only once its last
   * message is older than the flap window. Atomic in the store, so two passes
   * (or two hubs during a leadership change) never both send.
   */
  private async claim(ruleId: string, key: string, flap: boolean, now: number): Promise<boolean> {
    const { db } = this.deps;
    const inserted = await db
      .insertInto('notification_sent')
      .values({ rule_id: ruleId, key, sent_at: now })
      .onConflict((oc) => oc.columns(['rule_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return true;
    if (!flap) return false;
    const retaken = await db
      .updateTable('notification_sent')
      .set({ sent_at: now })
      .where('rule_id', '=', ruleId)
      .where('key', '=', key)
      .where('sent_at', '<', now - this.o.flapWindowMs)
      .returning('key')
      .executeTakeFirst();
    return retaken !== undefined;
  }

  /**
   * Where the last pass stopped. Kept in memory and written to the store only
   * when first found missing, with a pass that sent something, or every
   * persistEveryMs: a pass that finds nothing to send writes nothing, and a
   * new leader that starts from an older cursor re-reads events whose claims
   * stop a second message.
   */
  private async cursor(now: number): Promise<number> {
    if (this.memCursor !== null) return this.memCursor;
    const { db } = this.deps;
    const r = await db.selectFrom('notification_cursor').select('seq').where('name', '=', CURSOR).executeTakeFirst();
    if (r) {
      this.memCursor = this.storedCursor = r.seq;
      return r.seq;
    }
    // Never stored: start at the timeline's end (history is not sent), and
    // store it now (once: a rule exists), so a restart or a new leader
    // continues from here rather than from the end it then finds.
    this.storedCursor = null;
    const end = (await this.newestSeq()) ?? 0;
    await this.setCursor(end, true, now);
    return end;
  }

  private async setCursor(seq: number, sent: boolean, now: number): Promise<void> {
    this.memCursor = seq;
    if (seq === this.storedCursor || (!sent && now - this.lastPersist < PERSIST_EVERY_MS)) return;
    await this.deps.db
      .insertInto('notification_cursor')
      .values({ name: CURSOR, seq })
      .onConflict((oc) => oc.column('name').doUpdateSet({ seq }))
      .execute();
    this.storedCursor = seq;
    this.lastPersist = now;
  }
}
