// The pod shell's browser protocol (docs/api.md "Pod shell"): the URLs, the
// JSON control messages on text frames, and the words people read when a
// session ends or is refused. No DOM here, so it is unit-tested.
import { isRecord, optionalString } from '@wheelhouse/protocol/core';

export interface ShellTarget {
  cluster: string;
  namespace: string;
  pod: string;
  container?: string;
  /** Run this instead of the login shell (a deep link's `command`); one element per argument. */
  command?: readonly string[];
  /** A node shell on this node (namespace, pod, container unused): root there through the agent's privileged pod. */
  node?: string;
}

const seg = encodeURIComponent;

export function podPath(t: ShellTarget): string {
  return `/api/v1/clusters/${seg(t.cluster)}/pods/${seg(t.namespace)}/${seg(t.pod)}`;
}

export function containersPath(t: ShellTarget): string {
  return `${podPath(t)}/containers`;
}

/** Path and query of the shell WebSocket; `command` repeats for each argument. */
export function shellPath(
  t: ShellTarget,
  opts: { cols?: number; rows?: number; command?: readonly string[]; session?: string } = {},
): string {
  const q = new URLSearchParams();
  // A node shell takes no container or command: the agent runs its node-shell command.
  if (t.container && t.node === undefined) q.set('container', t.container);
  if (opts.session) q.set('session', opts.session);
  if (t.node === undefined) for (const arg of opts.command ?? t.command ?? []) q.append('command', arg);
  const size = (n: number | undefined) =>
    n !== undefined && Number.isFinite(n) ? Math.min(1000, Math.max(1, Math.round(n))) : undefined;
  const cols = size(opts.cols);
  const rows = size(opts.rows);
  if (cols !== undefined) q.set('cols', String(cols));
  if (rows !== undefined) q.set('rows', String(rows));
  const s = q.toString();
  const base =
    t.node !== undefined ? `/api/v1/clusters/${seg(t.cluster)}/nodes/${seg(t.node)}/shell` : `${podPath(t)}/shell`;
  return s ? `${base}?${s}` : base;
}

export type EndReason = 'closed' | 'idle' | 'agent-lost' | 'error' | 'recording-limit' | 'revoked' | 'detached';

export type ServerControl =
  | { type: 'opened'; sessionId: string; container: string; command: string[] | null }
  /** A detached session taken back: `scrollbackBytes` of its recent output follow. */
  | { type: 'reattached'; sessionId: string; container: string; scrollbackBytes: number }
  | { type: 'exit'; code: number }
  | { type: 'error'; message: string }
  | { type: 'closed'; reason: EndReason; message: string }
  | { type: 'joined'; sessionId: string; role: 'observer' | 'peer'; owner: string; container: string }
  | { type: 'participants'; participants: { user: string; role: 'owner' | 'observer' | 'peer' }[] }
  | { type: 'moderation'; held: boolean; message: string };

const REASONS: readonly EndReason[] = [
  'closed',
  'idle',
  'agent-lost',
  'error',
  'recording-limit',
  'revoked',
  'detached',
];

/** A text frame from the hub, or undefined when it is not a control message we know. */
export function parseControl(text: string): ServerControl | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(v)) return undefined;
  const m = v;
  switch (m.type) {
    case 'opened':
      return {
        type: 'opened',
        sessionId: optionalString(m.sessionId) ?? '',
        container: optionalString(m.container) ?? '',
        command: Array.isArray(m.command) ? m.command.map(String) : null,
      };
    case 'reattached':
      return {
        type: 'reattached',
        sessionId: optionalString(m.sessionId) ?? '',
        container: optionalString(m.container) ?? '',
        scrollbackBytes: typeof m.scrollbackBytes === 'number' ? m.scrollbackBytes : 0,
      };
    case 'exit':
      return typeof m.code === 'number' ? { type: 'exit', code: m.code } : undefined;
    case 'error':
      return { type: 'error', message: optionalString(m.message) ?? 'the session reported an error' };
    case 'closed': {
      const reason = REASONS.find((r) => r === m.reason);
      if (reason === undefined) return undefined;
      return { type: 'closed', reason, message: optionalString(m.message) ?? defaultEndMessage(reason) };
    }
    case 'joined':
      return {
        type: 'joined',
        sessionId: optionalString(m.sessionId) ?? '',
        role: m.role === 'peer' ? 'peer' : 'observer',
        owner: optionalString(m.owner) ?? '',
        container: optionalString(m.container) ?? '',
      };
    case 'participants':
      return {
        type: 'participants',
        participants: (Array.isArray(m.participants) ? m.participants : []).filter(isRecord).map((p) => ({
          user: optionalString(p.user) ?? '?',
          role: p.role === 'owner' || p.role === 'peer' ? p.role : 'observer',
        })),
      };
    case 'moderation':
      return { type: 'moderation', held: m.held === true, message: optionalString(m.message) ?? '' };
    default:
      return undefined;
  }
}

export function resizeMessage(cols: number, rows: number): string {
  return JSON.stringify({ type: 'resize', cols, rows });
}

export function defaultEndMessage(reason: EndReason): string {
  switch (reason) {
    case 'idle':
      return 'closed after the idle timeout without input or output';
    case 'agent-lost':
      return "the agent's connection was lost";
    case 'error':
      return 'the session ended with an error';
    case 'recording-limit':
      return "the session's recording reached its size cap, so the session was ended";
    case 'revoked':
      return 'your access was revoked (disabled, role removed, signed out or token revoked), so the session was ended';
    case 'detached':
      return 'the console went away and did not come back within the grace period';
    case 'closed':
      return 'the session was closed';
  }
}

/** The one line shown in the panel header and the terminal when a session ends. */
export function endNotice(reason: EndReason, message: string): string {
  const what = message.trim() || defaultEndMessage(reason);
  switch (reason) {
    case 'idle':
      return `Session ended (idle): ${what}`;
    case 'agent-lost':
      return `Session ended (agent lost): ${what}`;
    case 'error':
      return `Session ended with an error: ${what}`;
    case 'recording-limit':
      return `Session ended (recording limit): ${what}`;
    case 'revoked':
      return `Session ended (access revoked): ${what}`;
    case 'detached':
      return `Session ended (detached): ${what}`;
    case 'closed':
      return `Session ended: ${what}`;
  }
}

export interface ContainerInfo {
  name: string;
  image: string | null;
  ready: boolean;
  state: string;
  reason: string | null;
  restartCount: number;
}

export interface PodContainers {
  cluster: string;
  namespace: string;
  pod: string;
  phase: string;
  containers: ContainerInfo[];
}

export type ContainerChoice =
  | { kind: 'connect'; container: string }
  | { kind: 'pick'; containers: ContainerInfo[]; preselect: string | undefined }
  | { kind: 'refuse'; message: string };

/** What open() does once it knows the pod's containers. */
export function chooseContainer(p: PodContainers): ContainerChoice {
  if (p.phase !== 'Running')
    return { kind: 'refuse', message: `pod ${p.namespace}/${p.pod} is ${p.phase}: a shell needs a Running pod` };
  if (p.containers.length === 0)
    return { kind: 'refuse', message: `pod ${p.namespace}/${p.pod} has no containers the hub knows of` };
  const running = p.containers.filter((c) => c.state === 'running');
  if (p.containers.length === 1) {
    const only = p.containers[0];
    if (only && only.state !== 'running')
      return {
        kind: 'refuse',
        message: `container "${only.name}" of pod ${p.namespace}/${p.pod} is ${containerStateText(only)}`,
      };
    return { kind: 'connect', container: only?.name ?? '' };
  }
  return { kind: 'pick', containers: p.containers, preselect: running[0]?.name };
}

/** Why a pod (or one of its containers) cannot take a shell now, or undefined when it can. */
export function whyNoShell(
  pod: { phase: string; containers: readonly Pick<ContainerInfo, 'name' | 'state' | 'reason'>[] },
  container?: string,
): string | undefined {
  const c = container === undefined ? undefined : pod.containers.find((x) => x.name === container);
  // The container's own state says more than the pod's phase ("waiting: ImagePullBackOff" vs "Pending").
  if (c && c.state !== 'running') return `container ${c.name} is ${containerStateText(c)}, not running`;
  if (pod.phase !== 'Running') return `the pod is ${pod.phase}, not Running`;
  if (container !== undefined) return c ? undefined : `the pod has no container ${container}`;
  if (pod.containers.length > 0 && !pod.containers.some((c) => c.state === 'running'))
    return `no container is running (${pod.containers.map((c) => `${c.name}: ${containerStateText(c)}`).join(', ')})`;
  return undefined;
}

export function containerStateText(c: Pick<ContainerInfo, 'state' | 'reason'>): string {
  return c.reason ? `${c.state}: ${c.reason}` : c.state;
}

/** Binary `onBinary` data from xterm (one char per byte) as bytes. */
export function binaryStringBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}
