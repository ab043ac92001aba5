// Which SQL dialect a store speaks. The hub's queries are written once with
// Kysely; the few places that differ (migrations' DDL, advisory locks) ask here.
import { PostgresAdapter, type Kysely } from 'kysely';

export type StoreDialect = 'sqlite' | 'postgres';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database's schema
type AnyDb = Kysely<any>;

export function dialectOf(db: AnyDb): StoreDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

export const isPostgres = (db: AnyDb): boolean => dialectOf(db) === 'postgres';
