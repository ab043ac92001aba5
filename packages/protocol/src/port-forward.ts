// Pod port-forward on the agent link. Each TCP connection a user forwards is
// one WebSocket to the hub (binary frames: the connection's bytes, both ways)
// and one "connection" on the agent link: the hub asks the agent to open it
// (portfwd.open), the agent opens the pod's portforward subresource
// (v4.channel.k8s.io) and bytes travel as base64 portfwd.data messages.
//
// Flow control is credit based, per connection and direction (as for shells):
// a sender may have at most `window` bytes unacknowledged; the receiver grants
// more (portfwd.credit) once it has written them on. Out of credit, the sender
// stops reading its source (the user's socket, or the Kubernetes stream), so
// neither hub nor agent ever holds more than one window per connection.
import { z } from 'zod';
import { KubeName, KubeNamespace } from './objects.js';

/** Bytes of one portfwd.data message at most (before base64). */
export const PORTFWD_MAX_CHUNK = 32 * 1024;
/** Bytes a sender may have unacknowledged per connection and direction. */
export const PORTFWD_WINDOW = 256 * 1024;
/** Forwarded connections one user may have open at once (default; 429 too_many_port_forwards above). */
export const PORTFWD_DEFAULT_PER_USER = 32;

/**
 * Why a forwarded connection ended:
 *  closed     – either side closed it;
 *  error      – Kubernetes refused or the pod's port failed (the message says why);
 *  agent-lost – the agent link went away.
 */
export const PORTFWD_END_REASONS = ['closed', 'error', 'agent-lost'] as const;
export type PortForwardEndReason = (typeof PORTFWD_END_REASONS)[number];

const ConnId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a lowercase UUID');
/** A TCP port of a pod: 1–65535. */
export const PortNumber = z.coerce.number().int().min(1).max(65535);
const Base64 = z
  .string()
  .max(Math.ceil(PORTFWD_MAX_CHUNK / 3) * 4)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

// ---- hub → agent
export const PortForwardOpenMessage = z.object({
  type: z.literal('portfwd.open'),
  connId: ConnId,
  namespace: KubeNamespace,
  pod: KubeName,
  port: z.number().int().min(1).max(65535),
  /** The Wheelhouse user forwarding (impersonation, when the agent has it on). */
  user: z.string().min(1),
  /** Bytes the agent may send before the hub's first credit. */
  window: z.number().int().min(1024),
});
export type PortForwardOpenMessage = z.infer<typeof PortForwardOpenMessage>;
export const PortForwardCloseMessage = z.object({ type: z.literal('portfwd.close'), connId: ConnId });
/** Either direction: bytes of the connection, base64. */
export const PortForwardDataMessage = z.object({ type: z.literal('portfwd.data'), connId: ConnId, data: Base64 });
/** Either direction: the receiver wrote `bytes` on; the sender may send that many more. */
export const PortForwardCreditMessage = z.object({
  type: z.literal('portfwd.credit'),
  connId: ConnId,
  bytes: z.number().int().min(1),
});

export const PortForwardHubMessage = z.discriminatedUnion('type', [
  PortForwardOpenMessage,
  PortForwardCloseMessage,
  PortForwardDataMessage,
  PortForwardCreditMessage,
]);
export type PortForwardHubMessage = z.infer<typeof PortForwardHubMessage>;

// ---- agent → hub
/** The Kubernetes stream is open; the hub may send `window` bytes. */
export const PortForwardOpenedMessage = z.object({
  type: z.literal('portfwd.opened'),
  connId: ConnId,
  window: z.number().int().min(1024),
});
export const PortForwardEndMessage = z.object({
  type: z.literal('portfwd.end'),
  connId: ConnId,
  reason: z.enum(PORTFWD_END_REASONS),
  message: z.string().max(4096).optional(),
});

export const PortForwardAgentMessage = z.discriminatedUnion('type', [
  PortForwardOpenedMessage,
  PortForwardDataMessage,
  PortForwardCreditMessage,
  PortForwardEndMessage,
]);
export type PortForwardAgentMessage = z.infer<typeof PortForwardAgentMessage>;

// ---- hub → client: binary frames are the connection's bytes; one text frame may say why it ended, then it closes.
export type PortForwardServerControl = { type: 'end'; reason: PortForwardEndReason; message?: string };

/** Path of the port-forward WebSocket (one per TCP connection). */
export function portForwardPath(cluster: string, namespace: string, pod: string, port: number): string {
  return `/api/v1/clusters/${encodeURIComponent(cluster)}/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}/portforward?port=${port}`;
}
