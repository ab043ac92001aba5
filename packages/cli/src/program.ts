// The `wheelhouse` command line: one entry point for every component.
import { Command } from 'commander';
import { WHEELHOUSE_VERSION } from '@wheelhouse/protocol';
import { clusterCommand, loginCommand, tokenCommand, userCommand } from './commands/admin.js';
import { accessCommand } from './commands/access.js';
import { notifyCommand } from './commands/notify.js';
import { actionCommand } from './commands/action.js';
import { actionsCommand } from './commands/actions.js';
import { agentCommand } from './commands/agent.js';
import { auditCommand } from './commands/audit.js';
import { backupCommand } from './commands/backup.js';
import { completionCommand, hiddenCompleteCommand } from './commands/completion.js';
import { demoCommand } from './commands/demo.js';
import { execGuardCommand } from './commands/exec-guard.js';
import { getCommand } from './commands/get.js';
import { hubCommand } from './commands/hub.js';
import { clusterListCommand, tokenListCommand, userListCommand } from './commands/lists.js';
import { logsCommand } from './commands/logs.js';
import { portForwardCommand } from './commands/port-forward.js';
import { nodeShellCommand, shellCommand } from './commands/shell.js';
import { debugCommand } from './commands/debug.js';
import { storeCommand } from './commands/store.js';
import { topCommand } from './commands/top.js';
import { timelineCommand } from './commands/timeline.js';

/** The command whose line was wrong, for the hint after a usage error ("wheelhouse get"). */
export const usageFailure: { command?: string } = {};

const fullName = (cmd: Command): string => (cmd.parent ? `${fullName(cmd.parent)} ${cmd.name()}` : cmd.name());

/** Every command of the tree, the root first. */
export function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

export function buildProgram(): Command {
  const program = new Command('wheelhouse')
    .description('Wheelhouse: audited actions, pod shells, exec-drift control and timelines for Kubernetes')
    .version(WHEELHOUSE_VERSION, '-v, --version', 'print the Wheelhouse version');
  program.addCommand(hubCommand());
  program.addCommand(agentCommand());
  program.addCommand(execGuardCommand());
  program.addCommand(demoCommand());
  program.addCommand(getCommand());
  program.addCommand(timelineCommand());
  program.addCommand(logsCommand());
  program.addCommand(portForwardCommand());
  program.addCommand(actionCommand());
  program.addCommand(actionsCommand());
  program.addCommand(auditCommand());
  program.addCommand(backupCommand());
  program.addCommand(storeCommand());
  program.addCommand(shellCommand());
  program.addCommand(nodeShellCommand());
  program.addCommand(debugCommand());
  program.addCommand(loginCommand());
  program.addCommand(clusterCommand().addCommand(clusterListCommand()));
  program.addCommand(userCommand().addCommand(userListCommand()));
  program.addCommand(tokenCommand().addCommand(tokenListCommand()));
  program.addCommand(accessCommand());
  program.addCommand(notifyCommand());
  program.addCommand(topCommand());
  program.addCommand(completionCommand());
  program.addCommand(hiddenCompleteCommand(), { hidden: true });
  // Every command reports usage errors the same way: thrown (main.ts prints
  // them and exits 2), never by commander's own process.exit.
  for (const cmd of allCommands(program))
    cmd.exitOverride().configureOutput({ outputError: () => void (usageFailure.command = fullName(cmd)) });
  return program;
}
