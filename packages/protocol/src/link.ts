// The agent link: one WebSocket the agent opens to the hub
// (GET /api/v1/agent/connect, Authorization: Bearer <cluster token>).
// Every frame is one JSON message, validated on arrival at both ends.
import { z } from 'zod';
import { CommandEnvelope } from './commands.js';
import { InsightInput } from './insights.js';
import { InventoryItem } from './inventory.js';
import { UsageMessage } from './usage.js';
import { JsonObject } from './json.js';
import { RESOURCE_KINDS, type ResourceKind } from './kinds.js';
import { LogsAgentMessage, LogsHubMessage } from './logs.js';
import { ObjectGetMessage, ObjectResultMessage } from './objects.js';
import { PortForwardAgentMessage, PortForwardHubMessage } from './port-forward.js';
import { ShellAgentMessage, ShellHubMessage } from './shell.js';
import { TimelineEventInput } from './timeline.js';

export const LINK_PROTOCOL_VERSION = 1;
export const AGENT_CONNECT_PATH = '/api/v1/agent/connect';
/** Inventory snapshots are sent in chunks of at most this many items. */
export const SNAPSHOT_CHUNK = 1000;
/**
 * The largest agent link frame either end accepts (larger: closed with 1009
 * before it is buffered). Sized to what the messages need: an object.result
 * carries one object — Kubernetes stores at most ~1.5 MiB — as JSON and as
 * YAML; every batch (snapshot chunk, changes, timeline) is split at
 * LINK_BATCH_BYTES; shell and log chunks are 64 KiB.
 */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** The agent splits snapshot chunks and change and timeline batches at this many bytes of JSON (and by count). */
export const LINK_BATCH_BYTES = 2 * 1024 * 1024;

export const Capabilities = z.object({
  basic: z.boolean(),
  advanced: z.boolean(),
  podExec: z.boolean(),
  /**
   * Node shells (a privileged pod on a node; agent --tiers …,nodeShell, chart actions.nodeShell): their own
   * opt-in, apart from podExec. Absent (an older agent) is off.
   */
  nodeShell: z.boolean().optional(),
  /** Where this agent creates node-shell pods (the hub records sessions under it); absent: the default. */
  nodeShellNamespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/)
    .optional(),
});
export type Capabilities = z.infer<typeof Capabilities>;

// ---- agent → hub
export const HelloMessage = z.object({
  type: z.literal('hello'),
  protocol: z.literal(LINK_PROTOCOL_VERSION),
  agentVersion: z.string(),
  kubernetesVersion: z.string(),
  capabilities: Capabilities,
  /** Per action id: the RBAC rules the agent found missing at start. */
  missingPermissions: z.record(z.string(), z.array(z.string())).default({}),
});

/** A kind the inventory holds: anything else (an invented kind, Secret) is refused at the link. */
export const InventoryKind = z.enum(Object.keys(RESOURCE_KINDS) as [ResourceKind, ...ResourceKind[]]);

export const SnapshotMessage = z
  .object({
    type: z.literal('inventory.snapshot'),
    kind: InventoryKind,
    /** Chunks of one snapshot share this id; the last one has last=true. */
    snapshotId: z.string().min(1).max(128),
    items: z.array(InventoryItem),
    last: z.boolean(),
  })
  .refine((m) => m.items.every((i) => i.kind === m.kind), {
    message: "every item of a snapshot is of the snapshot's kind",
    path: ['items'],
  });

export const ChangesMessage = z.object({
  type: z.literal('inventory.changes'),
  upserts: z.array(InventoryItem),
  deletes: z.array(z.object({ kind: InventoryKind, uid: z.string(), namespace: z.string(), name: z.string() })),
});

export const TimelineMessage = z.object({
  type: z.literal('timeline'),
  events: z.array(TimelineEventInput),
});

export const CommandUpdateMessage = z.object({
  type: z.literal('command.update'),
  id: z.string(),
  state: z.enum(['running', 'succeeded', 'failed', 'rejected']),
  message: z.string().optional(),
  result: JsonObject.optional(),
});

/** Every open insight of the cluster (after each connect): the hub resolves those missing. */
export const InsightsSnapshotMessage = z.object({
  type: z.literal('insights.snapshot'),
  items: z.array(InsightInput).max(20_000),
});

/** Insights opened or changed (evidence, severity), and ids of those resolved, since the last message. */
export const InsightsChangesMessage = z.object({
  type: z.literal('insights.changes'),
  opened: z.array(InsightInput).max(20_000),
  resolved: z.array(z.string().max(512)).max(20_000),
});

const PingMessage = z.object({ type: z.literal('ping'), t: z.number() });
const PongMessage = z.object({ type: z.literal('pong'), t: z.number() });

export const AgentMessage = z.discriminatedUnion('type', [
  HelloMessage,
  SnapshotMessage,
  ChangesMessage,
  TimelineMessage,
  CommandUpdateMessage,
  InsightsSnapshotMessage,
  InsightsChangesMessage,
  UsageMessage,
  PingMessage,
  PongMessage,
  ...ShellAgentMessage.options,
  ObjectResultMessage,
  ...LogsAgentMessage.options,
  ...PortForwardAgentMessage.options,
]);
export type AgentMessage = z.infer<typeof AgentMessage>;

// ---- hub → agent
export const WelcomeMessage = z.object({
  type: z.literal('welcome'),
  cluster: z.string(),
  heartbeatMs: z.number(),
});

export const CommandMessage = z.object({ type: z.literal('command'), command: CommandEnvelope });

export const HubMessage = z.discriminatedUnion('type', [
  WelcomeMessage,
  CommandMessage,
  PingMessage,
  PongMessage,
  ...ShellHubMessage.options,
  ObjectGetMessage,
  ...LogsHubMessage.options,
  ...PortForwardHubMessage.options,
]);
export type HubMessage = z.infer<typeof HubMessage>;

/** WebSocket close codes the hub uses, so the agent knows whether to retry. */
export const CLOSE_CODES = {
  /** Token unknown or revoked: retrying will not help. */
  revoked: 4401,
  /** A newer connection for the same cluster replaced this one. */
  replaced: 4409,
  /** A message failed validation. */
  protocolError: 4400,
  /** The agent kept sending while the hub could not keep up (more than the link's queue bound unhandled). */
  overloaded: 4429,
} as const;
