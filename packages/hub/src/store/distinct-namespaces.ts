// A cluster's distinct namespaces in one table, one index seek each: a loose
// index scan in a recursive CTE (SQLite and PostgreSQL both run it), instead
// of reading every row to find them. Used by the scoped lists (issue 13 item 8).
import { sql } from 'kysely';
import type { HubDb } from './db.js';

/** Tables with a cluster id and a namespace column, indexed as (cluster_id, namespace, …). */
const NAMESPACE_COLUMNS = { resources: 'namespace', commands: 'target_namespace' } as const;

/** The distinct namespaces of `cluster` in `table`, in the store's order. */
export async function distinctNamespaces(
  db: HubDb,
  table: keyof typeof NAMESPACE_COLUMNS,
  cluster: string,
): Promise<string[]> {
  const t = sql.table(table);
  const col = sql.ref(NAMESPACE_COLUMNS[table]);
  const { rows } = await sql<{ n: string }>`
    WITH RECURSIVE ns(n) AS (
      SELECT (SELECT ${col} FROM ${t} WHERE cluster_id = ${cluster} ORDER BY ${col} LIMIT 1)
      UNION ALL
      SELECT (SELECT ${col} FROM ${t} WHERE cluster_id = ${cluster} AND ${col} > ns.n ORDER BY ${col} LIMIT 1)
      FROM ns WHERE ns.n IS NOT NULL
    )
    SELECT n FROM ns WHERE n IS NOT NULL ORDER BY n`.execute(db);
  return rows.map((r) => r.n);
}
