// STUB — to be implemented (append-only, hash-chained audit log).
import type { Transaction } from 'kysely';
import type { JsonObject } from '@wheelhouse/protocol';
import type { HubDb } from '../store/db.js';
import type { AuditRow, Database } from '../store/schema.js';

export interface AuditRecordInput {
  actor: string;
  action: string;
  clusterId?: string | null;
  target?: { kind: string; namespace: string; name: string } | null;
  params?: JsonObject | null;
  reason?: string | null;
  /** allowed | denied | requested | succeeded | failed | rejected | expired | … */
  outcome: string;
  detail?: JsonObject | null;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  firstBadRecord?: { seq: number; reason: string };
}

export class AuditLog {
  constructor(private readonly db: HubDb) {}

  /** Appends one record; pass a transaction to make it part of a larger atomic write. */
  append(record: AuditRecordInput, trx?: Transaction<Database>): Promise<AuditRow> {
    void record;
    void trx;
    void this.db;
    return Promise.reject(new Error('AuditLog.append not implemented'));
  }

  verify(): Promise<VerifyResult> {
    return Promise.reject(new Error('AuditLog.verify not implemented'));
  }
}
