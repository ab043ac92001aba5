// `wheelhouse completion bash|zsh` prints the completion script; the hidden
// `wheelhouse __complete` answers it at TAB time with what the hub knows.
import { Argument, Command } from 'commander';
import { RESOURCE_KINDS } from '@wheelhouse/protocol';
import { callApi, resolveCredentials } from '../api-client.js';
import { completionScript, type CompletionShell } from '../completion.js';
import { lookupKind } from '../kinds.js';
import { pickCluster, query } from '../hub-context.js';

const rootOf = (cmd: Command): Command => (cmd.parent ? rootOf(cmd.parent) : cmd);

export function completionCommand(): Command {
  return new Command('completion')
    .description('print a shell completion script (bash or zsh)')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      '\nInstall:\n' +
        "  bash: echo 'source <(wheelhouse completion bash)' >> ~/.bashrc\n" +
        "  zsh:  echo 'source <(wheelhouse completion zsh)' >> ~/.zshrc   (after compinit)\n",
    )
    .action((shell: CompletionShell, _o: unknown, cmd: Command) => {
      process.stdout.write(completionScript(rootOf(cmd), shell));
    });
}

/**
 * `__complete names <kind> [--namespace N] [--cluster C]`, `__complete namespaces`,
 * `__complete clusters`: one word a line, nothing at all when the hub cannot say
 * (completion must never print errors into a command line).
 */
export function hiddenCompleteCommand(): Command {
  return new Command('__complete')
    .argument('<what>')
    .argument('[kind]')
    .option('-n, --namespace <ns>')
    .option('--cluster <name>')
    .action(async (what: string, kindWord: string | undefined, o: { namespace?: string; cluster?: string }) => {
      // A hub that does not answer must not hang the TAB key.
      setTimeout(() => process.exit(0), 3000).unref();
      try {
        const creds = resolveCredentials({});
        if (what === 'clusters') {
          const r = await callApi<{ items: { name: string }[] }>(creds, 'GET', '/api/v1/clusters');
          process.stdout.write(r.items.map((c) => `${c.name}\n`).join(''));
          return;
        }
        const kind = what === 'namespaces' ? 'Namespace' : kindWord ? lookupKind(kindWord) : undefined;
        if (!kind) return;
        const cluster = await pickCluster(creds, o.cluster ?? process.env.WHEELHOUSE_CLUSTER);
        const namespace = RESOURCE_KINDS[kind].namespaced
          ? (o.namespace ?? process.env.WHEELHOUSE_NAMESPACE ?? 'default')
          : undefined;
        const r = await callApi<{ items: { name: string }[] }>(
          creds,
          'GET',
          `/api/v1/clusters/${encodeURIComponent(cluster)}/resources${query({ kind, namespace, limit: 1000 })}`,
        );
        process.stdout.write(r.items.map((i) => `${i.name}\n`).join(''));
      } catch {
        // nothing to offer
      }
    });
}
