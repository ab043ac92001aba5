// A command as the console knows it: the hub's detail (with transitions) and
// the live feed's updates merged, the newer view winning, each state once.
import type { CommandDetail, CommandView } from '../api/types.js';

export type LiveCommand = CommandView & { transitions?: CommandDetail['transitions'] };

export function mergeCommand(prev: LiveCommand | undefined, next: LiveCommand): LiveCommand {
  if (!prev) return next;
  const newer = next.updatedAt >= prev.updatedAt ? next : prev;
  const byState = new Map<string, CommandDetail['transitions'][number]>();
  for (const t of [...(prev.transitions ?? []), ...(next.transitions ?? [])])
    if (!byState.has(t.state)) byState.set(t.state, t);
  for (const c of [prev, next])
    if (!byState.has(c.state)) byState.set(c.state, { state: c.state, at: c.updatedAt, message: c.message });
  return { ...newer, transitions: [...byState.values()].sort((a, b) => a.at - b.at) };
}
