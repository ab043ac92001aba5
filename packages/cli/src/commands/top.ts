// wheelhouse top pods|nodes: resource usage as metrics.k8s.io measured it
// (the hub's latest minute), like `kubectl top`, with requests and limits.
import { Command, Option } from 'commander';
import { callApi, resolveCredentials } from '../api-client.js';

interface Usage {
  available: boolean;
  reason: string | null;
}
interface PodRow {
  namespace: string;
  name: string;
  cpu: number;
  memory: number;
  containers: { requests: { cpu: number | null; memory: number | null }; limits: { memory: number | null } }[];
}
interface NodeRow {
  name: string;
  cpu: number;
  memory: number;
  allocatable: { cpu: number | null; memory: number | null };
}

export const cpuText = (m: number): string => `${Math.round(m)}m`;
export const memoryText = (b: number): string => `${Math.round(b / 1024 ** 2)}Mi`;
const pct = (used: number, of: number | null): string => (of ? `${Math.round((used * 100) / of)}%` : '-');
function sum(xs: (number | null)[]): number | null {
  let total = 0;
  for (const x of xs) {
    if (x === null) return null;
    total += x;
  }
  return total;
}

export function podTable(rows: PodRow[]): string[][] {
  const out = [['NAMESPACE', 'NAME', 'CPU', 'CPU/REQ', 'MEMORY', 'MEM/REQ', 'MEM/LIMIT']];
  for (const p of rows) {
    const reqCpu = sum(p.containers.map((c) => c.requests.cpu));
    const reqMem = sum(p.containers.map((c) => c.requests.memory));
    const limMem = sum(p.containers.map((c) => c.limits.memory));
    out.push([
      p.namespace,
      p.name,
      cpuText(p.cpu),
      pct(p.cpu, reqCpu),
      memoryText(p.memory),
      pct(p.memory, reqMem),
      pct(p.memory, limMem),
    ]);
  }
  return out;
}

export function nodeTable(rows: NodeRow[]): string[][] {
  const out = [['NAME', 'CPU', 'CPU%', 'MEMORY', 'MEMORY%']];
  for (const n of rows) {
    out.push([
      n.name,
      cpuText(n.cpu),
      pct(n.cpu, n.allocatable.cpu),
      memoryText(n.memory),
      pct(n.memory, n.allocatable.memory),
    ]);
  }
  return out;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd((widths[i] ?? 0) + 2))
        .join('')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export function topCommand(): Command {
  const top = new Command('top').description('resource usage (metrics.k8s.io through the hub), like kubectl top');
  const common = (c: Command) =>
    c
      .addOption(new Option('--hub <url>', 'hub URL').env('WHEELHOUSE_HUB_URL'))
      .addOption(new Option('--api-token <token>', 'API token').env('WHEELHOUSE_API_TOKEN'))
      .addOption(new Option('--cluster <name>', 'cluster').env('WHEELHOUSE_CLUSTER').makeOptionMandatory());
  const sortOption = () => new Option('--sort-by <what>', 'sort by').choices(['cpu', 'memory']).default('cpu');
  common(top.command('pods').description('pods by usage, with requests and limits'))
    .option('-n, --namespace <ns>', 'only this namespace')
    .addOption(sortOption())
    .action(
      async (o: { hub?: string; apiToken?: string; cluster: string; namespace?: string; sortBy: 'cpu' | 'memory' }) => {
        const r = await callApi<Usage & { items: PodRow[] }>(
          resolveCredentials(o),
          'GET',
          `/api/v1/clusters/${encodeURIComponent(o.cluster)}/usage/pods${o.namespace ? `?namespace=${encodeURIComponent(o.namespace)}` : ''}`,
        );
        if (!r.available && r.items.length === 0)
          throw new Error(`no usage for ${o.cluster}: ${r.reason ?? 'unknown'}`);
        process.stdout.write(table(podTable([...r.items].sort((a, b) => b[o.sortBy] - a[o.sortBy]))));
      },
    );
  common(top.command('nodes').description('nodes by usage, against allocatable'))
    .addOption(sortOption())
    .action(async (o: { hub?: string; apiToken?: string; cluster: string; sortBy: 'cpu' | 'memory' }) => {
      const r = await callApi<Usage & { items: NodeRow[] }>(
        resolveCredentials(o),
        'GET',
        `/api/v1/clusters/${encodeURIComponent(o.cluster)}/usage/nodes`,
      );
      if (!r.available && r.items.length === 0) throw new Error(`no usage for ${o.cluster}: ${r.reason ?? 'unknown'}`);
      process.stdout.write(table(nodeTable([...r.items].sort((a, b) => b[o.sortBy] - a[o.sortBy]))));
    });
  return top;
}
