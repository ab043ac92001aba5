// The timeline table's rows: a crash loop's restarts are one row per burst
// ("restarted 112×, OOMKilled, exit 137"), like the chart's cluster marker,
// instead of a hundred rows that push everything else out of view. Bursts are
// grouped over the events loaded (issue 18: the newest 5,000, up to 50,000 as
// scrolled, of a range that may hold 100k): a page loaded regroups them, but a
// burst reaching the oldest event loaded may go on among the events not
// loaded — it is marked open and says "or more" rather than a count that is
// only the loaded part of it.
import type { TimelineEvent, TimelineEventOf } from '../api/types.js';

/** Restarts of one container further apart than this start a new burst. */
export const BURST_GAP_MS = 15 * 60_000;

export type TableRow =
  | { kind: 'event'; event: TimelineEvent }
  | {
      kind: 'burst';
      /** Newest first; the row stands at the newest one's place. */
      events: TimelineEventOf<'container-restart'>[];
      /** It may go on among older events not loaded: its count is a lower bound. */
      open?: true;
    };

const isRestart = (e: TimelineEvent): e is TimelineEventOf<'container-restart'> => e.type === 'container-restart';

/**
 * Rows for events sorted newest first. `notLoadedFrom`: when the range holds
 * older events that are not loaded, the time of the oldest event loaded (the
 * page boundary) — a burst whose oldest restart is within a burst's gap of it
 * is open.
 */
export function tableRows(events: readonly TimelineEvent[], notLoadedFrom?: number): TableRow[] {
  const rows: TableRow[] = [];
  const open = new Map<string, Extract<TableRow, { kind: 'burst' }>>();
  for (const e of events) {
    if (!isRestart(e)) {
      rows.push({ kind: 'event', event: e });
      continue;
    }
    const key = `${e.namespace}/${e.name}/${e.data.container}`;
    const burst = open.get(key);
    const oldest = burst?.events[burst.events.length - 1];
    if (burst && oldest && oldest.time - e.time <= BURST_GAP_MS) {
      burst.events.push(e);
      continue;
    }
    const row = { kind: 'burst' as const, events: [e] };
    open.set(key, row);
    rows.push(row);
  }
  // A burst of one is just its event.
  return rows.map((r): TableRow => {
    if (r.kind !== 'burst') return r;
    const [first] = r.events;
    if (r.events.length === 1 && first) return { kind: 'event', event: first };
    const oldest = r.events[r.events.length - 1];
    return notLoadedFrom !== undefined && oldest && oldest.time - notLoadedFrom <= BURST_GAP_MS
      ? { ...r, open: true }
      : r;
  });
}

/**
 * "restarted 112×, OOMKilled (exit 137)": the count, and the reasons by how
 * often; an open burst's count is "112× or more" (older restarts not loaded).
 */
export function burstSummary(events: readonly TimelineEventOf<'container-restart'>[], open = false): string {
  const newest = events[0];
  if (!newest) return '';
  const reasons = new Map<string, number>();
  for (const e of events) {
    const r = e.data.terminationReason ?? e.data.reason;
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  const byCount = [...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => (reasons.size > 1 ? `${r} ${n}×` : r));
  const exit = newest.data.exitCode !== null ? ` (exit ${newest.data.exitCode})` : '';
  return `Container ${newest.data.container} of ${newest.name} restarted ${events.length}×${open ? ' or more (older events not loaded)' : ''}, ${byCount.join(', ')}${exit}; ${newest.data.restartCount} restarts in all`;
}
