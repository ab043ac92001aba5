// `wheelhouse timeline <kind/name> [-n NS] [--since 1h] [--type …]`: what
// happened to an object (a workload with its pods), oldest first so the newest
// line is next to the prompt.
import { Command, InvalidArgumentError } from 'commander';
import { RESOURCE_KINDS, TIMELINE_EVENT_TYPES, parseDuration, type TimelineEvent } from '@wheelhouse/protocol';
import { CliError } from '../exit-codes.js';
import { clusterContext, readPages, sinceToFrom, withClusterOptions, type HubFlags } from '../hub-context.js';
import { parseKindName } from '../kinds.js';
import { ageOf, formatOf, isoTime, outputOption, printList, type Column } from '../output.js';
import { namespaceOf, readInventory } from './get.js';

interface TimelineFlags extends HubFlags {
  namespace?: string;
  since: string;
  type?: string[];
  limit: number;
  output?: string;
}

export function timelineColumns(now: number): Column<TimelineEvent>[] {
  return [
    { header: 'TIME', cell: (e) => isoTime(e.time) },
    { header: 'SEVERITY', cell: (e) => e.severity },
    { header: 'TYPE', cell: (e) => e.type },
    { header: 'OBJECT', cell: (e) => `${e.kind}/${e.name}` },
    { header: 'SUMMARY', cell: (e) => e.summary },
    { header: 'AGE', cell: (e) => ageOf(e.time, now), wide: true },
    { header: 'SEQ', cell: (e) => String(e.seq), wide: true },
  ];
}

const parseType = (value: string, previous: string[] | undefined): string[] => {
  const types = value.split(',').filter(Boolean);
  for (const t of types)
    if (!(TIMELINE_EVENT_TYPES as readonly string[]).includes(t))
      throw new InvalidArgumentError(`"${t}" is not an event type; types: ${TIMELINE_EVENT_TYPES.join(', ')}`);
  return [...(previous ?? []), ...types];
};

const parseLimit = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('a whole number from 1 to 10000');
  return n;
};

export function timelineCommand(): Command {
  return withClusterOptions(
    new Command('timeline')
      .description(
        "an object's timeline: changes, restarts, events, actions and shells (a workload's include its pods')",
      )
      .argument('<kind/name>', 'e.g. deploy/web, po/web-1, node/worker-1')
      .option('-n, --namespace <ns>', 'namespace (default: $WHEELHOUSE_NAMESPACE or "default")')
      .option('--since <duration>', 'how far back (e.g. 30m, 6h)', '24h')
      .option('--type <types>', `only these types, comma-separated: ${TIMELINE_EVENT_TYPES.join(', ')}`, parseType)
      .option('--limit <n>', 'at most this many events, the newest', parseLimit, 200)
      .addOption(outputOption()),
  ).action(async (spec: string, o: TimelineFlags) => {
    const { kind, name } = parseKindName(spec);
    const format = formatOf(o);
    const namespaced = RESOURCE_KINDS[kind].namespaced;
    const namespace = namespaced ? namespaceOf(o) : undefined;
    const from = sinceToFrom(o.since, parseDuration);
    const { creds, cluster } = await clusterContext(o);
    const events = await readPages<TimelineEvent>(
      creds,
      `/api/v1/clusters/${encodeURIComponent(cluster)}/timeline`,
      { kind, name, namespace, from, type: o.type?.join(',') },
      { pageSize: Math.min(o.limit, 1000), max: o.limit },
    );
    const where = namespace ? ` in namespace "${namespace}"` : '';
    if (events.length === 0) {
      // No events: an object that does not exist is an error, a quiet one is not.
      const exists = await readInventory(creds, cluster, { kind, name, ...(namespace ? { namespace } : {}) });
      if (exists.length === 0)
        throw new CliError(
          'not_found',
          `${kind} "${name}" not found${where} (cluster ${cluster}), and no timeline events`,
          {
            kind,
            name,
            ...(namespace ? { namespace } : {}),
            cluster,
          },
        );
    }
    printList({
      // The hub pages by arrival (seq); a terminal reads by the clock: events that arrived out of
      // order (a Kubernetes Event stamped before the agent's own) go where their time is.
      items: format === 'json' || format === 'yaml' ? events : [...events].reverse().sort((a, b) => a.time - b.time),
      columns: timelineColumns(Date.now()),
      format,
      empty: `No events for ${kind}/${name}${where} in the last ${o.since}${o.type ? ` of type ${o.type.join(',')}` : ''}.`,
    });
  });
}
