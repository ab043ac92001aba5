// Live progress of a command until it is terminal: the states it went through,
// the agent's message, and the outcome.
import type { CommandState } from '../api/types.js';
import { isTerminal } from '@wheelhouse/protocol/core';
import { useCommand } from '../data/hooks.js';
import { useShells } from '../shell/ShellProvider.js';

const FLOW: CommandState[] = ['pending', 'dispatched', 'running'];

export function stateClass(s: CommandState): string {
  if (s === 'succeeded') return 'ok';
  if (s === 'failed' || s === 'rejected' || s === 'expired') return 'err';
  return 'info';
}

export function CommandStatus({ cluster, id }: { cluster: string; id: string }) {
  const cmd = useCommand(cluster, id);
  const shells = useShells();
  // A debug container that runs: the point of adding it was to enter it.
  const debugContainer =
    cmd?.action === 'debug-container' &&
    cmd.state === 'succeeded' &&
    !cmd.dryRun &&
    typeof cmd.result?.container === 'string'
      ? cmd.result.container
      : undefined;
  if (!cmd)
    return (
      <p className="hint" role="status">
        Submitted…
      </p>
    );
  const seen = new Set(cmd.transitions?.map((t) => t.state) ?? [cmd.state]);
  return (
    <div role="status" aria-live="polite" aria-label="Command status" data-state={cmd.state}>
      <div className="status-steps">
        {FLOW.map((s) => (
          <span key={s} className={`step${seen.has(s) || isTerminal(cmd.state) ? ' done' : ''}`}>
            {s}
          </span>
        ))}
        <span className={`badge ${stateClass(cmd.state)}`}>{cmd.state}</span>
      </div>
      {cmd.message && (
        <p className={isTerminal(cmd.state) && cmd.state !== 'succeeded' ? 'error-box' : 'hint'}>{cmd.message}</p>
      )}
      {debugContainer && (
        <button
          type="button"
          className="primary"
          onClick={() =>
            shells.open({ cluster, namespace: cmd.target.namespace, pod: cmd.target.name, container: debugContainer })
          }
        >
          Open shell in {debugContainer}
        </button>
      )}
    </div>
  );
}
