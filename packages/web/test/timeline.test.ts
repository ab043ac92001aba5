import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../src/api/types.js';
import { aggregate, breakdown } from '../src/timeline/aggregate.js';
import { bandStateOf, podLanes, withLivePods } from '../src/timeline/bands.js';
import { changesOf, objectLabel } from '../src/timeline/details.js';
import { acceptsLive, latestPerCommand, matchesScope, mergeEvents } from '../src/timeline/filter.js';
import { markerLane, markerStyle } from '../src/timeline/markers.js';
import { DAY, HOUR, MINUTE, SECOND, tickStep, timeScale, timeTicks } from '../src/timeline/scale.js';

const T0 = Date.UTC(2025, 2, 10, 12, 0, 0); // 2025-03-10 12:00 UTC

let seq = 0;
/** An event with only the fields a case is about; the console reads `data` defensively, so partial data is fine here. */
type EventFixture = Partial<Pick<TimelineEvent, 'time' | 'severity' | 'kind' | 'namespace' | 'name' | 'owner'>> & {
  type: TimelineEvent['type'];
  data?: Record<string, unknown>;
};
function ev(p: EventFixture): TimelineEvent {
  seq++;
  return {
    cluster: 'c1',
    seq,
    id: `e${seq}`,
    time: T0,
    severity: 'info',
    kind: 'Pod',
    namespace: 'shop',
    name: 'web-1',
    summary: '',
    data: {},
    ...p,
  } as TimelineEvent;
}
const phase = (time: number, from: string | null, to: string, name = 'web-1') =>
  ev({
    type: 'pod-phase',
    time,
    name,
    owner: { kind: 'Deployment', name: 'web' },
    data: { from, to, phase: to.split('/')[0] ?? null, ready: to === 'Running/Ready', nodeName: null },
  });

describe('time scale', () => {
  it('maps times to pixels and back', () => {
    const s = timeScale(T0, T0 + HOUR, 100, 1100);
    expect(s.x(T0)).toBe(100);
    expect(s.x(T0 + HOUR / 2)).toBe(600);
    expect(s.x(T0 + HOUR)).toBe(1100);
    expect(s.t(350)).toBe(T0 + HOUR / 4);
  });

  it('picks a step that keeps the tick count under the maximum', () => {
    expect(tickStep(15 * MINUTE, 10)).toBe(2 * MINUTE);
    expect(tickStep(HOUR, 10)).toBe(10 * MINUTE);
    expect(tickStep(6 * HOUR, 10)).toBe(HOUR);
    expect(tickStep(DAY, 10)).toBe(3 * HOUR);
    expect(tickStep(7 * DAY, 10)).toBe(DAY);
    expect(tickStep(30 * SECOND, 10)).toBe(5 * SECOND);
  });

  it.each([
    ['15 min', 15 * MINUTE],
    ['1 h', HOUR],
    ['6 h', 6 * HOUR],
    ['24 h', DAY],
    ['7 d', 7 * DAY],
  ])('ticks for %s are round, inside the range, evenly spaced and few', (_label, span) => {
    const t0 = T0 + 7 * MINUTE + 13 * SECOND;
    const ticks = timeTicks(t0, t0 + span, 10, 0);
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(11);
    const step = tickStep(span, 10);
    for (const [i, t] of ticks.entries()) {
      expect(t.t).toBeGreaterThanOrEqual(t0);
      expect(t.t).toBeLessThanOrEqual(t0 + span);
      expect(t.t % step).toBe(0); // UTC (offset 0): multiples of the step
      if (i > 0) expect(t.t - (ticks[i - 1]?.t ?? 0)).toBe(step);
    }
  });

  it('labels ticks by resolution and marks midnight with the date', () => {
    expect(timeTicks(T0, T0 + HOUR, 10, 0).map((t) => t.label)).toEqual([
      '12:00',
      '12:10',
      '12:20',
      '12:30',
      '12:40',
      '12:50',
      '13:00',
    ]);
    expect(timeTicks(T0, T0 + 30 * SECOND, 10, 0)[1]?.label).toBe('12:00:05');
    const day = timeTicks(T0, T0 + DAY, 10, 0);
    const midnight = day.find((t) => t.major);
    expect(midnight).toMatchObject({ t: Date.UTC(2025, 2, 11), label: 'Mar 11' });
    expect(timeTicks(T0, T0 + 7 * DAY, 10, 0)[0]?.label).toBe('Mar 11');
  });

  it('aligns ticks to local time', () => {
    // UTC+5:30: local 17:30 at T0; hour ticks fall on local whole hours.
    const ticks = timeTicks(T0 + 1, T0 + 6 * HOUR, 10, 330);
    expect(ticks[0]?.label).toBe('18:00');
    expect(ticks[0]?.t).toBe(T0 + 30 * MINUTE);
  });

  it('has no ticks for an empty range', () => {
    expect(timeTicks(T0, T0, 10, 0)).toEqual([]);
  });
});

describe('dense markers aggregate', () => {
  const pts = (xs: number[]) => xs.map((x, i) => ({ x, item: i }));

  it('keeps markers single up to the threshold within the radius', () => {
    const marks = aggregate(pts([10, 12, 14]), { radius: 8, threshold: 3 });
    expect(marks.map((m) => m.kind)).toEqual(['single', 'single', 'single']);
  });

  it('draws one cluster with every item when more than the threshold fall within the radius', () => {
    const marks = aggregate(pts([10, 12, 14, 16, 100]), { radius: 8, threshold: 3 });
    expect(marks).toHaveLength(2);
    const [c, s] = marks;
    expect(c).toMatchObject({ kind: 'cluster', x0: 10, x1: 16, x: 13 });
    expect(c?.kind === 'cluster' ? c.items.sort() : []).toEqual([0, 1, 2, 3]);
    expect(s).toMatchObject({ kind: 'single', x: 100, item: 4 });
  });

  it('keeps sparse markers apart and sorts by x', () => {
    const marks = aggregate(pts([300, 10, 150]), { radius: 8, threshold: 1 });
    expect(marks.map((m) => m.x)).toEqual([10, 150, 300]);
    expect(marks.every((m) => m.kind === 'single')).toBe(true);
  });

  it('keeps cluster markers apart: neighbours closer than minGap join the cluster', () => {
    // Two dense runs 10 px apart would overlap: one cluster with all 8 items.
    const merged = aggregate(pts([0, 1, 2, 3, 10, 11, 12, 13]), { radius: 5, threshold: 3, minGap: 20 });
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ kind: 'cluster', x0: 0, x1: 13 });
    // A lone marker next to a cluster is absorbed; one far away is not.
    const near = aggregate(pts([0, 1, 2, 3, 15, 60]), { radius: 5, threshold: 3, minGap: 20 });
    expect(near.map((m) => (m.kind === 'cluster' ? m.items.length : 'single'))).toEqual([5, 'single']);
    // Singles close to each other stay single.
    expect(aggregate(pts([0, 6, 12]), { radius: 5, threshold: 3, minGap: 20 }).every((m) => m.kind === 'single')).toBe(
      true,
    );
  });

  it('bounds the number of marks for 5,000 events', () => {
    const xs = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1000);
    const marks = aggregate(pts(xs), { radius: 8, threshold: 3 });
    expect(marks.length).toBeLessThan(200);
    const total = marks.reduce((n, m) => n + (m.kind === 'cluster' ? m.items.length : 1), 0);
    expect(total).toBe(5000);
  });

  it('breaks a cluster down by type, largest first', () => {
    expect(breakdown(['k8s-event', 'action', 'k8s-event', 'shell', 'action', 'k8s-event'], (t) => t)).toEqual([
      { key: 'k8s-event', count: 3 },
      { key: 'action', count: 2 },
      { key: 'shell', count: 1 },
    ]);
  });
});

describe('pod phase bands', () => {
  const from = T0;
  const to = T0 + HOUR;

  it('derives the state from data.to, else phase and ready', () => {
    expect(bandStateOf({ to: 'Running/Ready' })).toBe('ready');
    expect(bandStateOf({ to: 'Running/NotReady' })).toBe('notready');
    expect(bandStateOf({ to: 'Pending' })).toBe('pending');
    expect(bandStateOf({ to: 'Failed' })).toBe('failed');
    expect(bandStateOf({ to: 'Succeeded' })).toBe('succeeded');
    expect(bandStateOf({ phase: 'Running', ready: true })).toBe('ready');
    expect(bandStateOf({ phase: 'Running', ready: false })).toBe('notready');
    expect(bandStateOf({ to: 'Unknown' })).toBe('unknown');
    expect(bandStateOf({})).toBe('unknown');
  });

  it('turns a sequence of phase events into consecutive bands up to the end of the range', () => {
    const a = phase(T0 + 5 * MINUTE, null, 'Pending');
    const b = phase(T0 + 6 * MINUTE, 'Pending', 'Running/NotReady');
    const c = phase(T0 + 7 * MINUTE, 'Running/NotReady', 'Running/Ready');
    const d = phase(T0 + 30 * MINUTE, 'Running/Ready', 'Running/NotReady');
    const lanes = podLanes([d, b, a, c], from, to); // any order
    expect(lanes).toHaveLength(1);
    expect(lanes[0]).toMatchObject({ namespace: 'shop', name: 'web-1', owner: { kind: 'Deployment', name: 'web' } });
    expect(lanes[0]?.bands).toEqual([
      { start: T0 + 5 * MINUTE, end: T0 + 6 * MINUTE, state: 'pending', seq: a.seq },
      { start: T0 + 6 * MINUTE, end: T0 + 7 * MINUTE, state: 'notready', seq: b.seq },
      { start: T0 + 7 * MINUTE, end: T0 + 30 * MINUTE, state: 'ready', seq: c.seq },
      { start: T0 + 30 * MINUTE, end: to, state: 'notready', seq: d.seq },
    ]);
  });

  it('fills the start of the range with the state the first event left', () => {
    const e = phase(T0 + 20 * MINUTE, 'Running/Ready', 'Failed');
    const [lane] = podLanes([e], from, to);
    expect(lane?.bands).toEqual([
      { start: from, end: T0 + 20 * MINUTE, state: 'ready' },
      { start: T0 + 20 * MINUTE, end: to, state: 'failed', seq: e.seq },
    ]);
  });

  it('ends the lane at the pod deletion and clips bands to the range', () => {
    const a = phase(T0 - 10 * MINUTE, null, 'Running/Ready'); // before the range
    const del = ev({ type: 'deleted', time: T0 + 10 * MINUTE, data: {} });
    const [lane] = podLanes([a, del], from, to);
    expect(lane?.bands).toEqual([{ start: from, end: T0 + 10 * MINUTE, state: 'ready', seq: a.seq }]);
    expect(lane?.deletedAt).toBe(T0 + 10 * MINUTE);
  });

  it('one lane per pod, sorted; other kinds and types make no lane', () => {
    const lanes = podLanes(
      [
        phase(T0 + MINUTE, null, 'Pending', 'web-b'),
        phase(T0 + MINUTE, null, 'Pending', 'web-a'),
        ev({ type: 'container-restart', name: 'web-c' }),
        ev({ type: 'pod-phase', kind: 'Deployment', name: 'web', data: { to: 'Pending' } }),
        ev({ type: 'deleted', name: 'web-d' }),
      ],
      from,
      to,
    );
    expect(lanes.map((l) => l.name)).toEqual(['web-a', 'web-b']);
    const numbered = podLanes(
      ['web-10', 'web-2', 'web-1'].map((n) => phase(T0 + MINUTE, null, 'Pending', n)),
      from,
      to,
    );
    expect(numbered.map((l) => l.name)).toEqual(['web-1', 'web-2', 'web-10']);
  });
});

describe('live event filter', () => {
  const podOfWeb = ev({
    type: 'pod-phase',
    kind: 'Pod',
    namespace: 'shop',
    name: 'web-1',
    owner: { kind: 'Deployment', name: 'web' },
  });
  const webDeploy = ev({ type: 'spec-change', kind: 'Deployment', namespace: 'shop', name: 'web' });
  const otherPod = ev({
    type: 'pod-phase',
    kind: 'Pod',
    namespace: 'shop',
    name: 'api-1',
    owner: { kind: 'Deployment', name: 'api' },
  });
  const sameNameOtherNs = ev({ type: 'spec-change', kind: 'Deployment', namespace: 'dev', name: 'web' });
  const statefulWeb = ev({ type: 'spec-change', kind: 'StatefulSet', namespace: 'shop', name: 'web' });
  const node = ev({ type: 'node-condition', kind: 'Node', namespace: '', name: 'n1' });

  it('a workload includes its own events and those of the objects it owns', () => {
    const scope = { namespace: 'shop', kind: 'Deployment', name: 'web' };
    expect(matchesScope(webDeploy, scope)).toBe(true);
    expect(matchesScope(podOfWeb, scope)).toBe(true);
    expect(matchesScope(otherPod, scope)).toBe(false);
    expect(matchesScope(sameNameOtherNs, scope)).toBe(false);
    expect(matchesScope(statefulWeb, scope)).toBe(false);
    expect(matchesScope(node, scope)).toBe(false);
  });

  it('a namespace includes everything in it and nothing else', () => {
    const scope = { namespace: 'shop' };
    expect([podOfWeb, webDeploy, otherPod, statefulWeb].every((e) => matchesScope(e, scope))).toBe(true);
    expect(matchesScope(sameNameOtherNs, scope)).toBe(false);
    expect(matchesScope(node, scope)).toBe(false);
  });

  it('a cluster includes everything', () => {
    expect([podOfWeb, webDeploy, otherPod, sameNameOtherNs, node].every((e) => matchesScope(e, {}))).toBe(true);
  });

  it('kind or name alone match the object itself', () => {
    expect(matchesScope(podOfWeb, { kind: 'Deployment' })).toBe(false);
    expect(matchesScope(webDeploy, { kind: 'Deployment' })).toBe(true);
    expect(matchesScope(sameNameOtherNs, { name: 'web' })).toBe(true);
  });

  it('accepts live events only within the time range', () => {
    const scope = { namespace: 'shop' };
    expect(acceptsLive({ ...webDeploy, time: T0 }, scope, T0 - HOUR)).toBe(true);
    expect(acceptsLive({ ...webDeploy, time: T0 - 2 * HOUR }, scope, T0 - HOUR)).toBe(false);
    expect(acceptsLive({ ...webDeploy, time: T0 + MINUTE }, scope, T0 - HOUR, T0)).toBe(false);
  });

  it('merges fetched and live events newest first, once each, within the range', () => {
    const a = ev({ type: 'k8s-event', time: T0 - 3 * MINUTE });
    const b = ev({ type: 'k8s-event', time: T0 - MINUTE });
    const c = ev({ type: 'k8s-event', time: T0 });
    const old = ev({ type: 'k8s-event', time: T0 - 2 * HOUR });
    const merged = mergeEvents([b, a, old], [c, b], T0 - HOUR);
    expect(merged.map((e) => e.seq)).toEqual([c.seq, b.seq, a.seq]);
  });
});

describe('markers and details', () => {
  it('puts each type on its lane; pod phases are bands', () => {
    expect(markerLane({ type: 'spec-change' })).toBe('changes');
    expect(markerLane({ type: 'container-restart' })).toBe('restarts');
    expect(markerLane({ type: 'action' })).toBe('actions');
    expect(markerLane({ type: 'shell' })).toBe('exec');
    expect(markerLane({ type: 'exec-interaction' })).toBe('exec');
    expect(markerLane({ type: 'k8s-event' })).toBe('events');
    expect(markerLane({ type: 'pod-phase' })).toBeUndefined();
  });

  it('colours k8s events by severity and actions by state', () => {
    expect(markerStyle(ev({ type: 'k8s-event', severity: 'warning' })).cls).toBe('sev-warning');
    expect(markerStyle(ev({ type: 'action', data: { state: 'failed' } })).cls).toBe('sev-error');
    expect(markerStyle(ev({ type: 'action', data: { state: 'succeeded' } })).cls).toBe('ok');
    expect(markerStyle(ev({ type: 'created', kind: 'ConfigMap' })).cls).toBe('config');
    expect(markerStyle(ev({ type: 'spec-change' })).shape).toBe('diamond');
  });

  it('reads spec-change diffs, skipping malformed entries', () => {
    const data = {
      changes: [
        { path: 'template.containers[app].image', from: 'web:1.0', to: 'web:2.0' },
        { nope: 1 },
        'x',
        { path: 'replicas', to: 3 },
      ],
    };
    expect(changesOf(data)).toEqual([
      { path: 'template.containers[app].image', from: 'web:1.0', to: 'web:2.0' },
      { path: 'replicas', to: 3 },
    ]);
    expect(changesOf({})).toEqual([]);
  });

  it('labels objects with or without namespace', () => {
    expect(objectLabel({ kind: 'Pod', namespace: 'shop', name: 'web-1' })).toBe('Pod shop/web-1');
    expect(objectLabel({ kind: 'Pod', namespace: 'shop', name: 'web-1' }, true)).toBe('Pod web-1');
    expect(objectLabel({ kind: 'Node', namespace: '', name: 'n1' })).toBe('Node n1');
  });
});

describe('pod lanes start when the pod did', () => {
  const phase = (seq: number, time: number, from: string, to: string) => ({
    seq,
    time,
    type: 'pod-phase' as const,
    kind: 'Pod',
    namespace: 'ns',
    name: 'p',
    data: { from, to, phase: null, ready: null, nodeName: null },
  });
  it('uses the created event, then the inventory creation time, else the range start', () => {
    const events = [phase(2, 5_000, 'Running/Ready', 'Running/NotReady')];
    // No creation known: the earlier state is drawn from the start of the range.
    expect(podLanes(events, 0, 10_000)[0]?.bands[0]).toMatchObject({ start: 0, end: 5_000, state: 'ready' });
    // Created 1 s before the change (inventory): the lane starts there.
    expect(podLanes(events, 0, 10_000, () => 4_000)[0]?.bands[0]).toMatchObject({
      start: 4_000,
      end: 5_000,
      state: 'ready',
    });
    // A created event wins over the inventory.
    const created = {
      seq: 1,
      time: 3_000,
      type: 'created' as const,
      kind: 'Pod',
      namespace: 'ns',
      name: 'p',
      data: { images: null },
    };
    expect(podLanes([created, ...events], 0, 10_000, () => 4_000)[0]?.bands[0]).toMatchObject({
      start: 3_000,
      end: 5_000,
    });
  });
});

describe('pods without phase changes in the range', () => {
  it('get one band in their current state from their creation (or the range start)', () => {
    const lanes = withLivePods(
      [],
      [
        { namespace: 'ns', name: 'old', createdAt: -50_000, phase: 'Running', ready: false },
        { namespace: 'ns', name: 'young', createdAt: 6_000, phase: 'Pending', ready: false },
        { namespace: 'ns', name: 'future', createdAt: 20_000, phase: 'Running', ready: true },
      ],
      0,
      10_000,
    );
    expect(lanes.map((l) => [l.name, l.bands[0]?.start, l.bands[0]?.end, l.bands[0]?.state])).toEqual([
      ['old', 0, 10_000, 'notready'],
      ['young', 6_000, 10_000, 'pending'],
    ]);
  });
  it('leave pods that already have a lane alone', () => {
    const events = [
      {
        seq: 1,
        time: 5_000,
        type: 'pod-phase' as const,
        kind: 'Pod',
        namespace: 'ns',
        name: 'p',
        data: { from: 'Pending', to: 'Running/Ready', phase: null, ready: null, nodeName: null },
      },
    ];
    const lanes = withLivePods(
      podLanes(events, 0, 10_000),
      [{ namespace: 'ns', name: 'p', createdAt: 0, phase: 'Running', ready: true }],
      0,
      10_000,
    );
    expect(lanes).toHaveLength(1);
    expect(lanes[0]?.bands.map((b) => b.state)).toEqual(['pending', 'ready']);
  });
});

describe('commands on the timeline', () => {
  it('show once, in their newest state', () => {
    const ev = (seq: number, type: string, data: Record<string, unknown>) => ({ seq, type, data });
    const events = [
      ev(9, 'action', { commandId: 'a', state: 'succeeded' }),
      ev(8, 'spec-change', {}),
      ev(7, 'action', { commandId: 'a', state: 'running' }),
      ev(6, 'action', { commandId: 'b', state: 'failed' }),
      ev(5, 'action', { commandId: 'a', state: 'pending' }),
      ev(4, 'action', { state: 'odd: no command id' }),
    ];
    expect(latestPerCommand(events).map((e) => e.seq)).toEqual([9, 8, 6, 4]);
  });
});
