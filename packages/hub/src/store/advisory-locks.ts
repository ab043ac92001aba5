// PostgreSQL advisory locks: how hub processes sharing one database take turns.
// On SQLite there is one process and one writer connection: every lock is a no-op.
import { sql, type Kysely } from 'kysely';
import { isPostgres } from './dialect.js';

/** Fixed 64-bit keys, one per thing serialized (arbitrary, but never reused). */
export const LOCK_KEYS = {
  auditChain: 0x5768_0001n, // "Wh" 1
  checkedWrites: 0x5768_0002n,
  leader: 0x5768_0003n, // session-level: held by the process running background work
  loginThrottle: 0x5768_0004n,
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

/**
 * Transactions that check an invariant across rows before writing (the last
 * global admin, a user's bindings) run one at a time, as they do on SQLite's
 * single connection: under PostgreSQL's READ COMMITTED two of them could each
 * see the other's rows still there. Only admin-rate writes take it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: only the connection matters
export async function lockCheckedWrites(trx: Kysely<any>): Promise<void> {
  if (!isPostgres(trx)) return;
  await sql`SELECT pg_advisory_xact_lock(${LOCK_KEYS.checkedWrites.toString()}::bigint)`.execute(trx);
}

/**
 * Serializes sign-in throttle updates across processes (read-modify-write of
 * a failure count): two replicas counting the same guess must both count.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: only the connection matters
export async function lockLoginThrottle(trx: Kysely<any>): Promise<void> {
  if (!isPostgres(trx)) return;
  await sql`SELECT pg_advisory_xact_lock(${LOCK_KEYS.loginThrottle.toString()}::bigint)`.execute(trx);
}
