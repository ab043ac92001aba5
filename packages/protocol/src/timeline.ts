// Timeline events: what changed, when, with the diff that matters. An event is
// a union keyed by `type`; each type has its typed `data` (timeline-data.ts).
import { z } from 'zod';
import { SEVERITIES, type TimelineEventType } from './timeline-types.js';
import { TIMELINE_DATA, type TimelineDataOf } from './timeline-data.js';

export { TIMELINE_EVENT_TYPES, SEVERITIES, type TimelineEventType, type Severity } from './timeline-types.js';
export * from './timeline-data.js';

const EventBase = z.object({
  /** Dedupe key, unique per cluster: a re-sent event is stored once. */
  id: z.string().min(1).max(512),
  time: z.number(),
  severity: z.enum(SEVERITIES),
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  /** The workload this event belongs to (a pod's Deployment…), for service timelines. */
  owner: z.object({ kind: z.string(), name: z.string() }).optional(),
  summary: z.string().max(4096),
});

const eventOf = <T extends TimelineEventType>(type: T) =>
  EventBase.extend({ type: z.literal(type), data: TIMELINE_DATA[type] });

export const TimelineEventInput = z.discriminatedUnion('type', [
  eventOf('created'),
  eventOf('deleted'),
  eventOf('spec-change'),
  eventOf('pod-phase'),
  eventOf('container-restart'),
  eventOf('k8s-event'),
  eventOf('node-condition'),
  eventOf('action'),
  eventOf('exec-interaction'),
  eventOf('shell'),
  eventOf('access'),
  eventOf('insight-opened'),
  eventOf('insight-resolved'),
]);
export type TimelineEventInput = z.infer<typeof TimelineEventInput>;

/** A stored event: the cluster it came from and its place in the hub's order. */
export type TimelineEvent = TimelineEventInput & { cluster: string; seq: number };

/** An event of one type, with that type's data. */
export type TimelineEventOf<T extends TimelineEventType> = Extract<TimelineEvent, { type: T }>;

/**
 * How many events a timeline view's range holds, by type (GET …/timeline/counts):
 * the console shows true counts when the range holds more events than it loads.
 */
export interface TimelineCounts {
  total: number;
  byType: Partial<Record<TimelineEventType, number>>;
}
/**
 * A view's range cut into equal time buckets, each with its events counted by
 * type (GET …/timeline/buckets): the chart's picture of a range holding more
 * events than the console loads. Buckets with no event are left out.
 */
export interface TimelineBuckets {
  from: number;
  to: number;
  /** Each bucket's length (ms); bucket i covers [from + i·width, from + (i+1)·width). */
  width: number;
  buckets: { start: number; total: number; byType: Partial<Record<TimelineEventType, number>> }[];
}
export type TimelineEventInputOf<T extends TimelineEventType> = Extract<TimelineEventInput, { type: T }>;

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
  data: TimelineDataOf<'deleted'> = {},
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
