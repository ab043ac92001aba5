// The append-only, hash-chained audit log. Every record links to the previous
// one by hash (rule in ./canonical.ts); verify() recomputes the chain and names
// the first record whose content or link is wrong.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Kysely, Transaction } from 'kysely';
import {
  toJson,
  type AuditActionKey,
  type AuditActionName,
  type AuditDetails,
  type AuditOutcomeOf,
  type JsonObject,
  type JsonValue,
} from '@wheelhouse/protocol';
import { lockAuditChain } from '../store/advisory-locks.js';
import type { HubDb } from '../store/db.js';
import type { AuditRow, Database } from '../store/schema.js';
import { checkAnchorMac, signAnchor, type AuditAnchor, type FileAnchor } from './anchor.js';
import type { AuditKeyring } from './audit-keys.js';
import {
  ChainVerifier,
  GENESIS_HASH,
  canonicalJson,
  recordHash,
  type ChainCheck,
  type ChainRecord,
} from './canonical.js';

/** A record as stored: any action and outcome (imports and tests); the hub itself appends through record(). */
export interface AuditRecordInput {
  actor: string;
  action: string;
  clusterId?: string | null;
  target?: { kind: string; namespace: string; name: string } | null;
  params?: JsonObject | null;
  reason?: string | null;
  outcome: string;
  detail?: JsonObject | null;
}

/**
 * One record to append, typed by the catalog (@wheelhouse/protocol
 * audit-actions.ts): the action names its outcomes and its detail's shape.
 */
export type CatalogAuditRecord = {
  [K in AuditActionKey]: {
    actor: string;
    action: AuditActionName<K>;
    clusterId?: string | null;
    target?: { kind: string; namespace: string; name: string } | null;
    params?: JsonObject | null;
    reason?: string | null;
    outcome: AuditOutcomeOf<K>;
    detail?: AuditDetails[K];
  };
}[AuditActionKey];

/** How the chain compares with the latest anchor kept outside the store. */
export interface AnchorCheck {
  /** Where the anchor was read (the anchor file's path). */
  source: string;
  /** matches | truncated (newest records deleted) | rewritten | invalid (anchor unreadable or forged) | missing (none yet). */
  status: 'matches' | 'truncated' | 'rewritten' | 'invalid' | 'missing';
  message: string;
  seq?: number;
  hash?: string;
  at?: number;
}

export type VerifyResult = ChainCheck & {
  /** Absent when the hub keeps no anchor file. */
  anchor?: AnchorCheck;
  /** Set when the newest records are gone: the anchor saw `anchoredSeq`, the store ends at `lastSeq`. */
  truncation?: { anchoredSeq: number; lastSeq: number; missingRecords: number };
};

export interface AuditLogOptions {
  /** HMAC keys; without them records are chained unkeyed (sha256), as before keys existed. */
  keys?: AuditKeyring;
  /** Where anchors of the head are written and read back by verify(). */
  anchorFile?: FileAnchor;
}

/**
 * Serializes appends at the chain's head. SQLite: the store has one
 * connection and every append runs in a transaction, so there is nothing to
 * do. PostgreSQL with several hub replicas: take a transaction-scoped
 * advisory lock here (pg_advisory_xact_lock) so that two appends never read
 * the same predecessor. Every append passes through this one function.
 */
async function lockChainHead(db: Kysely<Database>): Promise<void> {
  // SQLite: serialized by its single connection and the surrounding transaction; PostgreSQL: the
  // chain's advisory lock, held to commit, across every hub process sharing the database.
  await lockAuditChain(db);
}

export interface AuditQuery {
  actor?: string;
  /** Exact action, or a prefix ending in '*' ('auth.*'). */
  action?: string;
  cluster?: string;
  outcome?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, inclusive. */
  to?: number;
  /** Return records with seq below this (newest first). */
  before?: number;
  limit: number;
}

/** An audit record as the API shows it: JSON columns parsed, hashes included. */
export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  cluster: string | null;
  target: JsonValue;
  params: JsonValue;
  reason: string | null;
  outcome: string;
  detail: JsonValue;
  prevHash: string;
  hash: string;
  /** The HMAC key that chained the record; null before keys. */
  keyId: string | null;
}

const BATCH = 500;

/** Stored JSON text → value; unreadable text (only possible by tampering) comes back as the raw string. */
function parseColumn(text: string | null): { ok: boolean; value: JsonValue } {
  if (text === null) return { ok: true, value: null };
  try {
    return { ok: true, value: toJson(JSON.parse(text)) };
  } catch {
    return { ok: false, value: text };
  }
}

function toChainRecord(row: AuditRow): { record: ChainRecord; ok: boolean } {
  const target = parseColumn(row.target);
  const params = parseColumn(row.params);
  const detail = parseColumn(row.detail);
  return {
    ok: target.ok && params.ok && detail.ok,
    record: {
      seq: row.seq,
      at: row.at,
      actor: row.actor,
      action: row.action,
      cluster_id: row.cluster_id,
      target: target.value,
      params: params.value,
      reason: row.reason,
      outcome: row.outcome,
      detail: detail.value,
      key_id: row.key_id,
    },
  };
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  const { record } = toChainRecord(row);
  return {
    seq: record.seq,
    at: record.at,
    actor: record.actor,
    action: record.action,
    cluster: record.cluster_id,
    target: record.target,
    params: record.params,
    reason: record.reason,
    outcome: record.outcome,
    detail: record.detail,
    prevHash: row.prev_hash,
    hash: row.hash,
    keyId: row.key_id,
  };
}

/** Records written in one group-commit transaction at most. */
const APPEND_BATCH = 200;
/** Rows per INSERT statement (13 columns: well under SQLite's bound-parameter limit). */
const INSERT_CHUNK = 50;

interface QueuedAppend {
  input: AuditRecordInput;
  /** Set once the row is built (its seq and hash); the caller gets it after commit. */
  row?: AuditRow;
  /** Absent on the caller-transaction path: the caller's own promise reports. */
  resolve?: ((row: AuditRow) => void) | undefined;
  reject?: ((err: unknown) => void) | undefined;
}

const jsonText = (value: JsonValue | undefined): string | null =>
  value === undefined || value === null ? null : canonicalJson(value);

export class AuditLog {
  /** The last anchor this process wrote: verify notices an anchor file removed behind its back. */
  private lastAnchor: AuditAnchor | null = null;

  constructor(
    private readonly db: HubDb,
    private readonly opts: AuditLogOptions = {},
  ) {}

  /** The HMAC keys (in-process only: offline verification of an export needs them). */
  get keys(): AuditKeyring | undefined {
    return this.opts.keys;
  }

  /** Appends a catalog action (what the hub records; see append for the transaction rule). */
  record(record: CatalogAuditRecord, trx?: Transaction<Database>): Promise<AuditRow> {
    return this.append(record, trx);
  }

  /**
   * Appends one record, unchecked against the catalog. Pass the caller's transaction to make the record part
   * of a larger atomic write (a command and its audit record commit together);
   * never call it without `trx` from inside another transaction on the same
   * store — SQLite has one connection and that would wait on itself.
   */
  append(record: AuditRecordInput, trx?: Transaction<Database>): Promise<AuditRow> {
    if (trx) {
      const one: QueuedAppend = { input: record };
      return this.appendIn(trx, [one]).then(() => {
        if (!one.row) throw new Error('audit record was not appended');
        return one.row;
      });
    }
    return new Promise<AuditRow>((resolve, reject) => {
      this.queued.push({ input: record, resolve, reject });
      this.flush();
    });
  }

  // Group commit. Appends outside a caller's transaction queue here and go to
  // the store in batches: one transaction, one chain lock and one commit
  // (fsync) for every record that arrived while the previous batch was being
  // written. Each caller still returns only after its record committed. Why:
  // with one transaction per record, a burst of audited requests (denials are
  // audited) kept every pooled connection waiting on the chain's lock behind
  // the other replicas' commits, and requests timed out waiting for a
  // connection; now a process holds at most one connection for its appends.
  private readonly queued: QueuedAppend[] = [];
  private flushing = false;

  private flush(): void {
    if (this.flushing || this.queued.length === 0) return;
    this.flushing = true;
    const batch = this.queued.splice(0, APPEND_BATCH);
    this.db
      .transaction()
      .execute((t) => this.appendIn(t, batch))
      .then(
        () => {
          for (const a of batch) if (a.row) a.resolve?.(a.row);
        },
        (err: unknown) => {
          for (const a of batch) a.reject?.(err);
        },
      )
      .finally(() => {
        this.flushing = false;
        this.flush();
      });
  }

  // Reading the last hash and inserting inside one transaction serializes
  // appends: SQLite has one writer connection; on PostgreSQL the transaction
  // first takes the chain's advisory lock (held to commit), so no two
  // appends — from this process or another replica — read the same predecessor.
  private async appendIn(db: Kysely<Database>, appends: QueuedAppend[]): Promise<void> {
    await lockChainHead(db);
    const last = await db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    let head = { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH };
    const rows: AuditRow[] = [];
    for (const a of appends) {
      try {
        const row = this.buildRow(a.input, head.seq + 1, head.hash);
        a.row = row;
        rows.push(row);
        head = { seq: row.seq, hash: row.hash };
      } catch (err) {
        // A record that cannot be serialized fails alone; the batch's others go on.
        if (!a.reject) throw err;
        a.reject(err);
        a.reject = undefined;
        a.resolve = undefined;
      }
    }
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await db
        .insertInto('audit_log')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .execute();
    }
  }

  private buildRow(input: AuditRecordInput, seq: number, prevHash: string): AuditRow {
    const target: JsonValue = input.target
      ? { kind: input.target.kind, namespace: input.target.namespace, name: input.target.name }
      : null;
    const record: ChainRecord = {
      seq,
      at: Date.now(),
      actor: input.actor,
      action: input.action,
      // '' and null would be indistinguishable in a CSV export: store null.
      cluster_id: input.clusterId || null,
      target,
      params: input.params ?? null,
      reason: input.reason || null,
      outcome: input.outcome,
      detail: input.detail ?? null,
      key_id: this.opts.keys?.active.id ?? null,
    };
    return {
      seq: record.seq,
      at: record.at,
      actor: record.actor,
      action: record.action,
      cluster_id: record.cluster_id,
      target: jsonText(record.target),
      params: jsonText(record.params),
      reason: record.reason,
      outcome: record.outcome,
      detail: jsonText(record.detail),
      key_id: record.key_id ?? null,
      prev_hash: prevHash,
      hash: recordHash(prevHash, record, this.opts.keys?.active),
    };
  }

  /** The pass over the chain under way, which callers that ask meanwhile share. */
  private verifying: Promise<VerifyResult> | null = null;

  /**
   * Recomputes the whole chain in seq order, in batches (bounded memory):
   * every link and hash (HMACs with the key file's keys), then the chain's
   * end against the latest anchor. Callers that ask while a pass is under
   * way get that pass's result: every Audit page that opens asks, and at
   * 100k records a pass is seconds of the hub's CPU.
   */
  verify(): Promise<VerifyResult> {
    this.verifying ??= this.verifyChain().finally(() => {
      this.verifying = null;
    });
    return this.verifying;
  }

  private async verifyChain(): Promise<VerifyResult> {
    const verifier = new ChainVerifier(this.opts.keys);
    const anchored = this.anchorToCheck();
    let lastSeq = 0;
    let atAnchor: string | undefined;
    for await (const row of this.rows()) {
      lastSeq = row.seq;
      if (anchored.anchor && row.seq === anchored.anchor.seq) atAnchor = row.hash;
      const { record, ok } = toChainRecord(row);
      if (!ok) verifier.reject(row.seq, 'a JSON column (target, params or detail) is not valid JSON (altered)');
      else verifier.push({ ...record, prev_hash: row.prev_hash, hash: row.hash });
    }
    const result: VerifyResult = verifier.result();
    if (anchored.check) {
      result.anchor = anchored.check;
      if (anchored.check.status === 'invalid') result.ok = false;
    }
    const a = anchored.anchor;
    if (!a || !result.anchor) return result;
    const when = new Date(a.at).toISOString();
    const found = { seq: a.seq, hash: a.hash, at: a.at };
    if (lastSeq < a.seq) {
      const missing = a.seq - lastSeq;
      result.ok = false;
      result.truncation = { anchoredSeq: a.seq, lastSeq, missingRecords: missing };
      result.anchor = {
        ...result.anchor,
        ...found,
        status: 'truncated',
        message: `the newest ${missing} record(s), seq ${lastSeq + 1}..${a.seq}, were deleted: the anchor of ${when} saw the chain up to seq ${a.seq}, the store ends at ${lastSeq}`,
      };
    } else if (atAnchor !== a.hash || (a.keyedFrom !== null && result.keyed?.fromSeq !== a.keyedFrom)) {
      result.ok = false;
      const reason =
        atAnchor !== a.hash
          ? `record ${a.seq} differs from the head anchored at ${when} (rewritten, or the newest records were deleted and the log went on)`
          : `records are keyed since seq ${result.keyed?.fromSeq ?? 'nowhere'} but were keyed since seq ${a.keyedFrom} when anchored at ${when} (rewritten without the key)`;
      result.firstBadRecord ??= { seq: atAnchor !== a.hash ? a.seq : (a.keyedFrom ?? a.seq), reason };
      delete result.head;
      result.anchor = { ...result.anchor, ...found, status: 'rewritten', message: reason };
    } else {
      result.anchor = {
        ...result.anchor,
        ...found,
        status: 'matches',
        message: `the chain contains the head anchored at ${when} (seq ${a.seq})`,
      };
    }
    return result;
  }

  /** The anchor verify compares with: the file's, or what this process wrote if the file went missing. */
  private anchorToCheck(): { anchor: AuditAnchor | null; check: AnchorCheck | null } {
    const file = this.opts.anchorFile;
    if (!file) return { anchor: null, check: null };
    const source = file.path;
    const { anchor, unreadable } = file.read();
    if (unreadable) return { anchor: null, check: { source, status: 'invalid', message: unreadable } };
    if (!anchor) {
      if (this.lastAnchor) {
        const message = `the anchor file is gone, but this hub wrote one at ${new Date(this.lastAnchor.at).toISOString()} (seq ${this.lastAnchor.seq})`;
        return { anchor: null, check: { source, status: 'invalid', message } };
      }
      return { anchor: null, check: { source, status: 'missing', message: 'no anchor written yet' } };
    }
    const keys = this.opts.keys;
    const bad = keys ? checkAnchorMac(keys, anchor) : 'verifying it needs the key file';
    if (bad) return { anchor: null, check: { source, status: 'invalid', message: `the anchor is not valid: ${bad}` } };
    if (this.lastAnchor && anchor.seq < this.lastAnchor.seq) {
      const message = `the anchor file was replaced by an older anchor (seq ${anchor.seq}; this hub wrote seq ${this.lastAnchor.seq})`;
      return { anchor: null, check: { source, status: 'invalid', message } };
    }
    return { anchor, check: { source, status: 'missing', message: '' } };
  }

  /**
   * Signs the current head and hands it to the sinks; null when there is
   * nothing new to anchor (empty log, no keys, or the head already anchored).
   */
  async anchorHead(): Promise<AuditAnchor | null> {
    const keys = this.opts.keys;
    if (!keys) return null;
    const head = await this.db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!head || (this.lastAnchor?.seq === head.seq && this.lastAnchor.hash === head.hash)) return null;
    const firstKeyed = await this.db
      .selectFrom('audit_log')
      .select('seq')
      .where('key_id', 'is not', null)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    const anchor = signAnchor(keys, {
      seq: head.seq,
      hash: head.hash,
      keyedFrom: firstKeyed?.seq ?? null,
      at: Date.now(),
    });
    this.opts.anchorFile?.write(anchor);
    this.lastAnchor = anchor;
    return anchor;
  }

  /** Every stored row in seq order, read in batches (for verify and export). */
  async *rows(): AsyncGenerator<AuditRow> {
    let after = -Infinity;
    for (;;) {
      let q = this.db.selectFrom('audit_log').selectAll().orderBy('seq', 'asc').limit(BATCH);
      if (after !== -Infinity) q = q.where('seq', '>', after);
      const batch = await q.execute();
      for (const row of batch) yield row;
      const lastRow = batch.at(-1);
      if (batch.length < BATCH || !lastRow) return;
      after = lastRow.seq;
      // SQLite answers synchronously: without a turn of the event loop here,
      // verifying 100k records held the hub for seconds (every request, the
      // agents' links); now it stalls for one batch at most.
      await nextTurn();
    }
  }

  /** Newest first; `nextCursor` is the seq to pass as `before` for the next page. */
  async query(filter: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
    if (filter.action !== undefined) {
      if (filter.action.endsWith('*')) {
        const prefix = filter.action.slice(0, -1);
        // substr instead of LIKE: no wildcard escaping to get wrong.
        q = q.where((eb) => eb(eb.fn('substr', ['action', eb.val(1), eb.val(prefix.length)]), '=', prefix));
      } else {
        q = q.where('action', '=', filter.action);
      }
    }
    if (filter.cluster !== undefined) q = q.where('cluster_id', '=', filter.cluster);
    if (filter.outcome !== undefined) q = q.where('outcome', '=', filter.outcome);
    if (filter.from !== undefined) q = q.where('at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('at', '<=', filter.to);
    if (filter.before !== undefined) q = q.where('seq', '<', filter.before);
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(filter.limit + 1)
      .execute();
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return { items: page.map(toAuditEntry), nextCursor: rows.length > filter.limit && last ? String(last.seq) : null };
  }
}
