// The append-only, hash-chained audit log. Every record links to the previous
// one by hash (rule in ./canonical.ts); verify() recomputes the chain and names
// the first record whose content or link is wrong.
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

export type VerifyResult = ChainCheck;

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
  };
}

const jsonText = (value: JsonValue | undefined): string | null =>
  value === undefined || value === null ? null : canonicalJson(value);

export class AuditLog {
  constructor(private readonly db: HubDb) {}

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
    if (trx) return this.appendIn(trx, record);
    return this.db.transaction().execute((t) => this.appendIn(t, record));
  }

  // Reading the last hash and inserting inside one transaction serializes
  // appends: SQLite has one writer connection; on PostgreSQL the transaction
  // first takes the chain's advisory lock (held to commit), so no two
  // appends — from this process or another replica — read the same predecessor.
  private async appendIn(db: Kysely<Database>, input: AuditRecordInput): Promise<AuditRow> {
    await lockAuditChain(db);
    const last = await db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const target: JsonValue = input.target
      ? { kind: input.target.kind, namespace: input.target.namespace, name: input.target.name }
      : null;
    const record: ChainRecord = {
      seq: (last?.seq ?? 0) + 1,
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
    };
    const prevHash = last?.hash ?? GENESIS_HASH;
    const row: AuditRow = {
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
      prev_hash: prevHash,
      hash: recordHash(prevHash, record),
    };
    await db.insertInto('audit_log').values(row).execute();
    return row;
  }

  /** Recomputes the whole chain in seq order, in batches (bounded memory). */
  async verify(): Promise<VerifyResult> {
    const verifier = new ChainVerifier();
    for await (const row of this.rows()) {
      const { record, ok } = toChainRecord(row);
      if (!ok) verifier.reject(row.seq, 'a JSON column (target, params or detail) is not valid JSON (altered)');
      else verifier.push({ ...record, prev_hash: row.prev_hash, hash: row.hash });
    }
    return verifier.result();
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
