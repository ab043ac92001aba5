// `wheelhouse audit verify` (through the hub's API) and `wheelhouse audit
// rotate-key` (on the hub's key file): the audit chain's checks and its key.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { callApi, resolveCredentials } from '../api-client.js';

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

export function auditCommand(): Command {
  const audit = new Command('audit').description('the audit chain: verify it, rotate its HMAC key');
  audit
    .command('verify')
    .description('recompute the chain (hashes, HMACs) and compare it with the latest anchor; exits 1 when not OK')
    .addOption(new Option('--hub <url>', 'hub URL').env('WHEELHOUSE_HUB_URL'))
    .addOption(new Option('--api-token <token>', 'API token').env('WHEELHOUSE_API_TOKEN'))
    .option('--json', 'print the API answer as JSON')
    .action(async (o: { hub?: string; apiToken?: string; json?: boolean }) => {
      const v = await callApi<VerifyAnswer>(resolveCredentials(o), 'GET', '/api/v1/audit/verify');
      process.stdout.write(o.json ? `${JSON.stringify(v, null, 2)}\n` : describeVerify(v));
      if (!v.ok) process.exitCode = 1;
    });
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
      if (!existsSync(o.keyFile)) throw new Error(`${o.keyFile} does not exist (the hub creates it at first start)`);
      parseKeyFile(readFileSync(o.keyFile, 'utf8'), o.keyFile); // refuse to append to a broken file
      const line = newKeyLine();
      appendFileSync(o.keyFile, line, { mode: 0o600 });
      process.stdout.write(`added key ${line.split(' ')[0]} to ${o.keyFile}; restart the hub to use it\n`);
    });
  return audit;
}
