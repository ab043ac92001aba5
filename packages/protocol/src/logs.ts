// Pod logs on the agent link. The browser's WebSocket ends at the hub; the hub
// asks the agent to open a stream (logs.open), the agent reads the Kubernetes
// Log API (pods/{pod}/log) and forwards UTF-8 text in chunks (logs.data) until
// the log ends, the hub closes the stream (logs.close) or the link drops.
//
// Memory stays bounded at both ends: the agent stops reading the Kubernetes
// response while the link has more than LOGS_LINK_HIGH_WATER bytes queued, and
// the hub drops text (and tells the browser how much) while the browser socket
// has more than LOGS_CLIENT_MAX_BUFFERED bytes queued.
import { z } from 'zod';
import { KubeName, KubeNamespace } from './objects.js';

/** UTF-8 bytes of log text in one logs.data message, at most. */
export const LOGS_MAX_CHUNK = 64 * 1024;
/** Lines sent when the client does not say tailLines: the last 500. */
export const LOGS_DEFAULT_TAIL_LINES = 500;
/** Largest tailLines a client may ask for. */
export const LOGS_MAX_TAIL_LINES = 100_000;
/** The hub drops text for a browser socket with more than this queued. */
export const LOGS_CLIENT_MAX_BUFFERED = 1024 * 1024;
/** The agent pauses its Kubernetes log reads while the link has more than this queued. */
export const LOGS_LINK_HIGH_WATER = 1024 * 1024;

/**
 * Why a log stream ended:
 *  eof        – the log ended (no follow, or the container stopped);
 *  closed     – the client (or the hub) closed it;
 *  error      – Kubernetes refused or failed (the message says why);
 *  agent-lost – the agent link went away.
 */
export const LOGS_END_REASONS = ['eof', 'closed', 'error', 'agent-lost'] as const;
export type LogsEndReason = (typeof LOGS_END_REASONS)[number];

const StreamId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase UUID');
/** Container names are DNS-1123 labels. */
const ContainerName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a container name');

// ---- hub → agent
export const LogsOpenMessage = z.object({
  type: z.literal('logs.open'),
  streamId: StreamId,
  namespace: KubeNamespace,
  pod: KubeName,
  container: ContainerName,
  follow: z.boolean(),
  previous: z.boolean(),
  timestamps: z.boolean(),
  /** The agent uses LOGS_DEFAULT_TAIL_LINES when absent. */
  tailLines: z.number().int().min(0).max(LOGS_MAX_TAIL_LINES).optional(),
  sinceSeconds: z.number().int().min(1).optional(),
  /** The Wheelhouse user reading (impersonation, when the agent has it on). */
  user: z.string().min(1),
  /** The person's identity-provider groups at their last SSO sign-in (impersonation passes the allowed ones). */
  groups: z.array(z.string().min(1).max(256)).max(500).optional(),
});
export type LogsOpenMessage = z.infer<typeof LogsOpenMessage>;

export const LogsCloseMessage = z.object({ type: z.literal('logs.close'), streamId: StreamId });

export const LogsHubMessage = z.discriminatedUnion('type', [LogsOpenMessage, LogsCloseMessage]);
export type LogsHubMessage = z.infer<typeof LogsHubMessage>;

// ---- agent → hub
/** UTF-8 text, at most LOGS_MAX_CHUNK bytes (so at most that many UTF-16 units), never splitting a character. */
export const LogsDataMessage = z.object({
  type: z.literal('logs.data'),
  streamId: StreamId,
  text: z.string().min(1).max(LOGS_MAX_CHUNK),
});
export const LogsEndMessage = z.object({
  type: z.literal('logs.end'),
  streamId: StreamId,
  reason: z.enum(LOGS_END_REASONS),
  message: z.string().max(4096).optional(),
});

export const LogsAgentMessage = z.discriminatedUnion('type', [LogsDataMessage, LogsEndMessage]);
export type LogsAgentMessage = z.infer<typeof LogsAgentMessage>;

/**
 * Cheap test for a message the hub routes at once (log text and ends, object
 * answers) instead of behind the store writes of inventory messages. Senders
 * put `type` first; anything else still arrives through the full parser.
 */
export function isFastAgentText(text: string): boolean {
  return (
    text.startsWith('{"type":"logs.') || text.startsWith('{"type":"object.') || text.startsWith('{"type":"portfwd.')
  );
}

// ---- hub → browser (the logs WebSocket's text frames; the browser sends nothing)
export type LogsServerMessage =
  | { type: 'data'; text: string }
  | { type: 'dropped'; bytes: number }
  | { type: 'end'; reason: LogsEndReason; message?: string };

/** Path of the logs WebSocket. */
export function logsPath(cluster: string, namespace: string, pod: string): string {
  return `/api/v1/clusters/${encodeURIComponent(cluster)}/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}/logs`;
}

/** Splits text into pieces of at most maxBytes UTF-8 bytes each, never inside a character. */
export function splitUtf8(text: string, maxBytes: number = LOGS_MAX_CHUNK): string[] {
  if (text.length === 0) return [];
  // A UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4).
  if (text.length * 3 <= maxBytes) return [text];
  const out: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i) ?? 0;
    // Lone surrogates are written as U+FFFD: 3 bytes.
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    const units = cp > 0xffff ? 2 : 1;
    if (bytes + n > maxBytes) {
      out.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += n;
    i += units;
  }
  out.push(text.slice(start));
  return out;
}

// ---- whole-workload logs (hub → browser; the agent sees ordinary per-container streams)
/** Workload kinds whose pods' logs the hub merges into one stream. */
export const WORKLOAD_LOG_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'] as const;
export type WorkloadLogKind = (typeof WORKLOAD_LOG_KINDS)[number];
/** Whole-workload log streams a user may have open at once, unless the hub is configured otherwise. */
export const DEFAULT_WORKLOAD_LOG_STREAMS_PER_USER = 3;
/** Containers one workload stream follows at once, unless the hub is configured otherwise. */
export const DEFAULT_WORKLOAD_LOG_MAX_CONTAINERS = 20;

/**
 * The workload logs WebSocket's text frames. `data` holds whole lines (each
 * ending in a newline) of one container, so lines of different pods never
 * interleave mid-line; `joined`/`left` say when a container's log starts and
 * stops being followed (pods replaced by a rollout join and leave);
 * `limited` names a container not followed because the stream already follows
 * its maximum; `dropped` counts what a slow reader lost.
 */
export type WorkloadLogsServerMessage =
  | { type: 'data'; pod: string; container: string; text: string }
  | { type: 'joined'; pod: string; container: string }
  | { type: 'left'; pod: string; container: string; reason: LogsEndReason | 'deleted'; message?: string }
  | { type: 'limited'; pod: string; container: string; limit: number }
  | { type: 'dropped'; bytes: number; lines: number }
  | { type: 'end'; reason: LogsEndReason; message?: string };

/** Path of a workload's merged logs WebSocket. */
export function workloadLogsPath(cluster: string, namespace: string, kind: WorkloadLogKind, name: string): string {
  return `/api/v1/clusters/${encodeURIComponent(cluster)}/workloads/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}/logs`;
}
