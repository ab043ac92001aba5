// The `wheelhouse` command line. Subcommands arrive with their issues
// (hub, agent, exec-guard, demo, admin); this is the shared entry point.
import { Command } from 'commander';
import { WHEELHOUSE_VERSION } from '@wheelhouse/protocol';

export function buildProgram(): Command {
  const program = new Command('wheelhouse')
    .description('Wheelhouse: audited actions, pod shells, exec-drift control and timelines for Kubernetes')
    .version(WHEELHOUSE_VERSION, '-v, --version', 'print the Wheelhouse version')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });
  return program;
}
