// The audit chain's hashing rule, shared by the hub and offline verifiers:
//
//   hash = sha256_hex(prev_hash + canonical_json({seq, at, actor, action,
//            cluster_id, target, params, reason, outcome, detail}))
//
// canonical_json: object keys sorted (code-unit order), no whitespace,
// strings and numbers as JSON.stringify writes them, arrays in order. target,
// params and detail are JSON values (objects or null), not their stored text,
// so an export that carries them as objects verifies the same way.
import { createHash } from 'node:crypto';
import type { JsonValue } from '@wheelhouse/protocol';

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
}

export function recordHash(prevHash: string, record: ChainRecord): string {
  const body: JsonValue = {
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
}

/**
 * Incremental verifier: feed records in seq order. Used by AuditLog.verify()
 * and by the offline verification of exported files.
 */
export class ChainVerifier {
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
    let computed: string;
    try {
      computed = recordHash(record.prev_hash, record);
    } catch {
      return fail('record content cannot be canonicalised');
    }
    if (computed !== record.hash) return fail('record content does not match its hash (altered)');
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
    const out: ChainCheck = { ok: this.bad === undefined, records: this.count };
    if (this.bad) out.firstBadRecord = this.bad;
    else if (this.last) out.head = this.last;
    return out;
  }
}
