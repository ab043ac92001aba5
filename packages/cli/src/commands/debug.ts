// `wheelhouse debug <pod> -n NS [--image IMG] [--target C] [-- command…]`: like
// `kubectl debug -it POD --image=IMG --target=C` — the debug-container action
// adds an ephemeral container (image from the hub's list), then a shell opens in
// it through the hub (authorized, audited, recorded there).
import { Command, Option } from 'commander';
import { parseDuration, type CommandState } from '@wheelhouse/protocol';
import { callApi, resolveCredentials } from '../api-client.js';
import { CliError } from '../exit-codes.js';
import { pickCluster } from '../hub-context.js';
import { follow, processIo, type ActionIo } from './action.js';
import { runShell } from './shell.js';

interface DebugFlags {
  namespace: string;
  image?: string;
  target?: string;
  reason?: string;
  timeout: string;
  cluster?: string;
  hub?: string;
  apiToken?: string;
}

export function debugCommand(io: ActionIo = processIo()): Command {
  return new Command('debug')
    .description(
      'add an ephemeral debug container to a pod (image from the hub list) and open a shell in it, like kubectl debug -it',
    )
    .argument('<pod>', 'pod name')
    .argument('[command...]', 'command to run in it (after --); default: bash, else sh')
    .option('-n, --namespace <ns>', 'namespace of the pod', 'default')
    .option('--image <image>', "debug image, one of the hub's list (default: the list's first)")
    .option('--target <container>', "share this container's process namespace")
    .option('--reason <text>', 'why (recorded in the audit log)')
    .option('--timeout <duration>', 'how long to wait for the container to run', '2m')
    .addOption(new Option('--cluster <name>', 'cluster (default: the only one you can see)').env('WHEELHOUSE_CLUSTER'))
    .addOption(new Option('--hub <url>', 'hub URL').env('WHEELHOUSE_HUB_URL'))
    .addOption(new Option('--api-token <token>', 'API token').env('WHEELHOUSE_API_TOKEN'))
    .action(async (pod: string, command: string[], o: DebugFlags) => {
      const creds = resolveCredentials(o);
      const cluster = await pickCluster(creds, o.cluster);
      const body = {
        action: 'debug-container',
        target: { kind: 'Pod', namespace: o.namespace, name: pod },
        // Without --image the hub's first listed image (the catalog's default for it).
        params: { image: o.image ?? (await defaultImage(creds)), ...(o.target ? { target: o.target } : {}) },
        ...(o.reason ? { reason: o.reason } : {}),
      };
      const created = await callApi<{ id: string; status: CommandState }>(
        creds,
        'POST',
        `/api/v1/clusters/${encodeURIComponent(cluster)}/actions`,
        body,
      );
      io.err(`action ${created.id}\n`);
      const done = await follow(creds, created.id, io, parseDuration(o.timeout));
      const container = done.result?.container;
      if (done.state !== 'succeeded' || typeof container !== 'string')
        throw new CliError('failed', `action ${done.id} ${done.state}${done.message ? `: ${done.message}` : ''}`);
      process.exitCode = await runShell(
        { creds, cluster, namespace: o.namespace, pod, container, command },
        { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
      );
    });
}

/** The first image of debug-container's `image` enum in the hub's catalog. */
async function defaultImage(creds: Parameters<typeof callApi>[0]): Promise<string> {
  const { items } = await callApi<{
    items: { id: string; params: { properties?: { image?: { enum?: string[] } } } }[];
  }>(creds, 'GET', '/api/v1/catalog/actions');
  const image = items.find((a) => a.id === 'debug-container')?.params.properties?.image?.enum?.[0];
  if (!image) throw new CliError('failed', 'the hub offers no debug images (is it older than debug-container?)');
  return image;
}
