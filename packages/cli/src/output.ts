// How every list (and `get`) prints: `-o json|yaml|wide`, default an aligned
// table like kubectl's. json and yaml print the API's objects exactly as the
// hub answered them; table and wide are for people.
import { Option } from 'commander';
import { stringify as toYaml } from 'yaml';

export const OUTPUT_FORMATS = ['json', 'yaml', 'wide'] as const;
export type OutputFormat = 'table' | (typeof OUTPUT_FORMATS)[number];

/** `-o, --output`: shared by every command that prints objects. */
export const outputOption = (): Option =>
  new Option('-o, --output <format>', 'output format: json, yaml or wide (default: a table)').choices(OUTPUT_FORMATS);

export const formatOf = (o: { output?: string }): OutputFormat =>
  o.output === 'json' || o.output === 'yaml' || o.output === 'wide' ? o.output : 'table';

/** A column of a table: its header and the cell of a row; `wide` columns show only with -o wide. */
export interface Column<T> {
  header: string;
  cell: (row: T) => string;
  wide?: boolean;
}

/** Width of a cell in terminal columns (code points: close enough for names, images and messages). */
const width = (s: string): number => Array.from(s).length;

/** Rows aligned in columns three spaces apart (kubectl's tabwriter), headers first, no trailing blanks. */
export function alignRows(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, width(c))));
  return rows
    .map(
      (r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c) + 3)))
          .join('')
          .trimEnd() + '\n',
    )
    .join('');
}

/** The table of rows with the columns the format shows. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], format: OutputFormat): string {
  const shown = columns.filter((c) => format === 'wide' || !c.wide);
  // Cells are one line each: a newline in a message would break the columns.
  const cell = (s: string): string => (s === '' ? '<none>' : s.replace(/\s*\n\s*/g, ' '));
  return alignRows([shown.map((c) => c.header), ...rows.map((r) => shown.map((c) => cell(c.cell(r))))]);
}

/** An API value as JSON or YAML, exactly as the hub sent it. */
export function renderData(data: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : toYaml(data, { lineWidth: 0 });
}

export interface ListPrint<T> {
  items: readonly T[];
  columns: readonly Column<T>[];
  format: OutputFormat;
  /** Said on stderr (kubectl: "No resources found in default namespace.") when a table would be empty. */
  empty: string;
}

/** What a list prints: `{items}` for json/yaml, else the table (or the empty message, on stderr). */
export function renderList<T>(p: ListPrint<T>): { out: string; err: string } {
  if (p.format === 'json' || p.format === 'yaml') return { out: renderData({ items: p.items }, p.format), err: '' };
  if (p.items.length === 0) return { out: '', err: `${p.empty}\n` };
  return { out: renderTable(p.items, p.columns, p.format), err: '' };
}

export function printList<T>(p: ListPrint<T>): void {
  const { out, err } = renderList(p);
  if (out) process.stdout.write(out);
  if (err) process.stderr.write(err);
}

/**
 * Age like kubectl (apimachinery's HumanDuration): 45s, 2m30s, 12m, 5h10m, 30h, 3d4h, 200d, 2y10d.
 * Precise while recent, coarser as it grows.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24);
    const y = Math.floor(days / 365);
    return days % 365 === 0 ? `${y}y` : `${y}y${days % 365}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** Age of a moment (epoch ms); '' when unknown. */
export const ageOf = (at: number | null | undefined, now = Date.now()): string =>
  at === null || at === undefined ? '' : humanDuration(now - at);

/** ISO 8601 in UTC to the second: 2026-11-29T00:37:05Z. */
export const isoTime = (at: number | null | undefined): string =>
  at === null || at === undefined ? '' : new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
