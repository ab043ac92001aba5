// `wheelhouse exec-guard`: runs exec guard (admission webhook + eviction
// controller). Flags and their environment variables are defined with the
// implementation in @wheelhouse/exec-guard; see docs/exec-guard.md.
// Loaded on use: importing exec guard costs most of a second of CPU, which
// every other command (and every TAB of the shell completion) would pay.
import { Command } from 'commander';

export function execGuardCommand(): Command {
  return new Command('exec-guard')
    .description(
      'Run exec guard: the admission webhook that records kubectl exec/attach, labels and announces it, and evicts the pod after a TTL',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]', 'exec guard flags (wheelhouse exec-guard --help lists them)')
    .action(async (flags: string[]) => {
      const { execGuardCommand: build } = await import('@wheelhouse/exec-guard');
      // Parsed under a parent named like ours, so usage and errors read `wheelhouse exec-guard`.
      const real = build();
      const parent = new Command('wheelhouse').addCommand(real);
      for (const c of [parent, real]) c.exitOverride().configureOutput({ outputError: () => undefined });
      await parent.parseAsync(['exec-guard', ...flags], { from: 'user' });
    });
}
