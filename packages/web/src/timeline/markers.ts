// How each event type shows on the chart: which marker lane, which shape and colour.
import type { TimelineEvent, TimelineEventPick } from '../api/types.js';

export type MarkerLane = 'changes' | 'restarts' | 'actions' | 'exec' | 'events';

export const MARKER_LANES: readonly { id: MarkerLane; label: string }[] = [
  { id: 'changes', label: 'Deploys & config' },
  { id: 'restarts', label: 'Restarts' },
  { id: 'actions', label: 'Actions' },
  { id: 'exec', label: 'Exec & shell' },
  { id: 'events', label: 'Kubernetes events' },
];

const CONFIG_KINDS = new Set(['ConfigMap', 'Secret']);

/** The marker lane of an event; undefined for pod-phase (drawn as bands). */
export function markerLane(e: Pick<TimelineEvent, 'type'>): MarkerLane | undefined {
  switch (e.type) {
    case 'spec-change':
    case 'created':
    case 'deleted':
      return 'changes';
    case 'container-restart':
      return 'restarts';
    case 'action':
      return 'actions';
    case 'exec-interaction':
    case 'shell':
      return 'exec';
    case 'k8s-event':
    case 'node-condition':
    case 'insight-opened':
    case 'insight-resolved':
      return 'events';
    default:
      return undefined;
  }
}

export type MarkerShape = 'diamond' | 'square' | 'circle' | 'triangle';

/** Shape and CSS classes (colour) of a single marker. */
export function markerStyle(e: TimelineEventPick<'type' | 'kind' | 'severity' | 'data'>): {
  shape: MarkerShape;
  cls: string;
} {
  const sev = `sev-${e.severity}`;
  switch (e.type) {
    case 'spec-change':
      return { shape: 'diamond', cls: e.severity === 'info' ? 'deploy' : sev };
    case 'created':
    case 'deleted':
      return { shape: 'square', cls: CONFIG_KINDS.has(e.kind) ? 'config' : 'lifecycle' };
    case 'action': {
      const state = 'state' in e.data ? e.data.state : undefined;
      const cls =
        state === 'succeeded'
          ? 'ok'
          : state === 'failed' || state === 'rejected' || state === 'expired'
            ? 'sev-error'
            : 'sev-info';
      return { shape: 'square', cls };
    }
    case 'exec-interaction':
    case 'shell':
      return { shape: 'triangle', cls: sev };
    default:
      return { shape: 'circle', cls: sev };
  }
}
