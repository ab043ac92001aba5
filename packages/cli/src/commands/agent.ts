// `wheelhouse agent`: the in-cluster agent, dialling out to its hub.
import { Command, Option } from 'commander';
import type { Capabilities } from '@wheelhouse/protocol';
import { stopOnSignals } from './util.js';

export function parseTiers(list: string): Capabilities {
  const tiers = list.split(',').map((s) => s.trim()).filter(Boolean);
  const known = ['basic', 'advanced', 'podExec'];
  const unknown = tiers.filter((t) => !known.includes(t) && t !== 'none');
  if (unknown.length) throw new Error(`unknown tier(s) ${unknown.join(', ')}; use basic, advanced, podExec or none`);
  return { basic: tiers.includes('basic'), advanced: tiers.includes('advanced'), podExec: tiers.includes('podExec') };
}

export function agentCommand(): Command {
  return new Command('agent')
    .description('run the cluster agent: watch the cluster, report to the hub, run permitted actions')
    .addOption(new Option('--hub <url>', 'hub URL, e.g. https://wheelhouse.example.com').env('WHEELHOUSE_HUB_URL').makeOptionMandatory())
    .addOption(new Option('--token <token>', 'the cluster agent token from `wheelhouse cluster add`').env('WHEELHOUSE_AGENT_TOKEN').makeOptionMandatory())
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)').env('KUBECONFIG'))
    .addOption(new Option('--context <name>', 'kubeconfig context'))
    .addOption(new Option('--tiers <list>', 'action tiers this cluster allows: basic,advanced,podExec or none').env('WHEELHOUSE_TIERS').default('none'))
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).env('WHEELHOUSE_LOG_LEVEL').default('info'))
    .action(async (o: { hub: string; token: string; kubeconfig?: string; context?: string; tiers: string; logLevel: string }) => {
      // Loaded on use: every other subcommand starts faster without the agent's dependencies.
      const { default: pino } = await import('pino');
      const { startAgent } = await import('@wheelhouse/agent');
      const log = pino({ name: 'wheelhouse-agent', level: o.logLevel });
      const capabilities = parseTiers(o.tiers);
      const agent = await startAgent({
        hubUrl: o.hub,
        token: o.token,
        ...(o.kubeconfig ? { kubeconfig: o.kubeconfig.split(':')[0] } : {}),
        ...(o.context ? { context: o.context } : {}),
        capabilities,
        log,
        onRevoked: () => {
          process.exitCode = 3;
          void agent.stop();
        },
      });
      stopOnSignals(() => agent.stop());
    });
}
