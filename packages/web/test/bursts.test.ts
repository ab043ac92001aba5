import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../src/api/types.js';
import { BURST_GAP_MS, burstSummary, tableRows } from '../src/timeline/bursts.js';

let seq = 0;
const restart = (time: number, container = 'worker', pod = 'pay-1', reason = 'OOMKilled'): TimelineEvent =>
  ({
    seq: ++seq,
    cluster: 'c',
    time,
    type: 'container-restart',
    severity: 'error',
    kind: 'Pod',
    namespace: 'shop',
    name: pod,
    summary: `restart ${seq}`,
    data: { container, restartCount: seq, reason, exitCode: 137, terminationReason: reason },
  }) as unknown as TimelineEvent;
const other = (time: number): TimelineEvent =>
  ({
    seq: ++seq,
    cluster: 'c',
    time,
    type: 'spec-change',
    severity: 'info',
    kind: 'Deployment',
    namespace: 'shop',
    name: 'pay',
    summary: 'image changed',
    data: { changes: [], revision: null },
  }) as unknown as TimelineEvent;

describe('timeline table rows', () => {
  it("folds a container's restarts into one row per burst, keeping other events in their place", () => {
    const t = 10_000_000;
    const events = [
      restart(t),
      other(t - 1000),
      restart(t - 2000),
      restart(t - 4000, 'sidecar'),
      restart(t - 5000),
      // Long before: a burst of its own.
      restart(t - BURST_GAP_MS - 10_000),
      restart(t - BURST_GAP_MS - 12_000),
    ];
    const rows = tableRows(events);
    expect(rows.map((r) => (r.kind === 'event' ? r.event.type : `burst×${r.events.length}`))).toEqual([
      'burst×3',
      'spec-change',
      'container-restart',
      'burst×2',
    ]);
  });

  it('says how many times, and why, with the reasons by count', () => {
    const t = 10_000_000;
    const burst = tableRows([restart(t), restart(t - 10, 'worker', 'pay-1', 'Error'), restart(t - 20)]);
    const row = burst[0];
    if (row?.kind !== 'burst') throw new Error('expected a burst');
    expect(burstSummary(row.events)).toMatch(
      /^Container worker of pay-1 restarted 3×, OOMKilled 2×, Error 1× \(exit 137\)/,
    );
  });

  // Issue 18: at 100k events the tab loads the newest 5,000 (up to 50,000 as scrolled). A crash loop
  // longer than that was shown as "restarted 5,000×" — only the part loaded, as if that were all of it.
  it('marks a burst cut by the page boundary open ("or more"), and closes it once the rest is loaded', () => {
    const t = 50_000_000;
    // A restart a minute for 300 minutes, newest first, then a spec change an hour before it began.
    const loop = Array.from({ length: 300 }, (_, i) => restart(t - i * 60_000));
    const all = [...loop, other(t - 360 * 60_000)];
    const loaded = all.slice(0, 100);
    const boundary = loaded.at(-1)?.time;
    const cut = tableRows(loaded, boundary);
    expect(cut).toHaveLength(1);
    const row = cut[0];
    if (row?.kind !== 'burst') throw new Error('expected a burst');
    expect(row.open).toBe(true);
    expect(burstSummary(row.events, row.open)).toMatch(
      /^Container worker of pay-1 restarted 100× or more \(older events not loaded\), OOMKilled/,
    );
    // Everything loaded: one closed burst of 300, the spec change after it.
    const whole = tableRows(all);
    expect(
      whole.map((r) => (r.kind === 'burst' ? `burst×${r.events.length}${r.open ? ' open' : ''}` : r.event.type)),
    ).toEqual(['burst×300', 'spec-change']);
    const closed = whole[0];
    if (closed?.kind !== 'burst') throw new Error('expected a burst');
    expect(burstSummary(closed.events, closed.open)).toMatch(/restarted 300×, OOMKilled/);
  });

  it('leaves a burst closed when the events not loaded are further back than a burst’s gap', () => {
    const t = 50_000_000;
    const burst = [restart(t), restart(t - 60_000)];
    // The oldest event loaded is long after the burst ended: anything older cannot belong to it.
    const loaded = [...burst, other(t - BURST_GAP_MS - 120_000)];
    const openness = (events: TimelineEvent[]): string[] =>
      tableRows(events, events.at(-1)?.time).map((r) =>
        r.kind === 'burst' ? `burst×${r.events.length}${r.open ? ' open' : ''}` : r.event.type,
      );
    expect(openness(loaded)).toEqual(['burst×2', 'spec-change']);
    // Within the gap of the boundary, it may go on.
    expect(openness([...burst, other(t - 120_000)])).toEqual(['burst×2 open', 'spec-change']);
  });
});
