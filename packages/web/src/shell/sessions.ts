// The shell tray's state: which sessions exist, how each is doing, and which
// one is shown as the large panel (at most one; the others are minimized to
// the tray). Pure, so the rules are unit-tested.
import type { EndReason } from './protocol.js';
import { commandText } from './shell-link.js';

export interface SessionTarget {
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  /** Joining someone else's live session (shared shells) instead of opening one. */
  join?: { sessionId: string; mode: 'observer' | 'peer' };
  /** The command a deep link asked for (default: the login shell). */
  command?: readonly string[];
  /** A node shell on this node (pod and namespace are the agent's, unknown to the console). */
  node?: string;
}

/** Who is in a session (the owner first), as the hub says. */
export interface Participant {
  user: string;
  role: 'owner' | 'observer' | 'peer';
}

export type SessionStatus = 'connecting' | 'open' | 'ended';

/** Why a session ended: the hub's reasons, a refusal before the upgrade, or a dropped connection. */
export type EndKind = EndReason | 'refused' | 'disconnected';

export interface SessionView {
  key: string;
  target: SessionTarget;
  status: SessionStatus;
  /** The hub's session id once `opened` arrived. */
  sessionId: string | null;
  exitCode: number | null;
  /** The last `error` the hub sent. */
  error: string | null;
  ended: { kind: EndKind; notice: string } | null;
  /** 1 for the first connection, +1 per reconnect. */
  attempt: number;
  /** Everyone in the session once the hub said (shared shells); empty before. */
  participants: Participant[];
}

export interface ShellsState {
  sessions: SessionView[];
  /** The session shown as the panel; null when all are minimized. */
  visible: string | null;
}

export type ShellsAction =
  /** `sessionId`: a session being reattached after a reload; `show: false` adds it minimized. */
  | { type: 'add'; key: string; target: SessionTarget; sessionId?: string; show?: boolean }
  | { type: 'show'; key: string }
  | { type: 'minimize'; key: string }
  | { type: 'remove'; key: string }
  | { type: 'opened'; key: string; sessionId: string; container: string }
  | { type: 'exit'; key: string; code: number }
  | { type: 'error'; key: string; message: string }
  | { type: 'ended'; key: string; kind: EndKind; notice: string }
  | { type: 'reconnect'; key: string }
  | { type: 'participants'; key: string; participants: Participant[] };

export const initialShells: ShellsState = { sessions: [], visible: null };

function patch(state: ShellsState, key: string, fn: (s: SessionView) => SessionView): ShellsState {
  const i = state.sessions.findIndex((s) => s.key === key);
  const old = state.sessions[i];
  if (!old) return state;
  const next = fn(old);
  if (next === old) return state;
  const sessions = [...state.sessions];
  sessions[i] = next;
  return { ...state, sessions };
}

/** Which session is shown after `removed` goes: others stay as the user left them (minimized stays minimized). */
export function visibleAfterRemove(state: ShellsState, removed: string): string | null {
  return state.visible === removed ? null : state.visible;
}

export function shellsReducer(state: ShellsState, action: ShellsAction): ShellsState {
  switch (action.type) {
    case 'add':
      if (state.sessions.some((s) => s.key === action.key)) return state;
      return {
        sessions: [
          ...state.sessions,
          {
            key: action.key,
            target: action.target,
            status: 'connecting',
            sessionId: action.sessionId ?? null,
            exitCode: null,
            error: null,
            ended: null,
            attempt: 1,
            participants: [],
          },
        ],
        visible: action.show === false ? state.visible : action.key,
      };
    case 'show':
      return state.sessions.some((s) => s.key === action.key) && state.visible !== action.key
        ? { ...state, visible: action.key }
        : state;
    case 'minimize':
      return state.visible === action.key ? { ...state, visible: null } : state;
    case 'remove':
      if (!state.sessions.some((s) => s.key === action.key)) return state;
      return {
        sessions: state.sessions.filter((s) => s.key !== action.key),
        visible: visibleAfterRemove(state, action.key),
      };
    case 'opened':
      return patch(state, action.key, (s) =>
        s.status === 'ended'
          ? s
          : {
              ...s,
              status: 'open',
              sessionId: action.sessionId,
              target: action.container ? { ...s.target, container: action.container } : s.target,
            },
      );
    case 'exit':
      return patch(state, action.key, (s) => ({ ...s, exitCode: action.code }));
    case 'participants':
      return patch(state, action.key, (s) => ({ ...s, participants: action.participants }));
    case 'error':
      return patch(state, action.key, (s) => ({ ...s, error: action.message }));
    case 'ended':
      // The first ending wins: `closed` from the hub, then the socket's close event.
      return patch(state, action.key, (s) =>
        s.status === 'ended' ? s : { ...s, status: 'ended', ended: { kind: action.kind, notice: action.notice } },
      );
    case 'reconnect':
      return patch(state, action.key, (s) =>
        s.status === 'ended'
          ? {
              ...s,
              status: 'connecting',
              sessionId: null,
              exitCode: null,
              error: null,
              ended: null,
              attempt: s.attempt + 1,
            }
          : s,
      );
  }
}

/** `pod/container`, with " (2)", " (3)"… for further shells into the same container. */
export function sessionLabel(sessions: readonly SessionView[], key: string): string {
  const s = sessions.find((x) => x.key === key);
  if (!s) return key;
  const base = s.target.node !== undefined ? `node/${s.target.node}` : `${s.target.pod}/${s.target.container}`;
  const same = sessions.filter(
    (x) =>
      x.target.cluster === s.target.cluster &&
      x.target.node === s.target.node &&
      x.target.namespace === s.target.namespace &&
      x.target.pod === s.target.pod &&
      x.target.container === s.target.container,
  );
  const n = same.findIndex((x) => x.key === key) + 1;
  return n > 1 ? `${base} (${n})` : base;
}

export function sessionTitle(t: SessionTarget): string {
  if (t.node !== undefined) return `root shell on node ${t.node} @ ${t.cluster}`;
  const cmd = t.command?.length ? ` — ${commandText(t.command)}` : '';
  return `${t.pod}/${t.container} @ ${t.cluster}/${t.namespace}${cmd}`;
}

/** Colour of the state dot (the `.dot` classes): connecting warn, open ok, ended err (muted for a normal close). */
export function statusDot(s: SessionView): 'ok' | 'warn' | 'err' | 'muted' {
  if (s.status === 'connecting') return 'warn';
  if (s.status === 'open') return 'ok';
  return s.ended?.kind === 'closed' ? 'muted' : 'err';
}

export function statusText(s: SessionView): string {
  if (s.status === 'connecting') return s.attempt > 1 ? 'reconnecting' : 'connecting';
  if (s.status === 'open') return 'connected';
  if (s.ended?.kind === 'closed' && s.exitCode !== null) return `exited with code ${s.exitCode}`;
  return 'ended';
}
