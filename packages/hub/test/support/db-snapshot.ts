// Every row of every table of the hub's store, to prove that a refused call
// changed nothing. Tables are read from the catalog (sqlite_master, or
// PostgreSQL's information_schema), so a table added later is compared too
// without anyone listing it here.
import { sql } from 'kysely';
import type { HubDb } from '../../src/store/db.js';
import { isPostgres } from '../../src/store/dialect.js';

export type Row = Record<string, unknown>;
/** table → row identity (SQLite's rowid, PostgreSQL's primary key) → the row as JSON. */
export type DbSnapshot = Map<string, Map<string, string>>;

export interface RowChange {
  table: string;
  kind: 'added' | 'removed' | 'changed';
  before?: Row;
  after?: Row;
}

/**
 * Columns written on every authenticated request before authorization runs
 * (a token's last use, a session's sliding expiry; at most once a minute):
 * bookkeeping of the credential, not an effect of the call. And a replica's
 * heartbeat, which its timer writes whenever it is due (on a loaded machine,
 * in the middle of the call).
 */
const CREDENTIAL_BOOKKEEPING: Readonly<Record<string, readonly string[]>> = {
  api_tokens: ['last_used_at'],
  sessions: ['expires_at'],
  hub_replicas: ['heartbeat_at'],
};

export async function snapshotDb(db: HubDb): Promise<DbSnapshot> {
  return isPostgres(db) ? snapshotPostgres(db) : snapshotSqlite(db);
}

async function snapshotSqlite(db: HubDb): Promise<DbSnapshot> {
  const tables = await sql<{
    name: string;
  }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`.execute(db);
  const out: DbSnapshot = new Map();
  for (const { name } of tables.rows) {
    const rows = await sql<Row & { __rowid: number }>`SELECT rowid AS __rowid, * FROM ${sql.table(name)}`.execute(db);
    const byId = new Map<string, string>();
    for (const { __rowid, ...row } of rows.rows) byId.set(String(__rowid), JSON.stringify(row));
    out.set(name, byId);
  }
  return out;
}

/** PostgreSQL has no stable rowid (ctid moves on UPDATE): rows are keyed by their primary key. */
async function snapshotPostgres(db: HubDb): Promise<DbSnapshot> {
  const tables = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  const keys = await sql<{ table: string; column: string }>`
    SELECT tc.table_name AS "table", kcu.column_name AS "column"
    FROM information_schema.table_constraints tc
    JOIN information_schema.key_column_usage kcu
      ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
    WHERE tc.table_schema = current_schema() AND tc.constraint_type = 'PRIMARY KEY'
    ORDER BY kcu.ordinal_position`.execute(db);
  const out: DbSnapshot = new Map();
  for (const { name } of tables.rows) {
    const pk = keys.rows.filter((k) => k.table === name).map((k) => k.column);
    const rows = await sql<Row>`SELECT * FROM ${sql.table(name)}`.execute(db);
    const byId = new Map<string, string>();
    for (const row of rows.rows) {
      const json = JSON.stringify(row);
      // Without a primary key the whole row is its identity: a change shows as removed + added.
      byId.set(pk.length > 0 ? JSON.stringify(pk.map((c) => row[c])) : json, json);
    }
    out.set(name, byId);
  }
  return out;
}

function withoutBookkeeping(table: string, json: string): string {
  const cols = CREDENTIAL_BOOKKEEPING[table];
  if (!cols) return json;
  const row = JSON.parse(json) as Row;
  return JSON.stringify(Object.fromEntries(Object.entries(row).filter(([k]) => !cols.includes(k))));
}

/** What differs between two snapshots, ignoring credential bookkeeping and heartbeats. */
export function diffSnapshots(before: DbSnapshot, after: DbSnapshot): RowChange[] {
  const changes: RowChange[] = [];
  for (const table of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(table) ?? new Map<string, string>();
    const b = after.get(table) ?? new Map<string, string>();
    for (const [id, row] of a) {
      const now = b.get(id);
      if (now === undefined) changes.push({ table, kind: 'removed', before: JSON.parse(row) as Row });
      else if (now !== row && withoutBookkeeping(table, now) !== withoutBookkeeping(table, row))
        changes.push({ table, kind: 'changed', before: JSON.parse(row) as Row, after: JSON.parse(now) as Row });
    }
    for (const [id, row] of b) if (!a.has(id)) changes.push({ table, kind: 'added', after: JSON.parse(row) as Row });
  }
  return changes;
}

/** Runs `call` between two snapshots and returns its answer and what it changed in the store. */
export async function changesDuring<T>(
  db: HubDb,
  call: () => Promise<T>,
): Promise<{ result: T; changes: RowChange[] }> {
  const before = await snapshotDb(db);
  const result = await call();
  return { result, changes: diffSnapshots(before, await snapshotDb(db)) };
}

export const describeChange = (c: RowChange): string =>
  `${c.kind} ${c.table} ${JSON.stringify(c.after ?? c.before).slice(0, 300)}`;

/** An audit record appended by the call, parsed. */
export interface AuditAdded {
  actor: string;
  action: string;
  outcome: string;
  detail: Record<string, unknown> | null;
}

export function auditRow(c: RowChange): AuditAdded | null {
  if (c.table !== 'audit_log' || c.kind !== 'added' || !c.after) return null;
  const r = c.after;
  return {
    actor: String(r.actor),
    action: String(r.action),
    outcome: String(r.outcome),
    detail: typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
  };
}

/** A pod shell refusal's timeline event (the shell route records refusals on the pod's timeline by design). */
export function isShellDenialEvent(c: RowChange): boolean {
  if (c.table !== 'timeline_events' || c.kind !== 'added' || !c.after) return false;
  const data = typeof c.after.data === 'string' ? (JSON.parse(c.after.data) as { phase?: unknown }) : {};
  return c.after.type === 'shell' && data.phase === 'denied';
}

/**
 * What a refused request (any 4xx) left in the store besides its evidence —
 * audit records with outcome denied, failed or rejected, and the pod shell's
 * refusal note on the pod's timeline. Non-empty means the refusal changed something.
 */
export function refusalLeftovers(changes: readonly RowChange[]): string[] {
  return changes
    .filter((c) => {
      const audit = auditRow(c);
      if (audit && ['denied', 'failed', 'rejected'].includes(audit.outcome)) return false;
      return !isShellDenialEvent(c);
    })
    .map(describeChange);
}
