// The audit chain's hashing rule, shared by the hub and offline verifiers.
// A keyed record (key_id set; every record since the hub had a key, issue 13
// item 14):
//
//   hash = hmac_sha256_hex(key[key_id], prev_hash + canonical_json({seq, at,
//            actor, action, cluster_id, target, params, reason, outcome,
//            detail, key_id}))
//
// A record from before keys (key_id null) keeps its unkeyed hash:
//
//   hash = sha256_hex(prev_hash + canonical_json({seq, at, actor, action,
//            cluster_id, target, params, reason, outcome, detail}))
//
// Unkeyed records may only precede keyed ones: the first keyed record's HMAC
// covers the last unkeyed hash, so the old prefix cannot be rewritten either.
//
// canonical_json: object keys sorted (code-unit order), no whitespace,
// strings and numbers as JSON.stringify writes them, arrays in order. target,
// params and detail are JSON values (objects or null), not their stored text,
// so an export that carries them as objects verifies the same way.
import { createHash, createHmac } from 'node:crypto';
import type { JsonValue } from '@wheelhouse/protocol';
import type { AuditKey, AuditKeyring } from './audit-keys.js';

export const GENESIS_HASH = '0'.repeat(64);

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new TypeError('canonical JSON cannot hold a non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] ?? null)}`).join(',')}}`;
}

/** The hashed fields of one audit record, with JSON columns as values. */
export interface ChainRecord {
  seq: number;
  at: number;
  actor: string;
  action: string;
  cluster_id: string | null;
  target: JsonValue;
  params: JsonValue;
  reason: string | null;
  outcome: string;
  detail: JsonValue;
  /** The HMAC key that chained this record; null for records from before keys. */
  key_id?: string | null;
}

/** The record's hash: HMAC-SHA256 with `key` for a keyed record, plain sha256 for an old unkeyed one. */
export function recordHash(prevHash: string, record: ChainRecord, key?: AuditKey): string {
  const body: Record<string, JsonValue> = {
    seq: record.seq,
    at: record.at,
    actor: record.actor,
    action: record.action,
    cluster_id: record.cluster_id,
    target: record.target,
    params: record.params,
    reason: record.reason,
    outcome: record.outcome,
    detail: record.detail,
  };
  if (record.key_id) {
    if (key?.id !== record.key_id) throw new Error(`record ${record.seq} needs key "${record.key_id}"`);
    body.key_id = record.key_id;
    return createHmac('sha256', key.secret)
      .update(prevHash + canonicalJson(body), 'utf8')
      .digest('hex');
  }
  return createHash('sha256')
    .update(prevHash + canonicalJson(body), 'utf8')
    .digest('hex');
}

export interface ChainCheck {
  ok: boolean;
  records: number;
  firstBadRecord?: { seq: number; reason: string };
  /** The last verified record: keep it elsewhere to detect truncation of the tail. */
  head?: { seq: number; hash: string };
  /** The first record chained with an HMAC key (null: none yet), and the keys named. */
  keyed?: { fromSeq: number | null; keyIds: string[] };
}

/**
 * Incremental verifier: feed records in seq order. Used by AuditLog.verify()
 * and by the offline verification of exported files.
 */
export class ChainVerifier {
  /** Without keys only unkeyed records verify; a keyed one is reported as unverifiable. */
  constructor(private readonly keys?: AuditKeyring) {}

  private keyedFrom: number | null = null;
  private readonly keyIds = new Set<string>();
  private expectedPrev = GENESIS_HASH;
  private expectedSeq: number | null = null;
  private count = 0;
  private bad: { seq: number; reason: string } | undefined;
  private last: { seq: number; hash: string } | undefined;

  /** Returns false once a bad record was found; later records are only counted. */
  push(record: ChainRecord & { prev_hash: string; hash: string }): boolean {
    this.count++;
    if (this.bad) return false;
    const fail = (reason: string): false => {
      this.bad = { seq: record.seq, reason };
      return false;
    };
    if (this.expectedSeq !== null && record.seq !== this.expectedSeq) {
      return fail(
        record.seq > this.expectedSeq
          ? `records ${this.expectedSeq}..${record.seq - 1} are missing before seq ${record.seq}`
          : `seq ${record.seq} is out of order (expected ${this.expectedSeq})`,
      );
    }
    if (record.prev_hash !== this.expectedPrev) {
      return fail(
        this.expectedSeq === null
          ? 'first record does not start the chain (prev_hash is not the genesis hash)'
          : `prev_hash does not match the hash of record ${this.expectedSeq - 1}`,
      );
    }
    let key: AuditKey | undefined;
    if (record.key_id) {
      key = this.keys?.get(record.key_id);
      if (!key)
        return fail(
          this.keys
            ? `record names HMAC key "${record.key_id}", which is not in the key file (keys: ${this.keys.ids().join(', ')})`
            : `record is keyed with HMAC key "${record.key_id}"; verifying it needs the key file`,
        );
      this.keyedFrom ??= record.seq;
      this.keyIds.add(record.key_id);
    } else if (this.keyedFrom !== null) {
      return fail(
        `record has no HMAC key although records are keyed since seq ${this.keyedFrom} (rewritten by someone without the key)`,
      );
    }
    let computed: string;
    try {
      computed = recordHash(record.prev_hash, record, key);
    } catch {
      return fail('record content cannot be canonicalised');
    }
    if (computed !== record.hash)
      return fail(
        key
          ? `record content does not match its hash (altered; its HMAC with key "${key.id}" differs)`
          : 'record content does not match its hash (altered)',
      );
    this.expectedPrev = record.hash;
    this.expectedSeq = record.seq + 1;
    this.last = { seq: record.seq, hash: record.hash };
    return true;
  }

  /** A record whose stored form is unreadable (bad JSON column…). */
  reject(seq: number, reason: string): void {
    this.count++;
    this.bad ??= { seq, reason };
  }

  result(): ChainCheck {
    const out: ChainCheck = {
      ok: this.bad === undefined,
      records: this.count,
      keyed: { fromSeq: this.keyedFrom, keyIds: [...this.keyIds] },
    };
    if (this.bad) out.firstBadRecord = this.bad;
    else if (this.last) out.head = this.last;
    return out;
  }
}
