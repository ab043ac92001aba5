// The statements a store runs and the database's plan for each: the tests
// that prove a list is an index seek (never a scan or sort of a cluster's
// whole inventory or history) run the store's own code over a database that
// records what it is asked, then ask the database itself how it would answer.
import { CompiledQuery, sql, type KyselyPlugin } from 'kysely';
import type { HubDb } from '../../src/store/db.js';
import { isPostgres } from '../../src/store/dialect.js';

/** The same database, recording every statement run through it, compiled. */
export function recording(db: HubDb): { db: HubDb; statements: CompiledQuery[] } {
  const statements: CompiledQuery[] = [];
  const capture: KyselyPlugin = {
    transformQuery: (args) => {
      statements.push(db.getExecutor().compileQuery(args.node, args.queryId));
      return args.node;
    },
    transformResult: (args) => Promise.resolve(args.result),
  };
  return { db: db.withPlugin(capture), statements };
}

/**
 * The database's plan for a statement, one line (SQLite's EXPLAIN QUERY PLAN
 * details; PostgreSQL's EXPLAIN lines). PostgreSQL is told not to scan the
 * table — with a test's few rows a scan is what it would pick — so its plan
 * shows which index serves the statement and on which columns it seeks.
 */
export async function planOf(db: HubDb, statement: CompiledQuery | undefined): Promise<string> {
  if (!statement) throw new Error('no statement');
  const pg = isPostgres(db);
  const explain = CompiledQuery.raw(`EXPLAIN ${pg ? '' : 'QUERY PLAN '}${statement.sql}`, [...statement.parameters]);
  if (!pg) {
    const plan = await db.executeQuery<{ detail: string }>(explain);
    return plan.rows.map((r) => r.detail).join('; ');
  }
  return db.connection().execute(async (conn) => {
    await sql`SET enable_seqscan = off`.execute(conn);
    try {
      const plan = await conn.executeQuery<Record<string, string>>(explain);
      return plan.rows.map((r) => Object.values(r).join(' ')).join('; ');
    } finally {
      await sql`RESET enable_seqscan`.execute(conn);
    }
  });
}

/** Runs `run` over a recording copy of the database: its answer, and the plan of each statement it ran. */
export async function plansOf<T>(db: HubDb, run: (db: HubDb) => Promise<T>): Promise<{ result: T; plans: string[] }> {
  const rec = recording(db);
  const result = await run(rec.db);
  const plans: string[] = [];
  for (const s of rec.statements) plans.push(await planOf(db, s));
  return { result, plans };
}
