// The PostgreSQL store (`--store postgres://…`), for hubs that outgrow one file
// on one volume. Same schema and queries as SQLite (see migrations.ts).
import { readFileSync } from 'node:fs';
import { PostgresDialect } from 'kysely';
import pg from 'pg';

export interface PostgresStoreOptions {
  /** postgres://user@host:port/database?sslmode=… (a password in the URL works, a file is better). */
  url: string;
  /** Password, overriding one in the URL (read from --store-password-file / a Secret). */
  password?: string;
  /** Connections in the pool (default 10). */
  maxConnections?: number;
}

const INT8_OID = 20;

/**
 * Times are epoch milliseconds in BIGINT columns and ids are BIGSERIAL: pg
 * hands int8 back as a string by default; every value the hub stores is far
 * below 2^53, so a JavaScript number is exact. Scoped to this pool, not pg's
 * global type table.
 */
const parseInt8 = (v: string): number => Number(v);
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : (pg.types.getTypeParser as (oid: number, format: string) => unknown)(
          oid,
          format ?? 'text',
        )) as pg.CustomTypesConfig['getTypeParser'],
};

export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//.test(store);
}

/** The password in a file (a mounted Secret): one line, trailing newline ignored. */
export function readPasswordFile(file: string): string {
  const text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (text === '') throw new Error(`store password file ${file} is empty`);
  return text;
}

/** pg lets the connection string win over a separate password option: the password goes into the URL. */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export function postgresPool(opts: PostgresStoreOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withPassword(opts.url, opts.password),
    max: opts.maxConnections ?? 10,
    types,
    // A dead server must surface as an error on the request, not a hang.
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its server (restart, failover) emits 'error' on the pool;
  // unhandled, that would end the process. The next query reconnects.
  pool.on('error', () => undefined);
  // Likewise a client in use whose session the server ends (restart, pg_terminate_backend):
  // its query rejects, which is where the error is handled; the 'error' event must not end the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * One connection outside the pool, for LISTEN (a pooled connection goes back
 * to the pool between queries; a listener must keep its session).
 */
export function postgresClient(opts: PostgresStoreOptions): pg.Client {
  return new pg.Client({
    connectionString: withPassword(opts.url, opts.password),
    types,
    connectionTimeoutMillis: 10_000,
  });
}

export function postgresDialect(opts: PostgresStoreOptions): PostgresDialect {
  return new PostgresDialect({ pool: postgresPool(opts) });
}

/** The URL without its password, for logs and progress output. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
