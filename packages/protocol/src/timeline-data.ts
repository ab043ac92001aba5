// The `data` of each timeline event type: what the agent (inventory changes,
// Kubernetes Events, exec guard), the hub (commands, shells) and the agent's
// drain steps put there. One schema per type; the console reads them typed.
import { z } from 'zod';
import { JsonValue } from './json.js';

export const FieldChange = z.object({
  path: z.string(),
  from: JsonValue.optional(),
  to: JsonValue.optional(),
});
export type FieldChange = z.infer<typeof FieldChange>;

export const CreatedData = z.object({ images: z.array(z.string()).nullable() });
export const DeletedData = z.object({
  /** Set by the hub for a deletion it found missing from a snapshot after the agent was away. */
  noticedOnResync: z.boolean().optional(),
});
export const SpecChangeData = z.object({ changes: z.array(FieldChange), revision: z.string().nullable() });
export const PodPhaseData = z.object({
  /** "Pending", "Running/Ready", "Running/NotReady", "Succeeded", "Failed"; null for a new pod. */
  from: z.string().nullable(),
  to: z.string(),
  phase: z.string().nullable(),
  ready: z.boolean().nullable(),
  nodeName: z.string().nullable(),
});
export const ContainerRestartData = z.object({
  container: z.string(),
  restartCount: z.number(),
  reason: z.string(),
  exitCode: z.number().nullable(),
  terminationReason: z.string().nullable(),
});
export const K8sEventData = z.object({
  reason: z.string(),
  message: z.string(),
  count: z.number(),
  source: z.string().nullable(),
  /** Normal | Warning */
  eventType: z.string(),
});
export const NodeConditionData = z.object({ condition: z.string(), from: z.string().nullable(), to: z.string() });

/** A command's state change (the hub), or one step of a drain (the agent). */
export const ActionData = z.union([
  z.object({
    commandId: z.string(),
    action: z.string(),
    state: z.string(),
    requestedBy: z.string(),
    reason: z.string().nullable(),
    message: z.string().nullable(),
  }),
  z.object({
    commandId: z.string(),
    action: z.literal('drain'),
    node: z.string(),
    step: z.enum(['blocked', 'evicted']),
  }),
]);

export const ExecInteractionData = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('interaction'),
    /** The Kubernetes username, or "alice via Wheelhouse (agent …)" for a shell the agent opened for alice. */
    user: z.string(),
    /** The person behind a Wheelhouse shell (the agent's on-behalf-of extra). */
    onBehalfOf: z.string().optional(),
    operation: z.string(),
    container: z.string().nullable(),
    command: z.array(z.string()).nullable(),
    /** kubectl debug: the debug container's image and the container it targets. */
    image: z.string().nullable().optional(),
    targetContainer: z.string().nullable().optional(),
    first: z.boolean(),
    terminationTime: z.string().nullable(),
  }),
  z.object({
    event: z.literal('extension'),
    requester: z.string(),
    duration: z.string(),
    previousTerminationTime: z.string().nullable(),
    terminationTime: z.string(),
  }),
  z.object({
    event: z.literal('eviction'),
    interactor: z.string(),
    interactedAt: z.string(),
    terminationTime: z.string(),
  }),
  z.object({ event: z.literal('evictionBlocked'), message: z.string(), retryInMs: z.number() }),
]);

export const ShellData = z.discriminatedUnion('phase', [
  z.object({
    phase: z.literal('start'),
    sessionId: z.string(),
    user: z.string(),
    container: z.string(),
    command: z.array(z.string()),
    clientAddress: z.string(),
  }),
  z.object({
    phase: z.literal('end'),
    sessionId: z.string(),
    user: z.string(),
    container: z.string(),
    reason: z.string(),
    durationMs: z.number(),
    exitCode: z.number().nullable(),
  }),
  z.object({ phase: z.literal('denied'), user: z.string(), reason: z.literal('denied'), message: z.string() }),
  z.object({
    phase: z.literal('reattach'),
    sessionId: z.string(),
    user: z.string(),
    container: z.string(),
    detachedMs: z.number(),
  }),
]);

/** A just-in-time access step (the hub writes these; agents may not). */
export const AccessData = z.object({
  phase: z.enum(['requested', 'approved', 'denied', 'expired', 'lapsed']),
  requestId: z.string(),
  requester: z.string(),
  role: z.string(),
  durationMs: z.number(),
  reason: z.string(),
  by: z.string().optional(),
  comment: z.string().optional(),
  expiresAt: z.number().optional(),
  shellsEnded: z.number().optional(),
});

/** A health insight opening or resolving (protocol/src/insights.ts). */
export const InsightEventData = z.object({
  insightId: z.string(),
  check: z.string(),
  title: z.string(),
  fix: z.string().nullable(),
});

/** The data schema of each timeline event type. */
export const TIMELINE_DATA = {
  created: CreatedData,
  deleted: DeletedData,
  'spec-change': SpecChangeData,
  'pod-phase': PodPhaseData,
  'container-restart': ContainerRestartData,
  'k8s-event': K8sEventData,
  'node-condition': NodeConditionData,
  action: ActionData,
  'exec-interaction': ExecInteractionData,
  shell: ShellData,
  access: AccessData,
  'insight-opened': InsightEventData,
  'insight-resolved': InsightEventData,
} as const;

export type TimelineDataOf<T extends keyof typeof TIMELINE_DATA> = z.infer<(typeof TIMELINE_DATA)[T]>;
