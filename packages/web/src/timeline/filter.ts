// Which events belong to a timeline view: the same rules the hub applies to
// GET /timeline, so live events can be appended without a reload.
import type { TimelineEvent } from '../api/types.js';

export interface TimelineScope {
  namespace?: string | undefined;
  kind?: string | undefined;
  name?: string | undefined;
}

type ScopedEvent = Pick<TimelineEvent, 'kind' | 'namespace' | 'name' | 'owner'>;

/**
 * A namespace must match exactly; kind+name selects a workload and the objects
 * it owns (its pods); kind or name alone match the event's own object.
 */
export function matchesScope(e: ScopedEvent, scope: TimelineScope): boolean {
  if (scope.namespace !== undefined && scope.namespace !== '' && e.namespace !== scope.namespace) return false;
  const { kind, name } = scope;
  if (kind && name) return (e.kind === kind && e.name === name) || (e.owner?.kind === kind && e.owner.name === name);
  if (kind) return e.kind === kind;
  if (name) return e.name === name;
  return true;
}

/** Within [from, to] (to open when undefined). */
export function inRange(e: Pick<TimelineEvent, 'time'>, from: number, to?: number): boolean {
  return e.time >= from && (to === undefined || e.time <= to);
}

/** A live event worth appending: in scope and in the time range. */
export function acceptsLive(e: TimelineEvent, scope: TimelineScope, from: number, to?: number): boolean {
  return matchesScope(e, scope) && inRange(e, from, to);
}

/** Newest first; ties by seq (later stored first). */
export function newestFirst(a: Pick<TimelineEvent, 'time' | 'seq'>, b: Pick<TimelineEvent, 'time' | 'seq'>): number {
  return b.time - a.time || b.seq - a.seq;
}

/**
 * Fetched pages and live events as one list, newest first, each event once
 * (by seq), limited to the time range.
 */
export function mergeEvents(
  fetched: readonly TimelineEvent[],
  live: Iterable<TimelineEvent>,
  from: number,
  to?: number,
): TimelineEvent[] {
  const bySeq = new Map<number, TimelineEvent>();
  for (const e of fetched) if (inRange(e, from, to)) bySeq.set(e.seq, e);
  for (const e of live) if (inRange(e, from, to)) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort(newestFirst);
}

/**
 * One entry per command: the hub records an `action` event for each state a
 * command goes through (pending, dispatched, running, succeeded…); the view
 * shows the newest of them. Events are newest first; others pass unchanged.
 */
export function latestPerCommand<E extends { type: string; data: Record<string, unknown> }>(events: readonly E[]): E[] {
  const seen = new Set<string>();
  const out: E[] = [];
  for (const e of events) {
    const id = e.type === 'action' && typeof e.data.commandId === 'string' ? e.data.commandId : undefined;
    if (id !== undefined) {
      if (seen.has(id)) continue;
      seen.add(id);
    }
    out.push(e);
  }
  return out;
}
