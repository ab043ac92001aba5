// Pod shell messages on the agent link. Terminal bytes travel as binary frames
// with a fixed 18-byte header (version, channel, session id); control travels
// as JSON messages validated like every other link message.
//
// Flow control is credit based, per session and per direction: the receiver
// grants the sender a window of bytes ("shell.credit"); the sender stops
// reading its source (the Kubernetes exec stream, or the browser socket) when
// it has no credit left. So neither hub nor agent ever holds more than one
// window (plus one frame) per session, however slow the other end reads.
import { z } from 'zod';

/** Frame layout version (byte 0). */
export const SHELL_FRAME_VERSION = 1;
/** version (1) + channel (1) + session id as 16 raw UUID bytes. */
export const SHELL_FRAME_HEADER_BYTES = 18;
/** Terminal bytes in one frame at most; larger chunks are split. */
export const SHELL_MAX_CHUNK = 64 * 1024;
/** Default window: bytes a sender may have in flight per session and direction. */
export const SHELL_DEFAULT_WINDOW = 256 * 1024;
/**
 * The hub's default output window (agent → hub → client). Larger than the input one: the agent may run this
 * far ahead of the hub's credit, so it must cover the bulk rate times the longest the hub goes without
 * running. With 256 KiB, then 1 MiB, the agent waited for credit every ~1 MB of bulk output, 13–48 % of the
 * time on a loaded 2-core machine (a hub descheduled for tens of ms); 4 MiB covers ~70 ms at 60 MB/s
 * (issue 18, docs/performance.md). Still a fixed bound per session: one window plus one frame.
 */
export const SHELL_OUTPUT_WINDOW = 4 * 1024 * 1024;

export const SHELL_CHANNELS = { stdin: 0, stdout: 1, stderr: 2 } as const;
export type ShellChannel = (typeof SHELL_CHANNELS)[keyof typeof SHELL_CHANNELS];

/** recording-limit: the recording reached its size cap and the hub ended the session (nothing runs unrecorded). */
/** `revoked`: the person's access was taken away (disabled, role removed, signed out, token revoked). */
/** `detached`: the client went away (reload, lost network) and did not reattach within the grace period. */
export const SHELL_END_REASONS = [
  'closed',
  'idle',
  'agent-lost',
  'error',
  'denied',
  'recording-limit',
  'revoked',
  'detached',
] as const;
export type ShellEndReason = (typeof SHELL_END_REASONS)[number];

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class ShellFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellFrameError';
  }
}

export interface ShellFrame {
  sessionId: string;
  channel: ShellChannel;
  payload: Buffer;
}

/** Encodes one binary frame. The session id must be a lowercase UUID. */
export function encodeShellFrame(sessionId: string, channel: ShellChannel, payload: Uint8Array): Buffer {
  return encodeShellFrameParts(sessionId, channel, [payload]);
}

/** Encodes one binary frame whose payload is `parts` one after the other (one copy, no intermediate buffer). */
export function encodeShellFrameParts(sessionId: string, channel: ShellChannel, parts: readonly Uint8Array[]): Buffer {
  if (!UUID_RE.test(sessionId)) throw new ShellFrameError(`session id must be a lowercase UUID: ${sessionId}`);
  let size = 0;
  for (const p of parts) size += p.byteLength;
  const out = Buffer.allocUnsafe(SHELL_FRAME_HEADER_BYTES + size);
  out[0] = SHELL_FRAME_VERSION;
  out[1] = channel;
  out.write(sessionId.replace(/-/g, ''), 2, 16, 'hex');
  let at = SHELL_FRAME_HEADER_BYTES;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Decodes one binary frame; throws ShellFrameError on anything malformed. The payload is a view, not a copy. */
export function decodeShellFrame(frame: Buffer): ShellFrame {
  if (frame.length < SHELL_FRAME_HEADER_BYTES) throw new ShellFrameError(`frame too short (${frame.length} bytes)`);
  if (frame[0] !== SHELL_FRAME_VERSION) throw new ShellFrameError(`unknown frame version ${frame[0] ?? '?'}`);
  const channel = frame[1];
  if (channel !== 0 && channel !== 1 && channel !== 2) throw new ShellFrameError(`unknown channel ${channel ?? '?'}`);
  const hex = frame.toString('hex', 2, SHELL_FRAME_HEADER_BYTES);
  const sessionId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { sessionId, channel, payload: frame.subarray(SHELL_FRAME_HEADER_BYTES) };
}

const SessionId = z.string().regex(UUID_RE, 'must be a lowercase UUID');
const Dimension = z.number().int().min(1).max(1000);

// ---- hub → agent
export const ShellOpenMessage = z.object({
  type: z.literal('shell.open'),
  sessionId: SessionId,
  cluster: z.string(),
  namespace: z.string().min(1),
  pod: z.string().min(1),
  container: z.string().min(1),
  /** null: the default shell (bash, then sh). */
  command: z.array(z.string()).min(1).nullable(),
  tty: z.boolean(),
  cols: Dimension,
  rows: Dimension,
  /** The Wheelhouse user the session belongs to (attribution; impersonation when enabled). */
  user: z.string().min(1),
  /** The person's identity-provider groups at their last SSO sign-in (impersonation passes the allowed ones). */
  groups: z.array(z.string().min(1).max(256)).max(500).optional(),
  idleTimeoutMs: z.number().int().min(0),
  /** Output credit the agent starts with. */
  window: z.number().int().min(1024),
  /**
   * A node shell (node-shell.ts): the agent first creates the privileged pod `pod` (nodeShellPodName) on
   * this node in its node-shell namespace, execs `command` (null: its node-shell command) in it, and
   * deletes the pod when the session ends. `namespace` and `container` are then the agent's own.
   */
  node: z.string().min(1).max(253).optional(),
});
export const ShellResizeMessage = z.object({
  type: z.literal('shell.resize'),
  sessionId: SessionId,
  cols: Dimension,
  rows: Dimension,
});
export const ShellCloseMessage = z.object({
  type: z.literal('shell.close'),
  sessionId: SessionId,
  reason: z.enum(SHELL_END_REASONS),
});
/** Either direction: the receiver consumed `bytes`, the sender may send that many more. */
export const ShellCreditMessage = z.object({
  type: z.literal('shell.credit'),
  sessionId: SessionId,
  bytes: z.number().int().min(1),
});
/** Hub → agent liveness probe while sessions are open (a silent link must fail sessions within seconds). */
export const ShellPingMessage = z.object({ type: z.literal('shell.ping'), t: z.number() });

export const ShellHubMessage = z.discriminatedUnion('type', [
  ShellOpenMessage,
  ShellResizeMessage,
  ShellCloseMessage,
  ShellCreditMessage,
  ShellPingMessage,
]);
export type ShellHubMessage = z.infer<typeof ShellHubMessage>;
export type ShellOpenMessage = z.infer<typeof ShellOpenMessage>;

// ---- agent → hub
export const ShellOpenedMessage = z.object({
  type: z.literal('shell.opened'),
  sessionId: SessionId,
  /** The command that actually runs (the default shell resolved). */
  command: z.array(z.string()),
  /** Input credit the hub starts with. */
  window: z.number().int().min(1024),
  /** The Kubernetes identity the exec was made as (impersonated user, or the agent's own). */
  kubeUser: z.string().optional(),
});
export const ShellExitMessage = z.object({
  type: z.literal('shell.exit'),
  sessionId: SessionId,
  code: z.number().int(),
});
export const ShellErrorMessage = z.object({
  type: z.literal('shell.error'),
  sessionId: SessionId,
  message: z.string().max(4096),
});
/** The agent ended the session (idle, exec stream gone); follows exit/error when there was one. */
export const ShellClosedMessage = z.object({
  type: z.literal('shell.closed'),
  sessionId: SessionId,
  reason: z.enum(SHELL_END_REASONS),
});
export const ShellPongMessage = z.object({ type: z.literal('shell.pong'), t: z.number() });

export const ShellAgentMessage = z.discriminatedUnion('type', [
  ShellOpenedMessage,
  ShellExitMessage,
  ShellErrorMessage,
  ShellClosedMessage,
  ShellCreditMessage,
  ShellPongMessage,
]);
export type ShellAgentMessage = z.infer<typeof ShellAgentMessage>;

/**
 * Cheap test for a shell control message in a link text frame, so the hub can
 * route it at once, in order with the binary frames, instead of behind the
 * store writes of inventory messages. Senders put `type` first (JSON.stringify
 * keeps insertion order); anything else still arrives through the full parser.
 */
export function isShellControlText(text: string): boolean {
  return text.startsWith('{"type":"shell.');
}

// ---- client ↔ hub (the browser / CLI WebSocket's text frames)
export const ShellClientControl = z.discriminatedUnion('type', [
  z.object({ type: z.literal('resize'), cols: Dimension, rows: Dimension }),
]);
export type ShellClientControl = z.infer<typeof ShellClientControl>;

/**
 * Shared shells: a person with pod:exec on the pod's namespace joins a live
 * session as an observer (sees the output, cannot type) or a peer (types too,
 * as the session's owner: the exec is the owner's). Everyone in the session
 * is told who is in it whenever that changes (`participants`).
 */
export const SHELL_JOIN_MODES = ['observer', 'peer'] as const;
export type ShellJoinMode = (typeof SHELL_JOIN_MODES)[number];
export type ShellParticipantRole = 'owner' | ShellJoinMode;
export interface ShellParticipant {
  user: string;
  role: ShellParticipantRole;
  joinedAt: number;
}
/** People who may join one session at once, besides its owner. */
export const SHELL_MAX_PARTICIPANTS = 10;

export type ShellServerControl =
  | { type: 'opened'; sessionId: string; container: string; command: string[] }
  /** A detached session taken back (`?session=`): `scrollbackBytes` of recent output follow as binary frames. */
  | { type: 'reattached'; sessionId: string; container: string; command: string[]; scrollbackBytes: number }
  | { type: 'exit'; code: number }
  | { type: 'error'; message: string }
  | { type: 'closed'; reason: ShellEndReason; message?: string }
  /** Who is in the session now (the owner first); sent to everyone in it when someone joins or leaves. */
  | { type: 'participants'; participants: ShellParticipant[] }
  /**
   * A moderated session (the namespace's shell policy requireObserver): input is accepted only while at least one
   * observer watches. `held` true: input is being dropped until one joins.
   */
  | { type: 'moderation'; held: boolean; message: string }
  /** To a joiner: the session it joined. */
  | {
      type: 'joined';
      sessionId: string;
      role: ShellJoinMode;
      owner: string;
      cluster: string;
      namespace: string;
      pod: string;
      container: string;
    };

/** Path of the WebSocket that joins a live session. */
export function shellJoinPath(sessionId: string, mode: ShellJoinMode): string {
  return `/api/v1/sessions/${encodeURIComponent(sessionId)}/join?mode=${mode}`;
}

/** Path of the shell WebSocket. */
export function shellPath(cluster: string, namespace: string, pod: string): string {
  return `/api/v1/clusters/${encodeURIComponent(cluster)}/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}/shell`;
}
