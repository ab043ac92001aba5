// `wheelhouse store copy`: moves a hub from its SQLite file to PostgreSQL.
// Every table is copied as stored (the audit chain's seq, hashes and JSON text
// byte for byte), in one PostgreSQL transaction that commits only after the
// chain verifies on the target and every table's row count matches.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { AuditLog } from '../audit/audit-log.js';
import { parseKeyFile, type AuditKeyring } from '../audit/audit-keys.js';
import type { VerifyResult } from '../audit/audit-log.js';
import { openDatabase, type HubDb } from './db.js';
import { migrationNames } from './migrations.js';

export interface StoreCopyOptions {
  /** hub.db, or the data directory holding it. */
  from: string;
  /** postgres:// URL of the target database (it must exist; the copy migrates it). */
  to: string;
  toPassword?: string;
  /** Empty a non-empty target first (its audit log included). Without it a non-empty target is refused. */
  replace?: boolean;
  /**
   * The hub's audit key file, to verify the HMAC-keyed chain on the target (default: the one
   * beside the data directory, `<data dir>.audit.key`, as the hub keeps it). The key never
   * goes into the database: the hub on PostgreSQL is given the same file.
   */
  auditKeyFile?: string;
  /** Called as rows are written: table, rows done, rows in the table. */
  onProgress?: (table: string, done: number, total: number) => void;
}

export interface StoreCopyResult {
  tables: { name: string; rows: number }[];
  audit: VerifyResult;
  ms: number;
}

export class StoreCopyError extends Error {}

/** Tables the migrator owns: never copied (the target has its own, migrated to the same names). */
const MIGRATOR_TABLES = new Set(['kysely_migration', 'kysely_migration_lock']);

// Keeps each INSERT's bound parameters far below PostgreSQL's 65,535.
const PARAMS_PER_INSERT = 30_000;

/** The keyring of the source hub's audit chain, when its key file exists (a chain without keys needs none). */
function auditKeysFor(opts: StoreCopyOptions): AuditKeyring | undefined {
  const dataDir = existsSync(opts.from) && statSync(opts.from).isDirectory() ? opts.from : dirname(opts.from);
  const file = opts.auditKeyFile ?? `${dataDir.replace(/\/+$/, '')}.audit.key`;
  if (!existsSync(file)) {
    if (opts.auditKeyFile) throw new StoreCopyError(`no audit key file at ${file}`);
    return undefined;
  }
  return parseKeyFile(readFileSync(file, 'utf8'), file);
}

export function sqliteFileOf(from: string): string {
  const file = existsSync(from) && statSync(from).isDirectory() ? join(from, 'hub.db') : from;
  if (!existsSync(file)) throw new StoreCopyError(`no SQLite store at ${file}`);
  return file;
}

/** Tables in an order where every table comes after those it references. */
function tablesInDependencyOrder(src: BetterSqlite3.Database): string[] {
  const names = (
    src.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
      name: string;
    }[]
  )
    .map((r) => r.name)
    .filter((n) => !MIGRATOR_TABLES.has(n))
    .sort();
  const deps = new Map(
    names.map((n) => [
      n,
      (src.prepare(`PRAGMA foreign_key_list("${n}")`).all() as { table: string }[])
        .map((f) => f.table)
        .filter((t) => t !== n),
    ]),
  );
  const ordered: string[] = [];
  const visit = (n: string, path: Set<string>): void => {
    if (ordered.includes(n) || path.has(n)) return;
    path.add(n);
    for (const d of deps.get(n) ?? []) visit(d, path);
    ordered.push(n);
  };
  for (const n of names) visit(n, new Set());
  return ordered;
}

function checkSourceSchema(src: BetterSqlite3.Database): void {
  const applied = (src.prepare('SELECT name FROM kysely_migration ORDER BY name').all() as { name: string }[]).map(
    (r) => r.name,
  );
  const expected = migrationNames();
  if (applied.join() !== expected.join()) {
    throw new StoreCopyError(
      `the SQLite store is at schema ${applied.at(-1) ?? '(none)'}, this wheelhouse at ${expected.at(-1) ?? '(none)'}: ` +
        'start this version of the hub on it once (it migrates at start-up), stop it, then copy',
    );
  }
}

async function targetRowCounts(db: Kysely<unknown>, tables: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const t of tables) {
    // count(*) is int8: a number with the store's type parser.
    const r = await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(t)}`.execute(db);
    counts.set(t, r.rows[0]?.n ?? 0);
  }
  return counts;
}

/** Moves BIGSERIAL sequences past the copied ids, so the next insert does not collide. */
async function resetSequences(trx: Kysely<unknown>): Promise<void> {
  const cols = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'`.execute(trx);
  for (const c of cols.rows) {
    await sql`SELECT setval(pg_get_serial_sequence(${c.table_name}, ${c.column_name}),
      (SELECT coalesce(max(${sql.ref(c.column_name)}), 0) + 1 FROM ${sql.table(c.table_name)}), false)`.execute(trx);
  }
}

export async function copyStore(opts: StoreCopyOptions): Promise<StoreCopyResult> {
  const started = Date.now();
  const file = sqliteFileOf(opts.from);
  // Read-only, in one read transaction: a consistent snapshot even if a hub still writes (stop it first
  // all the same: what it writes after the snapshot is not copied).
  const src = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  let target: HubDb | undefined;
  try {
    checkSourceSchema(src);
    const tables = tablesInDependencyOrder(src);
    target = await openDatabase({
      store: opts.to,
      ...(opts.toPassword !== undefined ? { storePassword: opts.toPassword } : {}),
    });
    const db = target;
    const existing = await targetRowCounts(db as Kysely<unknown>, tables);
    const nonEmpty = [...existing].filter(([, n]) => n > 0);
    if (nonEmpty.length > 0 && !opts.replace) {
      throw new StoreCopyError(
        `the target is not empty (${nonEmpty.map(([t, n]) => `${t}: ${n}`).join(', ')}); ` +
          'copy into an empty database, or pass --replace to empty it first (its audit log included)',
      );
    }
    src.exec('BEGIN');
    const copied: { name: string; rows: number }[] = [];
    const audit = await db.transaction().execute(async (trx) => {
      const t = trx as unknown as Kysely<unknown>;
      if (nonEmpty.length > 0) {
        // --replace: the append-only triggers are off for this transaction only (ALTER TABLE is transactional).
        await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(t);
        for (const name of [...tables].reverse()) await sql`DELETE FROM ${sql.table(name)}`.execute(t);
        await sql`ALTER TABLE audit_log ENABLE TRIGGER USER`.execute(t);
      }
      for (const name of tables) {
        const total = (src.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
        const columns = (src.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[]).map((c) => c.name);
        const batch = Math.max(1, Math.min(1000, Math.floor(PARAMS_PER_INSERT / columns.length)));
        const read = src.prepare(`SELECT rowid AS "__rowid", * FROM "${name}" WHERE rowid > ? ORDER BY rowid LIMIT ?`);
        let after = -Infinity;
        let done = 0;
        opts.onProgress?.(name, 0, total);
        for (;;) {
          const rows = read.all(after === -Infinity ? Number.MIN_SAFE_INTEGER : after, batch) as Record<
            string,
            unknown
          >[];
          if (rows.length === 0) break;
          after = rows.at(-1)?.__rowid as number;
          const values = rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]])));
          await t
            .insertInto(name as never)
            .values(values)
            .execute();
          done += rows.length;
          opts.onProgress?.(name, done, total);
          if (rows.length < batch) break;
        }
        copied.push({ name, rows: done });
      }
      await resetSequences(t);
      const counts = await targetRowCounts(t, tables);
      for (const c of copied) {
        if (counts.get(c.name) !== c.rows) {
          throw new StoreCopyError(`${c.name}: copied ${c.rows} rows but the target holds ${counts.get(c.name)}`);
        }
      }
      // The chain as the target stores it, before anything commits.
      const result = await new AuditLog(trx, { keys: auditKeysFor(opts) }).verify();
      if (!result.ok) {
        throw new StoreCopyError(
          `the audit chain does not verify on the target (record ${result.firstBadRecord?.seq}: ${result.firstBadRecord?.reason}); nothing was committed`,
        );
      }
      const srcHead = src.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as
        { seq: number; hash: string } | undefined;
      if (srcHead && (result.head?.seq !== srcHead.seq || result.head.hash !== srcHead.hash)) {
        throw new StoreCopyError('the audit chain head on the target differs from the source; nothing was committed');
      }
      return result;
    });
    return { tables: copied, audit, ms: Date.now() - started };
  } finally {
    if (src.inTransaction) src.exec('ROLLBACK');
    src.close();
    await target?.destroy();
  }
}
