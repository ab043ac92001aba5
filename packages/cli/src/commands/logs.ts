// `wheelhouse logs <pod | kind/name> [-c C] [-f] [--previous] [--since 5m] [--all-pods]`:
// a container's log through the hub's log stream (authorized there, read by
// the agent). For a workload it picks one pod as kubectl does, and says which;
// with --all-pods (as kubectl's flag) every container of every pod, merged by
// the hub, each line prefixed [pod/NAME/CONTAINER] (coloured per pod on a
// terminal), pods joining and leaving as a rollout replaces them.
import { Command, InvalidArgumentError } from 'commander';
import WebSocket from 'ws';
import {
  LOGS_MAX_TAIL_LINES,
  WORKLOAD_LOG_KINDS,
  logsPath,
  workloadLogsPath,
  parseDuration,
  type InventoryItem,
  type InventoryItemOf,
  type LogsServerMessage,
  type ResourceKind,
  type WorkloadLogKind,
  type WorkloadLogsServerMessage,
} from '@wheelhouse/protocol';
import type { HubCredentials } from '../api-client.js';
import { ApiError, CliError } from '../exit-codes.js';
import { clusterContext, withClusterOptions, type HubFlags } from '../hub-context.js';
import { parseKindName } from '../kinds.js';
import { parseSelector } from '../label-selector.js';
import { namespaceOf, readInventory } from './get.js';

type Pod = InventoryItemOf<'Pod'>;

interface LogsFlags extends HubFlags {
  namespace?: string;
  container?: string;
  follow?: boolean;
  previous?: boolean;
  since?: string;
  tail?: number;
  timestamps?: boolean;
  allPods?: boolean;
}

const readyTime = (p: Pod): number | null =>
  p.summary.conditionDetails?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? null;
const maxRestarts = (p: Pod): number => Math.max(0, ...p.summary.containers.map((c) => c.restartCount));
const PHASE_RANK: Record<string, number> = { Running: 0, Unknown: 1, Pending: 2 };
const phaseRank = (p: Pod): number => PHASE_RANK[p.summary.phase] ?? 3;

/**
 * kubectl's choice of the pod whose log to show (podutils.ByLogging): on a
 * node, running, ready, ready for longest, most restarts, oldest.
 */
export function byLogging(a: Pod, b: Pod): number {
  const an = a.summary.nodeName ?? '';
  const bn = b.summary.nodeName ?? '';
  if (an !== bn && (an === '' || bn === '')) return an === '' ? 1 : -1;
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  if (a.summary.ready !== b.summary.ready) return a.summary.ready ? -1 : 1;
  if (a.summary.ready && b.summary.ready) {
    const ar = readyTime(a) ?? Infinity;
    const br = readyTime(b) ?? Infinity;
    if (ar !== br) return ar - br;
  }
  if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(b) - maxRestarts(a);
  return a.createdAt - b.createdAt;
}

const ownedBy = (i: InventoryItem, kind: string, names: ReadonlySet<string>): boolean =>
  i.ownerRefs.some((r) => r.kind === kind && names.has(r.name));

/** The pods a workload (or a Service's selector) stands for. */
async function podsOf(
  creds: HubCredentials,
  cluster: string,
  namespace: string,
  kind: ResourceKind,
  name: string,
): Promise<Pod[]> {
  const read = (k: ResourceKind): Promise<InventoryItem[]> => readInventory(creds, cluster, { kind: k, namespace });
  const target = await readInventory(creds, cluster, { kind, namespace, name });
  const self = target[0];
  if (!self)
    throw new CliError('not_found', `${kind} "${name}" not found in namespace "${namespace}" (cluster ${cluster})`);
  const pods = (await read('Pod')).filter((i): i is Pod => i.kind === 'Pod');
  switch (kind) {
    case 'Deployment': {
      const sets = new Set(
        (await read('ReplicaSet')).filter((r) => ownedBy(r, kind, new Set([name]))).map((r) => r.name),
      );
      return pods.filter((p) => ownedBy(p, 'ReplicaSet', sets));
    }
    case 'CronJob': {
      const jobs = new Set((await read('Job')).filter((j) => ownedBy(j, kind, new Set([name]))).map((j) => j.name));
      return pods.filter((p) => ownedBy(p, 'Job', jobs));
    }
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      return pods.filter((p) => ownedBy(p, kind, new Set([name])));
    case 'Service': {
      const selector = self.kind === 'Service' ? self.summary.selector : undefined;
      if (!selector || Object.keys(selector).length === 0)
        throw new CliError('usage', `Service "${name}" has no selector: name a pod`);
      const test = parseSelector(
        Object.entries(selector)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      );
      return pods.filter((p) => test(p.labels));
    }
    default:
      throw new CliError('usage', `logs: ${kind} has no pods; give a pod, or deploy/sts/ds/rs/job/cj/svc/<name>`);
  }
}

/** The pod to read: the one named, or kubectl's pick among a workload's. */
export async function choosePod(
  creds: HubCredentials,
  cluster: string,
  namespace: string,
  spec: string,
  say: (s: string) => void,
): Promise<Pod> {
  const { kind, name } = spec.includes('/') ? parseKindName(spec) : { kind: 'Pod' as const, name: spec };
  if (kind === 'Pod') {
    const found = (await readInventory(creds, cluster, { kind, namespace, name })).find(
      (i): i is Pod => i.kind === 'Pod',
    );
    if (!found)
      throw new CliError('not_found', `Pod "${name}" not found in namespace "${namespace}" (cluster ${cluster})`);
    return found;
  }
  const pods = (await podsOf(creds, cluster, namespace, kind, name)).sort(byLogging);
  const pod = pods[0];
  if (!pod) throw new CliError('not_found', `${kind} "${name}" has no pods in namespace "${namespace}"`);
  say(
    `Found ${pods.length} pod${pods.length === 1 ? '' : 's'} of ${kind.toLowerCase()}/${name}, using pod/${pod.name}\n`,
  );
  return pod;
}

type AnyLogMessage = LogsServerMessage | WorkloadLogsServerMessage;

/** Streams the log to stdout; resolves when it ends, rejects with the reason it could not. */
function stream(
  creds: HubCredentials,
  url: URL,
  render: (msg: AnyLogMessage) => string | null = (m) => (m.type === 'data' ? m.text : null),
): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${creds.token}` }, perMessageDeflate: false });
    let ended: Extract<AnyLogMessage, { type: 'end' }> | null = null;
    const onStdoutError = (err: NodeJS.ErrnoException): void => {
      // `| head` closed the pipe: the reader has what it wanted.
      if (err.code === 'EPIPE') {
        ws.terminate();
        resolve();
      } else reject(err);
    };
    process.stdout.on('error', onStdoutError);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          json = { message: body };
        }
        const status = res.statusCode ?? 0;
        reject(
          new ApiError(status, {
            ...json,
            error: typeof json.error === 'string' ? json.error : `http_${status}`,
            message: typeof json.message === 'string' ? json.message : '',
          }),
        );
      });
    });
    ws.on('error', (err) =>
      reject(new CliError('unreachable', `cannot reach the hub at ${creds.hub}: ${err.message}`)),
    );
    ws.on('message', (data) => {
      let msg: AnyLogMessage;
      try {
        msg = JSON.parse(
          Buffer.isBuffer(data)
            ? data.toString('utf8')
            : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'),
        ) as AnyLogMessage;
      } catch {
        return;
      }
      if (msg.type === 'end') {
        ended = msg;
        return;
      }
      if (msg.type === 'dropped') {
        const lines = 'lines' in msg ? `${msg.lines} lines, ` : '';
        process.stderr.write(`\n[wheelhouse: ${lines}${msg.bytes} bytes of log dropped: read too slowly]\n`);
        return;
      }
      const text = render(msg);
      if (text) {
        // A slow terminal or pipe holds the socket, and so the hub's and the agent's reads.
        if (!process.stdout.write(text)) {
          ws.pause();
          process.stdout.once('drain', () => ws.resume());
        }
      }
    });
    ws.on('close', () => {
      process.stdout.off('error', onStdoutError);
      const end = ended;
      if (end === null) return reject(new CliError('unreachable', 'the log stream closed without an end'));
      if (end.reason === 'eof') return resolve();
      if (end.reason === 'error')
        return reject(new CliError('failed', end.message ?? 'Kubernetes refused the log read'));
      reject(
        new CliError(
          'unreachable',
          end.reason === 'agent-lost'
            ? 'the agent went away; the log stream ended'
            : `the hub ended the log stream (${end.reason})`,
        ),
      );
    });
  });
}

/** 256-colour codes that read on dark and light terminals, one per pod (as stern does). */
const POD_COLOURS = [32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];

/** Renders merged workload frames: lines prefixed [pod/NAME/CONTAINER]; joins and leaves on stderr. */
export function workloadRenderer(colour: boolean): (m: AnyLogMessage) => string | null {
  const colours = new Map<string, number>();
  const paint = (pod: string, s: string): string => {
    if (!colour) return s;
    let c = colours.get(pod);
    if (c === undefined) {
      c = POD_COLOURS[colours.size % POD_COLOURS.length] ?? 36;
      colours.set(pod, c);
    }
    return `\x1b[${c}m${s}\x1b[0m`;
  };
  return (m) => {
    if (!('pod' in m)) return null;
    const tag = paint(m.pod, `[pod/${m.pod}/${m.container}]`);
    switch (m.type) {
      case 'data':
        return m.text
          .slice(0, -1)
          .split('\n')
          .map((l) => `${tag} ${l}\n`)
          .join('');
      case 'joined':
        process.stderr.write(`+ ${tag} following\n`);
        return null;
      case 'left':
        process.stderr.write(`- ${tag} ${m.message ?? m.reason}\n`);
        return null;
      case 'limited':
        process.stderr.write(`! ${tag} not followed: this stream follows at most ${m.limit} containers\n`);
        return null;
    }
    return null;
  };
}

const parseTail = (v: string): number => {
  const n = Number(v);
  if (n === -1) return LOGS_MAX_TAIL_LINES;
  if (!Number.isInteger(n) || n < 0 || n > LOGS_MAX_TAIL_LINES)
    throw new InvalidArgumentError(
      `a whole number from 0 to ${LOGS_MAX_TAIL_LINES}, or -1 for as many as the hub gives`,
    );
  return n;
};

export function logsCommand(): Command {
  return withClusterOptions(
    new Command('logs')
      .description("print a container's log through the hub, like kubectl logs (a workload: one of its pods)")
      .argument('<pod>', 'pod name, or deploy/NAME, sts/NAME, ds/NAME, rs/NAME, job/NAME, cj/NAME, svc/NAME')
      .option('-n, --namespace <ns>', 'namespace (default: $WHEELHOUSE_NAMESPACE or "default")')
      .option('-c, --container <name>', 'container (default: the first, said on stderr)')
      .option('-f, --follow', 'keep printing as the log grows')
      .option('-p, --previous', "the previous (crashed) container's log")
      .option('--since <duration>', 'only lines newer than this (e.g. 10m)')
      .option('--tail <lines>', 'last lines to show (-1: as many as the hub gives, 100000)', parseTail)
      .option('--timestamps', 'prefix each line with its RFC 3339 time')
      .option('--all-pods', "every pod's containers of a deploy/sts/ds/job, merged and tagged (pods join and leave)"),
  ).action(async (spec: string, o: LogsFlags) => {
    let sinceSeconds: number | undefined;
    if (o.since !== undefined) {
      try {
        sinceSeconds = Math.max(1, Math.ceil(parseDuration(o.since) / 1000));
      } catch (err) {
        throw new CliError('usage', `--since: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const namespace = namespaceOf(o);
    const { creds, cluster } = await clusterContext(o);
    const say = (s: string): void => void process.stderr.write(s);
    if (o.allPods) {
      const { kind, name } = spec.includes('/') ? parseKindName(spec) : { kind: 'Pod' as const, name: spec };
      if (!(WORKLOAD_LOG_KINDS as readonly string[]).includes(kind))
        throw new CliError('usage', `--all-pods: give deploy/NAME, sts/NAME, ds/NAME or job/NAME (not ${kind})`);
      if (o.previous) throw new CliError('usage', '--all-pods: --previous reads one pod; name the pod');
      const url = new URL(workloadLogsPath(cluster, namespace, kind as WorkloadLogKind, name), creds.hub);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      if (o.container) url.searchParams.set('container', o.container);
      if (o.follow) url.searchParams.set('follow', 'true');
      if (o.timestamps) url.searchParams.set('timestamps', 'true');
      if (o.tail !== undefined) url.searchParams.set('tailLines', String(o.tail));
      if (sinceSeconds !== undefined) url.searchParams.set('sinceSeconds', String(sinceSeconds));
      await stream(creds, url, workloadRenderer(process.stdout.isTTY && !process.env.NO_COLOR));
      return;
    }
    const pod = await choosePod(creds, cluster, namespace, spec, say);
    let container = o.container;
    const names = pod.summary.containers.map((c) => c.name);
    if (!container && names.length > 1 && names[0]) {
      container = names[0];
      say(`Defaulted container "${container}" out of: ${names.join(', ')}\n`);
    }
    const url = new URL(logsPath(cluster, pod.namespace, pod.name), creds.hub);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (container) url.searchParams.set('container', container);
    if (o.follow) url.searchParams.set('follow', 'true');
    if (o.previous) url.searchParams.set('previous', 'true');
    if (o.timestamps) url.searchParams.set('timestamps', 'true');
    if (o.tail !== undefined) url.searchParams.set('tailLines', String(o.tail));
    if (sinceSeconds !== undefined) url.searchParams.set('sinceSeconds', String(sinceSeconds));
    await stream(creds, url);
  });
}
