// Timeline event types and severities, zod-free so the console can import them at runtime.
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
  'access', // a just-in-time access request, its decision and its end (hub-owned)
  'insight-opened', // a health insight opened (the hub, from the agent's checks)
  'insight-resolved', // … and resolved
] as const;
export type TimelineEventType = (typeof TIMELINE_EVENT_TYPES)[number];

export const SEVERITIES = ['info', 'warning', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];
