// `wheelhouse notify rules list|add|rm|test`: notification rules from a
// terminal (docs/notifications.md), over the same admin-only API as the console.
import { Command, Option } from 'commander';
import type { NotificationDelivery, NotificationRuleView } from '@wheelhouse/protocol';
import { callApi, resolveCredentials } from '../api-client.js';

const hubOption = (): Option => new Option('--hub <url>', 'hub URL').env('WHEELHOUSE_HUB_URL');
const tokenOption = (): Option => new Option('--api-token <token>', 'API token').env('WHEELHOUSE_API_TOKEN');

interface Common {
  hub?: string;
  apiToken?: string;
}

export function deliveryText(d: NotificationDelivery | null): string {
  if (!d) return 'never sent';
  const when = new Date(d.at).toISOString().slice(0, 19).replace('T', ' ');
  const what = d.ok ? `delivered (HTTP ${d.status ?? '?'})` : `FAILED (${d.error ?? 'unknown'})`;
  return `${what} at ${when} UTC after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
}

function line(r: NotificationRuleView): string {
  const c = r.counts;
  return [
    `${r.id}  ${r.name}: ${r.events.join(',')} on ${r.cluster}/${r.namespace} at ${r.minSeverity}+ → ${r.format} ${r.url}`,
    `    last: ${deliveryText(r.lastDelivery)}; delivered ${c.delivered}, failed ${c.failed}, suppressed ${c.suppressed}, dropped ${c.dropped}`,
  ].join('\n');
}

const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export function notifyCommand(): Command {
  const notify = new Command('notify').description('notifications: rules that send insights and failures to webhooks');
  const rules = notify.command('rules').description('notification rules (administrators: notifications:manage)');
  rules
    .command('list')
    .description('every rule, its URL masked, with its last delivery and counts')
    .addOption(hubOption())
    .addOption(tokenOption())
    .action(async (o: Common) => {
      const r = await callApi<{ items: NotificationRuleView[] }>(
        resolveCredentials(o),
        'GET',
        '/api/v1/notification-rules',
      );
      process.stdout.write(r.items.length === 0 ? 'No rules.\n' : `${r.items.map(line).join('\n')}\n`);
    });
  rules
    .command('add')
    .description('add a rule: which events of which clusters and namespaces go to which webhook')
    .addOption(hubOption())
    .addOption(tokenOption())
    .requiredOption('--name <name>', 'a name people recognise, e.g. on-call')
    .requiredOption('--url <url>', 'the webhook URL (http or https; kept secret, shown masked)')
    .option('--cluster <pattern>', 'cluster pattern', '*')
    .option('-n, --namespace <pattern>', 'namespace pattern', '*')
    .option('--min-severity <severity>', 'info | warning | error', 'warning')
    .option(
      '--events <list>',
      'comma-separated: insight-opened, insight-resolved, action-failed, access-request',
      'insight-opened,insight-resolved,action-failed',
    )
    .addOption(
      new Option('--format <format>', 'json (generic, versioned) or slack').choices(['json', 'slack']).default('json'),
    )
    .action(
      async (
        o: Common & {
          name: string;
          url: string;
          cluster: string;
          namespace: string;
          minSeverity: string;
          events: string;
          format: string;
        },
      ) => {
        const r = await callApi<NotificationRuleView>(resolveCredentials(o), 'POST', '/api/v1/notification-rules', {
          name: o.name,
          url: o.url,
          cluster: o.cluster,
          namespace: o.namespace,
          minSeverity: o.minSeverity,
          events: list(o.events),
          format: o.format,
        });
        process.stdout.write(`Added: ${line(r)}\n`);
      },
    );
  rules
    .command('rm <id>')
    .description('remove a rule')
    .addOption(hubOption())
    .addOption(tokenOption())
    .action(async (id: string, o: Common) => {
      await callApi(resolveCredentials(o), 'DELETE', `/api/v1/notification-rules/${encodeURIComponent(id)}`);
      process.stdout.write(`Removed rule ${id}\n`);
    });
  rules
    .command('test <id>')
    .description("send a test message to the rule's webhook now and say how it went")
    .addOption(hubOption())
    .addOption(tokenOption())
    .action(async (id: string, o: Common) => {
      const r = await callApi<{ delivery: NotificationDelivery }>(
        resolveCredentials(o),
        'POST',
        `/api/v1/notification-rules/${encodeURIComponent(id)}/test`,
      );
      process.stdout.write(`Test message ${deliveryText(r.delivery)}\n`);
      if (!r.delivery.ok) process.exitCode = 1;
    });
  return notify;
}
