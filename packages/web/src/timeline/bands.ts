// Pod phase bands: each pod-phase event starts a band that lasts until the
// next one, the pod's deletion or the end of the range. The agent's pod-phase
// event carries data {from, to, phase, ready, nodeName} where from/to are
// 'Pending' | 'Running/Ready' | 'Running/NotReady' | 'Succeeded' | 'Failed' | 'Unknown'.
import type { TimelineEventPick } from '../api/types.js';

export type BandState = 'pending' | 'ready' | 'notready' | 'failed' | 'succeeded' | 'unknown';

export const BAND_LABELS: Record<BandState, string> = {
  pending: 'Pending',
  ready: 'Running, ready',
  notready: 'Running, not ready',
  failed: 'Failed',
  succeeded: 'Succeeded',
  unknown: 'Unknown',
};

/** The band state of an agent pod state string ('Running/Ready'…). */
export function stateOf(s: unknown): BandState | undefined {
  if (typeof s !== 'string' || s === '') return undefined;
  switch (s) {
    case 'Pending':
      return 'pending';
    case 'Running/Ready':
      return 'ready';
    case 'Running/NotReady':
    case 'Running':
      return 'notready';
    case 'Failed':
      return 'failed';
    case 'Succeeded':
      return 'succeeded';
    default:
      return 'unknown';
  }
}

/** The state a pod-phase event moves to: data.to, else data.phase + data.ready. */
export function bandStateOf(data: Record<string, unknown>): BandState {
  const to = stateOf(data.to);
  if (to) return to;
  if (data.phase === 'Running') return data.ready === true ? 'ready' : 'notready';
  return stateOf(data.phase) ?? 'unknown';
}

export interface Band {
  start: number;
  end: number;
  state: BandState;
  /** seq of the pod-phase event that started the band (none for the state before the first event). */
  seq?: number;
}

export interface PodLane {
  key: string;
  namespace: string;
  name: string;
  owner?: { kind: string; name: string };
  bands: Band[];
  /** When the pod was deleted, if within the range. */
  deletedAt?: number;
}

type LaneEvent = TimelineEventPick<'seq' | 'time' | 'type' | 'kind' | 'namespace' | 'name' | 'owner' | 'data'>;

const byName = new Intl.Collator('en', { numeric: true });

export const podKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * One lane per pod seen in pod-phase events, with its bands clipped to
 * [from, to]; lanes sorted by namespace and name. Events may come in any order.
 * A lane starts when its pod was created (its `created` event, or `createdAt`
 * from the inventory), never earlier: a pod seconds old must not look as if
 * it had been running for the whole range.
 */
export function podLanes(
  events: readonly LaneEvent[],
  from: number,
  to: number,
  createdAt?: (namespace: string, name: string) => number | undefined,
): PodLane[] {
  const byPod = new Map<string, LaneEvent[]>();
  const born = new Map<string, number>();
  for (const e of events) {
    if (e.kind === 'Pod' && e.type === 'created') born.set(podKey(e.namespace, e.name), e.time);
    if (e.kind !== 'Pod' || (e.type !== 'pod-phase' && e.type !== 'deleted')) continue;
    const k = podKey(e.namespace, e.name);
    let list = byPod.get(k);
    if (!list) byPod.set(k, (list = []));
    list.push(e);
  }
  const lanes: PodLane[] = [];
  for (const [key, list] of byPod) {
    if (!list.some((e) => e.type === 'pod-phase')) continue;
    list.sort((a, b) => a.time - b.time || a.seq - b.seq);
    const first = list[0];
    if (!first) continue;
    const bands: Band[] = [];
    let open: Band | undefined;
    let deletedAt: number | undefined;
    const close = (at: number) => {
      if (open) {
        open.end = at;
        bands.push(open);
        open = undefined;
      }
    };
    // The state before the first event, as that event reports it.
    if (first.type === 'pod-phase') {
      const before = stateOf(first.data.from);
      const bornAt = born.get(key) ?? createdAt?.(first.namespace, first.name);
      const start = bornAt === undefined ? Math.min(from, first.time) : Math.min(bornAt, first.time);
      if (before) open = { start, end: first.time, state: before };
    }
    let owner = first.owner;
    for (const e of list) {
      owner ??= e.owner;
      close(e.time);
      if (e.type === 'deleted') {
        deletedAt = e.time;
        continue;
      }
      deletedAt = undefined;
      open = { start: e.time, end: e.time, state: bandStateOf(e.data), seq: e.seq };
    }
    close(Math.max(to, open?.start ?? to));
    const clipped: Band[] = [];
    for (const b of bands) {
      const start = Math.max(b.start, from);
      const end = Math.min(b.end, to);
      if (end > start) clipped.push({ ...b, start, end });
    }
    const lane: PodLane = { key, namespace: first.namespace, name: first.name, bands: clipped };
    if (owner) lane.owner = owner;
    if (deletedAt !== undefined) lane.deletedAt = deletedAt;
    lanes.push(lane);
  }
  return lanes.sort((a, b) => byName.compare(a.namespace, b.namespace) || byName.compare(a.name, b.name));
}

/** A pod as the inventory holds it, enough to draw its current state. */
export interface LivePod {
  namespace: string;
  name: string;
  createdAt: number;
  phase: string | undefined;
  ready: boolean;
}

export function livePodState(p: LivePod): BandState {
  if (p.phase === 'Running') return p.ready ? 'ready' : 'notready';
  return stateOf(p.phase) ?? 'unknown';
}

/**
 * Lanes for the pods that exist now but had no phase change in the range (a
 * pod running steadily, or crash-looping while staying Running): one band in
 * their current state from their creation (or the range start) to the end.
 */
export function withLivePods(lanes: readonly PodLane[], pods: readonly LivePod[], from: number, to: number): PodLane[] {
  const have = new Set(lanes.map((l) => l.key));
  const added: PodLane[] = [];
  for (const p of pods) {
    const key = podKey(p.namespace, p.name);
    if (have.has(key)) continue;
    const start = Math.max(from, p.createdAt);
    if (start >= to) continue;
    added.push({ key, namespace: p.namespace, name: p.name, bands: [{ start, end: to, state: livePodState(p) }] });
  }
  if (added.length === 0) return [...lanes];
  return [...lanes, ...added].sort(
    (a, b) => byName.compare(a.namespace, b.namespace) || byName.compare(a.name, b.name),
  );
}
