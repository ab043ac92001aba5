// `wheelhouse audit [--actor A] [--action X] [--since 1h]`: the audit log;
// `--verify` checks its hash chain, `--export FILE` saves it.
import { appendFileSync, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '@wheelhouse/protocol';
import { callApi, resolveCredentials, type HubCredentials } from '../api-client.js';
import { ApiError, CliError } from '../exit-codes.js';
import { query, readPages, sinceToFrom, withHubOptions } from '../hub-context.js';
import { formatOf, isoTime, outputOption, printList, renderData, type Column } from '../output.js';

/** One record as GET /api/v1/audit answers it. */
export interface AuditRecord {
  seq: number;
  at: number;
  actor: string;
  action: string;
  cluster: string | null;
  target: { kind?: string; namespace?: string; name?: string } | null;
  params: unknown;
  reason: string | null;
  outcome: string;
  detail: unknown;
  prevHash: string;
  hash: string;
}

interface AuditFlags {
  hub?: string;
  apiToken?: string;
  actor?: string;
  mine?: boolean;
  action?: string;
  outcome?: string;
  cluster?: string;
  since?: string;
  limit: number;
  verify?: boolean;
  export?: string;
  format?: 'jsonl' | 'csv';
  output?: string;
}

const targetText = (t: AuditRecord['target']): string =>
  t && t.kind ? `${t.kind}/${t.namespace ? `${t.namespace}/` : ''}${t.name ?? ''}` : '';

export const auditColumns: Column<AuditRecord>[] = [
  { header: 'TIME', cell: (r) => isoTime(r.at) },
  { header: 'ACTOR', cell: (r) => r.actor },
  { header: 'ACTION', cell: (r) => r.action },
  { header: 'OUTCOME', cell: (r) => r.outcome },
  { header: 'CLUSTER', cell: (r) => r.cluster ?? '' },
  { header: 'TARGET', cell: (r) => targetText(r.target) },
  { header: 'SEQ', cell: (r) => String(r.seq), wide: true },
  { header: 'REASON', cell: (r) => r.reason ?? '', wide: true },
  { header: 'DETAIL', cell: (r) => (r.detail === null ? '' : JSON.stringify(r.detail)), wide: true },
];

interface VerifyAnswer {
  ok: boolean;
  records: number;
  firstBadRecord?: { seq: number; reason: string };
  head?: { seq: number; hash: string };
  keyed?: { fromSeq: number | null; keyIds: string[] };
  anchor?: { source: string; status: string; message: string };
  truncation?: { anchoredSeq: number; lastSeq: number; missingRecords: number };
}

/** What `audit verify` prints: one line per finding, the verdict first. */
export function describeVerify(v: VerifyAnswer): string {
  const lines = [v.ok ? `audit chain OK: ${v.records} records` : `audit chain NOT OK: ${v.records} records`];
  if (v.firstBadRecord) lines.push(`  first bad record: seq ${v.firstBadRecord.seq}: ${v.firstBadRecord.reason}`);
  if (v.truncation)
    lines.push(
      `  truncated: the newest ${v.truncation.missingRecords} record(s) were deleted (anchored up to seq ${v.truncation.anchoredSeq}, the store ends at ${v.truncation.lastSeq})`,
    );
  if (v.anchor)
    lines.push(`  anchor (${v.anchor.source}): ${v.anchor.status}${v.anchor.message ? `: ${v.anchor.message}` : ''}`);
  else lines.push('  anchor: none configured');
  if (v.keyed)
    lines.push(
      v.keyed.fromSeq === null
        ? '  HMAC keys: no keyed record yet'
        : `  HMAC keyed since seq ${v.keyed.fromSeq} (keys: ${v.keyed.keyIds.join(', ')}); older records keep their sha256`,
    );
  if (v.head) lines.push(`  head: seq ${v.head.seq} ${v.head.hash}`);
  return `${lines.join('\n')}\n`;
}

/** The hub's verification (hashes, HMACs, the latest anchor); exit 1 when not OK. */
async function verify(creds: HubCredentials, format: ReturnType<typeof formatOf>): Promise<void> {
  const v = await callApi<VerifyAnswer>(creds, 'GET', '/api/v1/audit/verify');
  process.stdout.write(format === 'json' || format === 'yaml' ? renderData(v, format) : describeVerify(v));
  if (!v.ok)
    throw new CliError(
      'failed',
      v.firstBadRecord
        ? `audit log chain broken at record ${v.firstBadRecord.seq}: ${v.firstBadRecord.reason}`
        : v.truncation
          ? `audit log truncated: the newest ${v.truncation.missingRecords} record(s) were deleted`
          : 'audit log verification failed',
      { records: v.records, ...(v.firstBadRecord ? { firstBadRecord: v.firstBadRecord } : {}) },
    );
}

/** The hub's export (JSON lines or CSV) of the records the filters select, streamed to a file or stdout. */
async function exportLog(
  creds: HubCredentials,
  file: string,
  format: 'jsonl' | 'csv',
  filter: Record<string, string | number | undefined>,
): Promise<void> {
  const filters = Object.values(filter).some((v) => v !== undefined);
  let res: Response;
  try {
    res = await fetch(new URL(`/api/v1/audit/export${query({ ...filter, format })}`, creds.hub), {
      headers: { authorization: `Bearer ${creds.token}` },
    });
  } catch (err) {
    throw new CliError(
      'unreachable',
      `cannot reach the hub at ${creds.hub}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!res.ok || !res.body) {
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    throw new ApiError(res.status, {
      ...json,
      error: typeof json.error === 'string' ? json.error : `http_${res.status}`,
      message: typeof json.message === 'string' ? json.message : '',
    });
  }
  let lines = 0;
  const source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  source.on('data', (c: Buffer) => {
    for (const b of c) if (b === 0x0a) lines++;
  });
  // 'wx': an export never overwrites a file (an earlier export is evidence too).
  await pipeline(source, file === '-' ? process.stdout : createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  if (file !== '-')
    process.stderr.write(
      `Exported ${filters ? 'the selected audit records' : 'the audit log'} to ${file} (${format}, ${format === 'csv' ? Math.max(0, lines - 1) : lines} records).\n`,
    );
}

const parseLimit = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('a whole number from 1 to 100000');
  return n;
};

export function auditCommand(): Command {
  const audit = withHubOptions(
    new Command('audit')
      .description(
        'the audit log, oldest first (needs audit:read): filter it, verify its hash chain, or export it (filtered too)',
      )
      .option('--actor <user>', 'only what this user did')
      .option('--mine', 'only what you did (the signed-in user)')
      .option('--action <action>', "an action, or a prefix ending in '*': shell.start, action:*, auth.*")
      .option('--outcome <outcome>', 'succeeded, failed, denied, …')
      .option('--cluster <name>', 'only records about this cluster')
      .option('--since <duration>', 'how far back (e.g. 1h, 7d is 168h)')
      .option('--limit <n>', 'at most this many records, the newest', parseLimit, 100)
      .option('--verify', 'check the hash chain of the whole log (exit 1 if broken)')
      .option(
        '--export <file>',
        'write the log (or what the filters select) to a file (- for stdout); never overwrites',
      )
      .addOption(
        new Option('--format <format>', 'export format (default: from the file name, else jsonl)').choices([
          'jsonl',
          'csv',
        ]),
      )
      .addOption(outputOption()),
  ).action(async (o: AuditFlags) => {
    const format = formatOf(o);
    const filters = [
      o.actor && '--actor',
      o.mine && '--mine',
      o.action && '--action',
      o.outcome && '--outcome',
      o.cluster && '--cluster',
      o.since && '--since',
    ].filter(Boolean);
    if (o.verify && o.export) throw new CliError('usage', 'use --verify or --export, not both');
    if (o.verify && filters.length)
      throw new CliError(
        'usage',
        `--verify checks the whole chain (the hub's verification takes no filters): drop ${filters.join(', ')}`,
      );
    if (o.format && !o.export) throw new CliError('usage', '--format goes with --export');
    if (o.mine && o.actor) throw new CliError('usage', 'use --mine or --actor, not both');
    const from = sinceToFrom(o.since, parseDuration);
    const creds = resolveCredentials(o);
    if (o.mine) o.actor = (await callApi<{ user: { username: string } }>(creds, 'GET', '/api/v1/me')).user.username;
    if (o.verify) return verify(creds, format);
    const filter = { actor: o.actor, action: o.action, outcome: o.outcome, cluster: o.cluster, from };
    if (o.export) return exportLog(creds, o.export, o.format ?? (o.export.endsWith('.csv') ? 'csv' : 'jsonl'), filter);
    const records = await readPages<AuditRecord>(creds, '/api/v1/audit', filter, {
      pageSize: Math.min(o.limit, 500),
      max: o.limit,
    });
    printList({
      items: format === 'json' || format === 'yaml' ? records : [...records].reverse(),
      columns: auditColumns,
      format,
      empty: 'No audit records match.',
    });
  });
  audit
    .command('verify')
    .description('recompute the chain (hashes, HMACs) and compare it with the latest anchor; exits 1 when not OK')
    .addOption(new Option('--hub <url>', 'hub URL').env('WHEELHOUSE_HUB_URL'))
    .addOption(new Option('--api-token <token>', 'API token').env('WHEELHOUSE_API_TOKEN'))
    .addOption(outputOption())
    .action(async (o: { hub?: string; apiToken?: string; output?: string }) =>
      verify(resolveCredentials(o), formatOf(o)),
    );
  audit
    .command('rotate-key')
    .description(
      "append a new HMAC key to the hub's key file (it becomes active at the next hub start; keep the old lines)",
    )
    .addOption(
      new Option('--key-file <path>', "the hub's audit key file")
        .env('WHEELHOUSE_AUDIT_KEY_FILE')
        .makeOptionMandatory(),
    )
    .action(async (o: { keyFile: string }) => {
      const { newKeyLine, parseKeyFile } = await import('@wheelhouse/hub/audit-keys');
      if (!existsSync(o.keyFile))
        throw new CliError('not_found', `${o.keyFile} does not exist (the hub creates it at first start)`);
      parseKeyFile(readFileSync(o.keyFile, 'utf8'), o.keyFile); // refuse to append to a broken file
      const line = newKeyLine();
      appendFileSync(o.keyFile, line, { mode: 0o600 });
      process.stdout.write(`added key ${line.split(' ')[0]} to ${o.keyFile}; restart the hub to use it\n`);
    });
  return audit;
}
