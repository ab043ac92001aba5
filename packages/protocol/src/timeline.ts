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
