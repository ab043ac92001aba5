// Export of the audit log as JSON lines or CSV, carrying prev_hash and hash so
// a file can be verified offline with verifyExport() (or any tool that follows
// the rule in ./canonical.ts).
import { isRecord, stringOrNull, toJson, type JsonValue } from '@wheelhouse/protocol';
import type { AuditLog } from './audit-log.js';
import { toAuditEntry } from './audit-log.js';
import type { AuditKeyring } from './audit-keys.js';
import { ChainVerifier, canonicalJson, type ChainCheck, type ChainRecord } from './canonical.js';

export type ExportFormat = 'jsonl' | 'csv';

/** Column order of both formats (the stored column names). */
export const EXPORT_COLUMNS = [
  'seq',
  'at',
  'actor',
  'action',
  'cluster_id',
  'target',
  'params',
  'reason',
  'outcome',
  'detail',
  'key_id',
  'prev_hash',
  'hash',
] as const;

/** Columns of exports from before HMAC keys (no key_id): still verified. */
const LEGACY_COLUMNS = EXPORT_COLUMNS.filter((c) => c !== 'key_id');

// Spreadsheets execute cells starting with these; such cells (and cells that
// start with the quote itself, so the rule is reversible) get a leading "'".
const FORMULA_START = /^[=+\-@\t\r']/;

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const jsonCell = (value: JsonValue): string | null => (value === null ? null : canonicalJson(value));

/** What an export selects: the audit page's filters (an action ending in '*' is a prefix). */
export interface ExportFilter {
  actor?: string | undefined;
  action?: string | undefined;
  cluster?: string | undefined;
  outcome?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

function selected(e: ReturnType<typeof toAuditEntry>, f: ExportFilter): boolean {
  if (f.actor !== undefined && e.actor !== f.actor) return false;
  if (f.action !== undefined) {
    const ok = f.action.endsWith('*') ? e.action.startsWith(f.action.slice(0, -1)) : e.action === f.action;
    if (!ok) return false;
  }
  if (f.cluster !== undefined && e.cluster !== f.cluster) return false;
  if (f.outcome !== undefined && e.outcome !== f.outcome) return false;
  if (f.from !== undefined && e.at < f.from) return false;
  if (f.to !== undefined && e.at > f.to) return false;
  return true;
}

/**
 * Lines of the export, oldest record first, read from the store in batches. With a filter, only
 * the records it selects (each still carries prev_hash and hash; only a whole export verifies as
 * a chain).
 */
export async function* exportLines(
  audit: AuditLog,
  format: ExportFormat,
  filter: ExportFilter = {},
): AsyncGenerator<string> {
  if (format === 'csv') yield `${EXPORT_COLUMNS.join(',')}\r\n`;
  for await (const row of audit.rows()) {
    const e = toAuditEntry(row);
    if (!selected(e, filter)) continue;
    if (format === 'jsonl') {
      const obj: Record<string, JsonValue> = {
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        action: e.action,
        cluster_id: e.cluster,
        target: e.target,
        params: e.params,
        reason: e.reason,
        outcome: e.outcome,
        detail: e.detail,
        key_id: e.keyId,
        prev_hash: e.prevHash,
        hash: e.hash,
      };
      yield `${JSON.stringify(obj)}\n`;
    } else {
      const cells = [
        e.seq,
        e.at,
        e.actor,
        e.action,
        e.cluster,
        jsonCell(e.target),
        jsonCell(e.params),
        e.reason,
        e.outcome,
        jsonCell(e.detail),
        e.keyId,
        e.prevHash,
        e.hash,
      ];
      yield `${cells.map(csvCell).join(',')}\r\n`;
    }
  }
}

/** RFC 4180 parser (quoted cells may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (quoted) {
      if (ch === '"') {
        if (text.charAt(i + 1) === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cell += ch;
      i++;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text.charAt(i + 1) === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
    i++;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** A chain record as exported: the hashed fields plus its links. */
interface ExportRecord extends ChainRecord {
  prev_hash: string;
  hash: string;
}

function fromJsonLine(line: string): ExportRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isRecord(v) || typeof v.seq !== 'number' || typeof v.at !== 'number') return null;
  const actor = stringOrNull(v.actor);
  const action = stringOrNull(v.action);
  const outcome = stringOrNull(v.outcome);
  const prev = stringOrNull(v.prev_hash);
  const hash = stringOrNull(v.hash);
  if (actor === null || action === null || outcome === null || prev === null || hash === null) return null;
  return {
    seq: v.seq,
    at: v.at,
    actor,
    action,
    cluster_id: stringOrNull(v.cluster_id),
    target: toJson(v.target ?? null),
    params: toJson(v.params ?? null),
    reason: stringOrNull(v.reason),
    outcome,
    detail: toJson(v.detail ?? null),
    key_id: stringOrNull(v.key_id),
    prev_hash: prev,
    hash,
  };
}

function fromCsvRow(input: string[], legacy: boolean): ExportRecord | null {
  if (input.length !== (legacy ? LEGACY_COLUMNS.length : EXPORT_COLUMNS.length)) return null;
  const un = (c: string): string => (c.startsWith("'") ? c.slice(1) : c);
  // An export from before keys has no key_id column: read it as empty.
  const cells = legacy ? [...input.slice(0, 10), '', ...input.slice(10)] : input;
  // The length is checked above: every cell is there.
  const [
    seq = '',
    at = '',
    actor = '',
    action = '',
    cluster = '',
    target = '',
    params = '',
    reason = '',
    outcome = '',
    detail = '',
    keyId = '',
    prev = '',
    hash = '',
  ] = cells.map(un);
  const json = (c: string): JsonValue => (c === '' ? null : toJson(JSON.parse(c)));
  try {
    return {
      seq: Number(seq),
      at: Number(at),
      actor,
      action,
      // CSV cannot tell null from '': the hub never stores '' in these columns.
      cluster_id: cluster === '' ? null : cluster,
      target: json(target),
      params: json(params),
      reason: reason === '' ? null : reason,
      outcome,
      detail: json(detail),
      key_id: keyId === '' ? null : keyId,
      prev_hash: prev,
      hash,
    };
  } catch {
    return null;
  }
}

/**
 * Verifies an exported file offline (the whole chain from its first record);
 * keyed records need the hub's key file (`keys`).
 */
export function verifyExport(text: string, format: ExportFormat, keys?: AuditKeyring): ChainCheck {
  const verifier = new ChainVerifier(keys);
  if (format === 'jsonl') {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    lines.forEach((line, i) => {
      const rec = fromJsonLine(line);
      if (rec) verifier.push(rec);
      else verifier.reject(i + 1, `line ${i + 1} is not an audit record`);
    });
  } else {
    const rows = parseCsv(text);
    const header = rows.shift();
    const legacy = header?.join(',') === LEGACY_COLUMNS.join(',');
    if (!legacy && header?.join(',') !== EXPORT_COLUMNS.join(','))
      return {
        ok: false,
        records: 0,
        firstBadRecord: { seq: 0, reason: 'CSV header does not match the export columns' },
      };
    rows.forEach((cells, i) => {
      const rec = fromCsvRow(cells, legacy);
      if (rec) verifier.push(rec);
      else verifier.reject(Number(cells[0]) || i + 1, `CSV row ${i + 2} is not an audit record`);
    });
  }
  return verifier.result();
}
