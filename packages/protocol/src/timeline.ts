// Timeline events: what changed, when, with the diff that matters.
import { z } from 'zod';
import { JsonObject } from './json.js';

export const TIMELINE_EVENT_TYPES = [
  'created', // a watched object appeared
  'deleted',
  'spec-change', // a workload's meaningful fields changed (diff attached)
  'pod-phase', // a pod moved between phases / readiness
  'container-restart', // restarts with reason and exit code
  'k8s-event', // a Kubernetes Event (deduplicated by count)
  'node-condition', // a node condition changed
  'action', // a Wheelhouse action and its status changes
  'exec-interaction', // exec guard
  'shell', // a Wheelhouse pod shell session
] as const;
export type TimelineEventType = (typeof TIMELINE_EVENT_TYPES)[number];

export const SEVERITIES = ['info', 'warning', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FieldChange = z.object({
  path: z.string(),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
});
export type FieldChange = z.infer<typeof FieldChange>;

export const TimelineEventInput = z.object({
  /** Dedupe key, unique per cluster: a re-sent event is stored once. */
  id: z.string().min(1).max(512),
  time: z.number(),
  type: z.enum(TIMELINE_EVENT_TYPES),
  severity: z.enum(SEVERITIES),
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  /** The workload this event belongs to (a pod's Deployment…), for service timelines. */
  owner: z.object({ kind: z.string(), name: z.string() }).optional(),
  summary: z.string().max(4096),
  data: JsonObject,
});
export type TimelineEventInput = z.infer<typeof TimelineEventInput>;

export const TimelineEvent = TimelineEventInput.extend({ cluster: z.string(), seq: z.number() });
export type TimelineEvent = z.infer<typeof TimelineEvent>;

/** Kinds whose creation and deletion are timeline events (Pods have phase events, and deletion too). */
export const LIFECYCLE_EVENT_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Service',
  'Ingress',
  'ConfigMap',
  'PersistentVolumeClaim',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'Node',
  'Namespace',
]);

export function hasDeletionEvent(kind: string): boolean {
  return LIFECYCLE_EVENT_KINDS.has(kind) || kind === 'Pod';
}

/**
 * The one shape of a deletion on the timeline. The id is derived from the uid,
 * so the agent (which saw the watch event) and the hub (which found the object
 * missing from a snapshot after the agent was away) store it once between them.
 */
export function deletedEvent(
  item: { kind: string; namespace: string; name: string; uid: string },
  time: number,
  owner: { kind: string; name: string } | undefined,
  data: JsonObject = {},
): TimelineEventInput {
  return {
    id: `deleted:${item.uid}`,
    time,
    type: 'deleted',
    severity: 'info',
    kind: item.kind,
    namespace: item.namespace,
    name: item.name,
    ...(owner ? { owner } : {}),
    summary: `${item.kind} ${item.name} deleted`,
    data,
  };
}
