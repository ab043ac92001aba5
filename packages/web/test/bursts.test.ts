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
});
