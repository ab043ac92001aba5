// How services answer: a value, or a catalog problem for the route to turn
// into an HTTP error. Services never pick a status code.
import type { ApiProblem } from '@wheelhouse/protocol';
import type { Transaction } from 'kysely';
import { lockCheckedWrites } from './store/advisory-locks.js';
import type { HubDb } from './store/db.js';
import type { Database } from './store/schema.js';

export type Result<T> = { ok: true; value: T } | { ok: false; problem: ApiProblem };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(problem: ApiProblem): Result<T> => ({ ok: false, problem });

/** Rolls a transaction back carrying the problem that stopped it. */
class Abort extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.code);
  }
}

/**
 * Runs fn in one transaction, one such transaction at a time (see
 * lockCheckedWrites: its checks hold on PostgreSQL as on SQLite); `abort(problem)` inside rolls everything back and
 * becomes the failed result (other errors propagate as they are).
 */
export async function inTransaction<T>(
  db: HubDb,
  fn: (trx: Transaction<Database>, abort: (problem: ApiProblem) => never) => Promise<T>,
): Promise<Result<T>> {
  const abort = (problem: ApiProblem): never => {
    throw new Abort(problem);
  };
  try {
    return ok(
      await db.transaction().execute(async (trx) => {
        await lockCheckedWrites(trx);
        return fn(trx, abort);
      }),
    );
  } catch (err) {
    if (err instanceof Abort) return fail(err.problem);
    throw err;
  }
}
