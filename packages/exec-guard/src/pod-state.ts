// What exec guard knows about a pod, read back from its labels and annotations:
// the evictor re-arms timers from this after a restart and `kubectl pi` prints it.
import { formatDuration, parseDuration } from '@wheelhouse/protocol';
import {
  EXTENSION_ANNOTATION,
  EXTENSION_REQUESTER_ANNOTATION,
  EXTENSION_REQUEST_ANNOTATION,
  INTERACTION_ID_ANNOTATION,
  INTERACTION_TIMESTAMP_LABEL,
  INTERACTOR_ANNOTATION,
  INTERACTOR_LABEL,
  TERMINATION_TIME_ANNOTATION,
  TTL_LABEL,
} from './labels.js';

export interface PodMeta {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

export interface InteractionState {
  /** First interaction, ms since the epoch. */
  interactedAt: number;
  interactor: string;
  ttlMs: number;
  ttl: string;
  /** When the pod is due for eviction, ms since the epoch. */
  terminationAt: number;
  extension?: string;
  extensionRequester?: string;
  pendingExtension?: string;
  interactionId?: string;
}

/** The pod's interaction state, or undefined when it was never interacted with (or its timestamp label is unreadable). */
export function interactionState(pod: PodMeta, defaultTtlMs = 600_000): InteractionState | undefined {
  const labels = pod.metadata?.labels ?? {};
  const annotations = pod.metadata?.annotations ?? {};
  const ts = labels[INTERACTION_TIMESTAMP_LABEL];
  if (ts === undefined || !/^\d{1,12}$/.test(ts)) return undefined;
  const interactedAt = Number(ts) * 1000;
  let ttlMs = defaultTtlMs;
  const ttlLabel = labels[TTL_LABEL];
  if (ttlLabel !== undefined) {
    try {
      ttlMs = parseDuration(ttlLabel);
    } catch {
      ttlMs = defaultTtlMs;
    }
  }
  let terminationAt = interactedAt + ttlMs;
  const annotated = annotations[TERMINATION_TIME_ANNOTATION];
  if (annotated !== undefined) {
    const t = Date.parse(annotated);
    if (Number.isFinite(t)) terminationAt = t;
  }
  const state: InteractionState = {
    interactedAt,
    interactor: annotations[INTERACTOR_ANNOTATION] ?? labels[INTERACTOR_LABEL] ?? 'unknown',
    ttlMs,
    ttl: ttlLabel ?? formatDuration(ttlMs),
    terminationAt,
  };
  const ext = annotations[EXTENSION_ANNOTATION];
  if (ext !== undefined) state.extension = ext;
  const requester = annotations[EXTENSION_REQUESTER_ANNOTATION];
  if (requester !== undefined) state.extensionRequester = requester;
  const pending = annotations[EXTENSION_REQUEST_ANNOTATION];
  if (pending !== undefined) state.pendingExtension = pending;
  const id = annotations[INTERACTION_ID_ANNOTATION];
  if (id !== undefined) state.interactionId = id;
  return state;
}

/** RFC 3339 in UTC with seconds precision, the way Kubernetes prints times. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** "in about 1m59s": the rounded-down whole seconds until a time (never negative). */
export function aboutUntil(targetMs: number, nowMs = Date.now()): string {
  const s = Math.max(0, Math.floor((targetMs - nowMs) / 1000));
  return formatDuration(s * 1000);
}
