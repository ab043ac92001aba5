// The timeline table's rows: a crash loop's restarts are one row per burst
// ("restarted 112×, OOMKilled, exit 137"), like the chart's cluster marker,
// instead of a hundred rows that push everything else out of view.
import type { TimelineEvent, TimelineEventOf } from '../api/types.js';

/** Restarts of one container further apart than this start a new burst. */
export const BURST_GAP_MS = 15 * 60_000;

export type TableRow =
  | { kind: 'event'; event: TimelineEvent }
  | {
      kind: 'burst';
      /** Newest first; the row stands at the newest one's place. */
      events: TimelineEventOf<'container-restart'>[];
    };

const isRestart = (e: TimelineEvent): e is TimelineEventOf<'container-restart'> => e.type === 'container-restart';

/** Rows for events sorted newest first. */
export function tableRows(events: readonly TimelineEvent[]): TableRow[] {
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
  return rows.map((r) =>
    r.kind === 'burst' && r.events.length === 1 && r.events[0] ? { kind: 'event', event: r.events[0] } : r,
  );
}

/** "restarted 112×, OOMKilled (exit 137)": the count, and the reasons by how often. */
export function burstSummary(events: readonly TimelineEventOf<'container-restart'>[]): string {
  const newest = events[0];
  if (!newest) return '';
  const reasons = new Map<string, number>();
  for (const e of events) {
    const r = e.data.terminationReason ?? e.data.reason;
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  const byCount = [...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => (reasons.size > 1 ? `${r} ${n}×` : r));
  const exit = newest.data.exitCode !== null ? ` (exit ${newest.data.exitCode})` : '';
  return `Container ${newest.data.container} of ${newest.name} restarted ${events.length}×, ${byCount.join(', ')}${exit}; ${newest.data.restartCount} restarts in all`;
}
