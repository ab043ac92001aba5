// PostgreSQL advisory locks: how hub processes sharing one database take turns.
// On SQLite there is one process and one writer connection: every lock is a no-op.
import { sql, type Kysely } from 'kysely';
import { isPostgres } from './dialect.js';

/** Fixed 64-bit keys, one per thing serialized (arbitrary, but never reused). */
export const LOCK_KEYS = {
  auditChain: 0x5768_0001n, // "Wh" 1
} as const;

/**
 * Serializes audit appends across processes: taken inside the append's
 * transaction and released by its commit or rollback.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: only the connection matters
export async function lockAuditChain(trx: Kysely<any>): Promise<void> {
  if (!isPostgres(trx)) return;
  await sql`SELECT pg_advisory_xact_lock(${LOCK_KEYS.auditChain.toString()}::bigint)`.execute(trx);
}
