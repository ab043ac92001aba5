// The `wheelhouse` command line: one entry point for every component.
import { Command } from 'commander';
import { WHEELHOUSE_VERSION } from '@wheelhouse/protocol';
import { clusterCommand, loginCommand, tokenCommand, userCommand } from './commands/admin.js';
import { actionCommand } from './commands/action.js';
import { agentCommand } from './commands/agent.js';
import { auditCommand } from './commands/audit.js';
import { backupCommand } from './commands/backup.js';
import { demoCommand } from './commands/demo.js';
import { execGuardCommand } from './commands/exec-guard.js';
import { hubCommand } from './commands/hub.js';
import { shellCommand } from './commands/shell.js';

export function buildProgram(): Command {
  const program = new Command('wheelhouse')
    .description('Wheelhouse: audited actions, pod shells, exec-drift control and timelines for Kubernetes')
    .version(WHEELHOUSE_VERSION, '-v, --version', 'print the Wheelhouse version')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });
  program.addCommand(hubCommand());
  program.addCommand(agentCommand());
  program.addCommand(execGuardCommand());
  program.addCommand(demoCommand());
  program.addCommand(actionCommand());
  program.addCommand(backupCommand());
  program.addCommand(shellCommand());
  program.addCommand(loginCommand());
  program.addCommand(clusterCommand());
  program.addCommand(userCommand());
  program.addCommand(tokenCommand());
  program.addCommand(auditCommand());
  return program;
}
