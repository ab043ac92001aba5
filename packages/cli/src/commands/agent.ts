// `wheelhouse agent`: the in-cluster agent, dialling out to its hub.
import { Command, Option } from 'commander';
import type { Capabilities } from '@wheelhouse/protocol';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { parseListen, stopOnSignals } from './util.js';

export function parseTiers(list: string): Capabilities {
  const tiers = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known = ['basic', 'advanced', 'podExec', 'nodeShell'];
  const unknown = tiers.filter((t) => !known.includes(t) && t !== 'none');
  if (unknown.length)
    throw new Error(`unknown tier(s) ${unknown.join(', ')}; use basic, advanced, podExec, nodeShell or none`);
  return {
    basic: tiers.includes('basic'),
    advanced: tiers.includes('advanced'),
    podExec: tiers.includes('podExec'),
    // Node shells (a privileged pod on a node) are their own opt-in, never implied by podExec.
    nodeShell: tiers.includes('nodeShell'),
  };
}

/** --node-shell-command: a JSON array of strings, at least one. */
export function parseCommand(json: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    v = null;
  }
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x.length > 0))
    throw new Error(`--node-shell-command must be a JSON array of non-empty strings, e.g. ["sh"]; got ${json}`);
  return v as string[];
}

let synced = false;

/** /healthz: the process runs; /readyz: linked to the hub and the first sync is done (the chart's probes). */
async function serveHealth(listen: string, linked: () => boolean): Promise<Server> {
  const { host, port } = parseListen(listen);
  const server = createServer((req, res) => {
    const ready = synced && linked();
    const ok = req.url === '/healthz' || (req.url === '/readyz' && ready);
    res.writeHead(req.url === '/healthz' || req.url === '/readyz' ? (ok ? 200 : 503) : 404, {
      'content-type': 'application/json',
    });
    res.end(JSON.stringify({ ok, ...(req.url === '/readyz' ? { synced, linked: linked() } : {}) }));
  });
  await new Promise<void>((r) => server.listen(port, host, r));
  return server;
}

export function agentCommand(): Command {
  return new Command('agent')
    .description('run the cluster agent: watch the cluster, report to the hub, run permitted actions')
    .addOption(
      new Option(
        '--hub <url>',
        'hub URL, e.g. https://wheelhouse.example.com; several comma-separated (hub replicas without a load balancer): tried in turn after each lost connection',
      )
        .env('WHEELHOUSE_HUB_URL')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--token <token>', 'the cluster agent token from `wheelhouse cluster add`')
        .env('WHEELHOUSE_AGENT_TOKEN')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)').env(
        'KUBECONFIG',
      ),
    )
    .addOption(new Option('--context <name>', 'kubeconfig context'))
    .addOption(
      new Option('--tiers <list>', 'action tiers this cluster allows: basic,advanced,podExec,nodeShell or none')
        .env('WHEELHOUSE_TIERS')
        .default('none'),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .env('WHEELHOUSE_LOG_LEVEL')
        .default('info'),
    )
    .addOption(
      new Option(
        '--impersonate',
        "act as each requesting user's mapped Kubernetes identity (Impersonate-User/-Group)",
      ).env('WHEELHOUSE_IMPERSONATE'),
    )
    .addOption(
      new Option('--impersonate-user-prefix <prefix>', 'Kubernetes user = prefix + Wheelhouse username')
        .env('WHEELHOUSE_IMPERSONATE_USER_PREFIX')
        .default('wheelhouse:'),
    )
    .addOption(
      new Option('--impersonate-groups <list>', 'Kubernetes groups of impersonated users, comma separated')
        .env('WHEELHOUSE_IMPERSONATE_GROUPS')
        .default('wheelhouse:users'),
    )
    .addOption(
      new Option(
        '--impersonate-idp-groups <list>',
        'identity-provider groups passed on (Impersonate-Group) when the person is in them, comma separated',
      )
        .env('WHEELHOUSE_IMPERSONATE_IDP_GROUPS')
        .default(''),
    )
    .addOption(
      new Option('--hub-ca <file>', "PEM CA bundle for the hub's TLS certificate (https hubs with a private CA)").env(
        'WHEELHOUSE_HUB_CA',
      ),
    )
    .addOption(
      new Option('--health-listen <host:port>', 'serve /healthz and /readyz here (empty: off)')
        .env('WHEELHOUSE_HEALTH_LISTEN')
        .default(''),
    )
    .addOption(
      new Option('--node-shell-namespace <ns>', 'namespace of node-shell pods (tier nodeShell)')
        .env('WHEELHOUSE_NODE_SHELL_NAMESPACE')
        .default('wheelhouse-node-shells'),
    )
    .addOption(
      new Option('--node-shell-image <image>', 'image of node-shell pods: needs nsenter and sh')
        .env('WHEELHOUSE_NODE_SHELL_IMAGE')
        .default('busybox:1.37'),
    )
    .addOption(
      new Option(
        '--node-shell-command <json>',
        'what a node shell runs in its pod, a JSON array (default ["nsenter","-t","1","-m","-u","-i","-n","-p","--","sh"]; e.g. ["chroot","/host","sh"] with a hostPath image)',
      ).env('WHEELHOUSE_NODE_SHELL_COMMAND'),
    )
    .action(
      async (o: {
        nodeShellCommand?: string;
        nodeShellNamespace: string;
        nodeShellImage: string;
        hub: string;
        token: string;
        kubeconfig?: string;
        context?: string;
        tiers: string;
        logLevel: string;
        impersonate?: boolean | string;
        impersonateUserPrefix: string;
        impersonateGroups: string;
        impersonateIdpGroups: string;
        healthListen: string;
        hubCa?: string;
      }) => {
        // Loaded on use: every other subcommand starts faster without the agent's dependencies.
        const { default: pino } = await import('pino');
        const { startAgent } = await import('@wheelhouse/agent');
        const log = pino({ name: 'wheelhouse-agent', level: o.logLevel });
        const capabilities = parseTiers(o.tiers);
        const nodeShellCommand = o.nodeShellCommand === undefined ? undefined : parseCommand(o.nodeShellCommand);
        const impersonate = o.impersonate === true || o.impersonate === 'true' || o.impersonate === '1';
        const impersonation = impersonate
          ? {
              userPrefix: o.impersonateUserPrefix,
              groups: o.impersonateGroups
                .split(',')
                .map((g) => g.trim())
                .filter(Boolean),
              idpGroups: o.impersonateIdpGroups
                .split(',')
                .map((g) => g.trim())
                .filter(Boolean),
            }
          : undefined;
        const agent = await startAgent({
          ...(impersonation ? { impersonation } : {}),
          ...(o.hubCa ? { hubCa: readFileSync(o.hubCa) } : {}),
          hubUrl: o.hub,
          token: o.token,
          ...(o.kubeconfig ? { kubeconfig: o.kubeconfig.split(':')[0] } : {}),
          ...(o.context ? { context: o.context } : {}),
          capabilities,
          nodeShell: {
            namespace: o.nodeShellNamespace,
            image: o.nodeShellImage,
            ...(nodeShellCommand ? { command: nodeShellCommand } : {}),
          },
          log,
          onRevoked: () => {
            process.exitCode = 3;
            void agent.stop();
          },
        });
        const health = o.healthListen ? await serveHealth(o.healthListen, () => agent.link.connected) : null;
        await agent.synced;
        synced = true;
        stopOnSignals(async () => {
          health?.close();
          await agent.stop();
        });
      },
    );
}
