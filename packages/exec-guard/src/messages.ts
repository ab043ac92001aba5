// The words exec guard uses for an interaction, in Kubernetes Events and (through
// the agent) on the Wheelhouse timeline. `kubectl debug` gets its own wording:
// it adds a container that stays in the pod spec, which exec and attach do not.
import type { InteractionEntry } from './journal.js';

type Interaction = Pick<InteractionEntry, 'operation' | 'user' | 'container' | 'command' | 'image' | 'targetContainer'>;

/** The command the user ran, as the reference controller names it. */
export function interactionCommand(e: Pick<InteractionEntry, 'operation'>): string {
  switch (e.operation) {
    case 'portforward':
      return 'kubectl port-forward';
    case 'debug':
      return 'kubectl debug';
    default:
      return 'kubectl exec/attach';
  }
}

function debugDetail(e: Interaction): string {
  const parts = [`ephemeral container '${e.container ?? '?'}'`];
  if (e.image !== undefined) parts.push(`image ${e.image}`);
  if (e.targetContainer !== undefined) parts.push(`targeting container '${e.targetContainer}'`);
  return parts.join(', ');
}

/** The first-interaction Event: "Pod was interacted with 'kubectl exec/attach' command by a user 'alice' initially at time …". */
export function interactionEventMessage(e: Interaction, interactedAt: string): string {
  const base = `Pod was interacted with '${interactionCommand(e)}' command by a user '${e.user}' initially at time ${interactedAt}`;
  return e.operation === 'debug' ? `${base} (${debugDetail(e)})` : base;
}

/** The timeline summary of one interaction (every interaction, not only the first). */
export function interactionSummary(e: Interaction, first: boolean, terminationTime: string | undefined): string {
  const evicted = first && terminationTime !== undefined ? ` — the pod will be evicted at ${terminationTime}` : '';
  if (e.operation === 'debug') {
    const cmd = e.command?.length ? `: ${e.command.join(' ')}` : '';
    return `${e.user} added a debug container with kubectl debug (${debugDetail(e)})${cmd}${evicted}`.slice(0, 4096);
  }
  const what = e.command?.length ? `: ${e.command.join(' ')}` : '';
  return `${e.user} ran kubectl ${e.operation}${e.container ? ` in ${e.container}` : ''}${what}${evicted}`.slice(
    0,
    4096,
  );
}
