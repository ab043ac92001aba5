// `wheelhouse access request|list|approve|deny`: just-in-time access from a
// terminal (docs/access.md), over the same API as the console.
import { Command, Option } from 'commander';
import { callApi, resolveCredentials } from '../api-client.js';

const hubOption = (): Option => new Option('--hub <url>', 'hub URL').env('WHEELHOUSE_HUB_URL');
const tokenOption = (): Option => new Option('--api-token <token>', 'API token').env('WHEELHOUSE_API_TOKEN');

interface Common {
  hub?: string;
  apiToken?: string;
}

interface AccessRequest {
  id: string;
  requester: string;
  role: string;
  cluster: string;
  namespace: string;
  durationMs: number;
  reason: string;
  state: string;
  decidedBy: string | null;
  comment: string | null;
  expiresAt: number | null;
}

const until = (r: AccessRequest): string =>
  r.expiresAt !== null ? `until ${new Date(r.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';

function line(r: AccessRequest): string {
  const decided = r.decidedBy ? ` by ${r.decidedBy}${r.comment ? ` ("${r.comment}")` : ''}` : '';
  return `${r.id}  ${r.state.padEnd(8)} ${r.requester} → ${r.role} on ${r.cluster}/${r.namespace} for ${Math.round(r.durationMs / 60_000)}m: "${r.reason}"${decided} ${until(r)}`.trimEnd();
}

export function accessCommand(): Command {
  const access = new Command('access').description('just-in-time access: ask a peer for a role on a scope for a time');
  access
    .command('request')
    .description('ask for a role on (cluster, namespace) for a time, with a reason')
    .addOption(hubOption())
    .addOption(tokenOption())
    .requiredOption('--role <role>', 'operator | viewer | auditor | account-admin')
    .requiredOption('--cluster <name>', 'cluster (or pattern)')
    .option('-n, --namespace <name>', 'namespace (or pattern)', '*')
    .requiredOption('--for <duration>', 'how long, e.g. 1h, 30m')
    .requiredOption('--reason <text>', 'why (the approver and the audit log see it)')
    .action(async (o: Common & { role: string; cluster: string; namespace: string; for: string; reason: string }) => {
      const r = await callApi<AccessRequest>(resolveCredentials(o), 'POST', '/api/v1/access-requests', {
        role: o.role,
        cluster: o.cluster,
        namespace: o.namespace,
        duration: o.for,
        reason: o.reason,
      });
      process.stdout.write(`Requested (pending a peer's approval): ${line(r)}\n`);
    });
  access
    .command('list')
    .description('your requests; --to-approve: pending ones you may decide; --active: grants still running')
    .addOption(hubOption())
    .addOption(tokenOption())
    .option('--to-approve', 'pending requests you may approve or deny')
    .option('--active', 'approved grants that have not ended')
    .action(async (o: Common & { toApprove?: boolean; active?: boolean }) => {
      const view = o.toApprove ? 'to-approve' : o.active ? 'active' : 'mine';
      const r = await callApi<{ items: AccessRequest[] }>(
        resolveCredentials(o),
        'GET',
        `/api/v1/access-requests?view=${view}`,
      );
      process.stdout.write(r.items.length === 0 ? 'No requests.\n' : `${r.items.map(line).join('\n')}\n`);
    });
  for (const decision of ['approve', 'deny'] as const) {
    access
      .command(`${decision} <id>`)
      .description(
        decision === 'approve' ? "approve a peer's request" : "deny a peer's request (a comment is required)",
      )
      .addOption(hubOption())
      .addOption(tokenOption())
      .addOption(
        decision === 'deny'
          ? new Option('--comment <text>', 'why').makeOptionMandatory()
          : new Option('--comment <text>', 'a note for the requester and the audit log'),
      )
      .action(async (id: string, o: Common & { comment?: string }) => {
        const r = await callApi<AccessRequest>(
          resolveCredentials(o),
          'POST',
          `/api/v1/access-requests/${encodeURIComponent(id)}/${decision}`,
          o.comment !== undefined ? { comment: o.comment } : {},
        );
        process.stdout.write(`${decision === 'approve' ? 'Approved' : 'Denied'}: ${line(r)}\n`);
      });
  }
  return access;
}
