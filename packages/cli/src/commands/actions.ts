// `wheelhouse actions`: the actions people (and the CLI) ran, newest last;
// dry runs only with --previews, as in the console's Actions page.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CommandView } from '@wheelhouse/protocol';
import { callApi, resolveCredentials } from '../api-client.js';
import { query, withHubOptions } from '../hub-context.js';
import { ageOf, formatOf, isoTime, outputOption, printList, type Column } from '../output.js';

export function actionColumns(now: number, previews: boolean): Column<CommandView>[] {
  const target = (c: CommandView): string =>
    `${c.target.kind}/${c.target.namespace ? `${c.target.namespace}/` : ''}${c.target.name}`;
  return [
    { header: 'ID', cell: (c) => c.id },
    { header: 'ACTION', cell: (c) => c.action },
    ...(previews ? [{ header: 'DRY RUN', cell: (c: CommandView) => (c.dryRun ? 'yes' : 'no') }] : []),
    { header: 'TARGET', cell: target },
    { header: 'STATE', cell: (c) => c.state },
    { header: 'BY', cell: (c) => c.requestedBy },
    { header: 'AGE', cell: (c) => ageOf(c.createdAt, now) },
    { header: 'CLUSTER', cell: (c) => c.cluster, wide: true },
    { header: 'TIME', cell: (c) => isoTime(c.createdAt), wide: true },
    { header: 'REASON', cell: (c) => c.reason ?? '', wide: true },
    { header: 'MESSAGE', cell: (c) => c.message ?? '', wide: true },
  ];
}

const parseLimit = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('a whole number from 1 to 1000');
  return n;
};

export function actionsCommand(): Command {
  return withHubOptions(
    new Command('actions')
      .description('list actions, newest last (dry runs only with --previews)')
      .option('--cluster <name>', 'only this cluster')
      .addOption(
        new Option('--status <state>', 'only this state').choices([
          'pending',
          'dispatched',
          'running',
          'succeeded',
          'failed',
          'rejected',
          'expired',
        ]),
      )
      .option('--previews', 'include dry runs (previews); they are left out by default')
      .option('--limit <n>', 'at most this many, the newest', parseLimit, 100)
      .addOption(outputOption()),
  ).action(
    async (o: {
      hub?: string;
      apiToken?: string;
      cluster?: string;
      status?: string;
      previews?: boolean;
      limit: number;
      output?: string;
    }) => {
      const format = formatOf(o);
      const r = await callApi<{ items: CommandView[] }>(
        resolveCredentials(o),
        'GET',
        `/api/v1/actions${query({ cluster: o.cluster, status: o.status, previews: o.previews ? 'include' : undefined, limit: o.limit })}`,
      );
      printList({
        items: format === 'json' || format === 'yaml' ? r.items : [...r.items].reverse(),
        columns: actionColumns(Date.now(), o.previews === true),
        format,
        empty: o.previews ? 'No actions.' : 'No actions (dry runs are left out: --previews shows them).',
      });
    },
  );
}
