// Pod phase bands: each pod-phase event starts a band that lasts until the
// next one, the pod's deletion or the end of the range. The agent's pod-phase
// event carries data {from, to, phase, ready, nodeName} where from/to are
// 'Pending' | 'Running/Ready' | 'Running/NotReady' | 'Succeeded' | 'Failed' | 'Unknown'.
import type { TimelineEvent } from '../api/types.js';

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

type LaneEvent = Pick<TimelineEvent, 'seq' | 'time' | 'type' | 'kind' | 'namespace' | 'name' | 'owner' | 'data'>;

const byName = new Intl.Collator('en', { numeric: true });

export const podKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * One lane per pod seen in pod-phase events, with its bands clipped to
 * [from, to]; lanes sorted by namespace and name. Events may come in any order.
 */
export function podLanes(events: readonly LaneEvent[], from: number, to: number): PodLane[] {
  const byPod = new Map<string, LaneEvent[]>();
  for (const e of events) {
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
      if (before) open = { start: Math.min(from, first.time), end: first.time, state: before };
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
