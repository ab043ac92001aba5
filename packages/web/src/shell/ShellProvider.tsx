// Pod shells in the console: several can be open; one at a time is the large
// panel docked above the tray, the others are minimized to tabs in the tray
// while the user keeps browsing. Sessions live in this provider (around the
// whole signed-in app), so navigation keeps them and their scrollback; a page
// reload reattaches to them (./persisted.ts).
import './shell.css';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { api, errorText } from '../api/client.js';
import { Dialog } from '../ui/Dialog.js';
import {
  chooseContainer,
  containersPath,
  containerStateText,
  type ContainerInfo,
  type ShellTarget,
} from './protocol.js';
import {
  initialShells,
  sessionLabel,
  sessionTitle,
  shellsReducer,
  statusDot,
  statusText,
  type SessionTarget,
  type SessionView,
} from './sessions.js';
import { panelBounds, panelHeightAfterKey, usePanelHeight } from './panel-height.js';
import { loadShells, saveShells } from './persisted.js';
import type { TerminalSession } from './terminal-session.js';

/** Set when the page goes away: sessions ending then (their sockets closing) stay in storage for the next page. */
let unloading = false;
if (typeof window !== 'undefined') window.addEventListener('pagehide', () => (unloading = true));

export type { ShellTarget } from './protocol.js';
export type { SessionView } from './sessions.js';

interface ShellsApi {
  /** Opens a shell; without a container, asks which one when the pod has several. */
  open(target: ShellTarget): void;
  /** Joins someone's live session (shared shells); resolves with the hub's refusal text, or null. */
  join(sessionId: string, mode: 'observer' | 'peer'): Promise<string | null>;
  sessions: SessionView[];
  visible: string | null;
  show(key: string): void;
  minimize(key: string): void;
  close(key: string): void;
  reconnect(key: string): void;
  /** The terminal of a session (for the panel). */
  runtime(key: string): TerminalSession | undefined;
}

const ShellsContext = createContext<ShellsApi | null>(null);

type Pending =
  | { kind: 'pick'; target: ShellTarget; containers: ContainerInfo[]; preselect: string | undefined }
  | { kind: 'failed'; target: ShellTarget; message: string };

export function ShellProvider({ children }: { children: ReactNode }) {
  const [state, dispatch] = useReducer(shellsReducer, initialShells);
  const [pending, setPending] = useState<Pending | null>(null);
  const runtimes = useRef(new Map<string, TerminalSession>());
  const counter = useRef(0);

  const start = useCallback(async (target: SessionTarget, restore?: { sessionId: string; show: boolean }) => {
    // xterm.js is loaded with the first shell: pages that never open one do not pay for it.
    const { TerminalSession } = await import('./terminal-session.js');
    counter.current += 1;
    const key = `s${counter.current}`;
    const rt = new TerminalSession(
      key,
      target,
      {
        opened: (sessionId, container) => dispatch({ type: 'opened', key, sessionId, container }),
        exit: (code) => dispatch({ type: 'exit', key, code }),
        error: (message) => dispatch({ type: 'error', key, message }),
        ended: (kind, notice) => dispatch({ type: 'ended', key, kind, notice }),
        participants: (participants) => dispatch({ type: 'participants', key, participants }),
      },
      restore?.sessionId,
    );
    runtimes.current.set(key, rt);
    dispatch({ type: 'add', key, target, ...(restore ? { sessionId: restore.sessionId, show: restore.show } : {}) });
  }, []);

  // After a reload (or a deep link opened in this tab): take back the shells the previous page had open.
  const restoring = useRef(true);
  const restored = useRef(false);
  useEffect(() => {
    if (restored.current) return; // once (StrictMode runs effects twice in development)
    restored.current = true;
    const saved = loadShells();
    void (async () => {
      for (const s of saved) await start(s.target, { sessionId: s.sessionId, show: s.visible });
      restoring.current = false;
    })();
  }, [start]);
  useEffect(() => {
    if (restoring.current || unloading) return;
    saveShells(
      state.sessions
        .filter((s) => s.sessionId !== null && s.status !== 'ended')
        .map((s) => ({ target: s.target, sessionId: s.sessionId ?? '', visible: state.visible === s.key })),
    );
  }, [state]);

  const open = useCallback(
    (target: ShellTarget) => {
      if (target.node !== undefined) {
        void start({ cluster: target.cluster, namespace: '', pod: '', container: '', node: target.node });
        return;
      }
      if (target.container) {
        void start({
          cluster: target.cluster,
          namespace: target.namespace,
          pod: target.pod,
          container: target.container,
          ...(target.command ? { command: target.command } : {}),
        });
        return;
      }
      void (async () => {
        try {
          const pod = await api<{
            cluster: string;
            namespace: string;
            pod: string;
            phase: string;
            containers: ContainerInfo[];
          }>(containersPath(target));
          const choice = chooseContainer(pod);
          if (choice.kind === 'connect') await start({ ...target, container: choice.container });
          else if (choice.kind === 'pick')
            setPending({ kind: 'pick', target, containers: choice.containers, preselect: choice.preselect });
          else setPending({ kind: 'failed', target, message: choice.message });
        } catch (err) {
          setPending({ kind: 'failed', target, message: errorText(err) });
        }
      })();
    },
    [start],
  );

  const join = useCallback(
    async (sessionId: string, mode: 'observer' | 'peer'): Promise<string | null> => {
      try {
        // The same check as the join itself (pod:exec there), and the pod the session is in.
        const live = await api<{ cluster: string; namespace: string; pod: string; container: string }>(
          `/api/v1/sessions/${encodeURIComponent(sessionId)}/participants`,
        );
        await start({
          cluster: live.cluster,
          namespace: live.namespace,
          pod: live.pod,
          container: live.container,
          join: { sessionId, mode },
        });
        return null;
      } catch (err) {
        return errorText(err);
      }
    },
    [start],
  );

  const close = useCallback((key: string) => {
    runtimes.current.get(key)?.dispose();
    runtimes.current.delete(key);
    dispatch({ type: 'remove', key });
  }, []);

  const sessions = state.sessions;
  const reconnect = useCallback(
    (key: string) => {
      const rt = runtimes.current.get(key);
      const s = sessions.find((x) => x.key === key);
      if (!rt || s?.status !== 'ended') return;
      dispatch({ type: 'reconnect', key });
      rt.reconnect(s.target);
      rt.focus(); // the Reconnect button goes away; the keyboard belongs to the terminal
    },
    [sessions],
  );

  // Signing out unmounts the provider: end every session.
  useEffect(() => {
    const map = runtimes.current;
    return () => {
      for (const rt of map.values()) rt.dispose();
      map.clear();
      if (!unloading) saveShells([]);
    };
  }, []);

  const value = useMemo<ShellsApi>(
    () => ({
      open,
      join,
      sessions,
      visible: state.visible,
      show: (key) => dispatch({ type: 'show', key }),
      minimize: (key) => dispatch({ type: 'minimize', key }),
      close,
      reconnect,
      runtime: (key) => runtimes.current.get(key),
    }),
    [open, join, sessions, state.visible, close, reconnect],
  );

  return (
    <ShellsContext.Provider value={value}>
      {children}
      {pending?.kind === 'pick' && (
        <ContainerPicker
          target={pending.target}
          containers={pending.containers}
          preselect={pending.preselect}
          onCancel={() => setPending(null)}
          onPick={(container) => {
            setPending(null);
            void start({ ...pending.target, container });
          }}
        />
      )}
      {pending?.kind === 'failed' && (
        <Dialog
          title={`Cannot open a shell in ${pending.target.pod}`}
          onClose={() => setPending(null)}
          footer={
            <button type="button" onClick={() => setPending(null)}>
              OK
            </button>
          }
        >
          <div className="error-box" role="alert">
            {pending.message}
          </div>
        </Dialog>
      )}
    </ShellsContext.Provider>
  );
}

const outside: ShellsApi = {
  open: () => console.error('useShells().open() outside <ShellProvider>: no shell opened'),
  join: () => Promise.resolve('no shell tray here'),
  sessions: [],
  visible: null,
  show: () => undefined,
  minimize: () => undefined,
  close: () => undefined,
  reconnect: () => undefined,
  runtime: () => undefined,
};

export function useShells(): ShellsApi {
  return useContext(ShellsContext) ?? outside;
}

function ContainerPicker({
  target,
  containers,
  preselect,
  onCancel,
  onPick,
}: {
  target: ShellTarget;
  containers: ContainerInfo[];
  preselect: string | undefined;
  onCancel: () => void;
  onPick: (container: string) => void;
}) {
  const [choice, setChoice] = useState(preselect ?? '');
  const runnable = containers.some((c) => c.state === 'running');
  return (
    <Dialog
      title={`Open a shell in ${target.pod}`}
      onClose={onCancel}
      footer={
        <>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" form="shell-container-form" className="primary" disabled={!choice}>
            Open shell
          </button>
        </>
      }
    >
      <form
        id="shell-container-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (choice) onPick(choice);
        }}
      >
        <label className="field">
          <span>Container</span>
          <select value={choice} onChange={(e) => setChoice(e.target.value)} autoFocus>
            {!runnable && <option value="">no running container</option>}
            {containers.map((c) => (
              <option key={c.name} value={c.name} disabled={c.state !== 'running'}>
                {c.state === 'running' ? c.name : `${c.name} (${containerStateText(c)})`}
              </option>
            ))}
          </select>
        </label>
        {!runnable && (
          <p className="error-box" role="alert">
            No container of {target.namespace}/{target.pod} is running.
          </p>
        )}
      </form>
    </Dialog>
  );
}

export function ShellTray() {
  const shells = useShells();
  const { sessions, visible } = shells;
  const [height, setHeight] = usePanelHeight();
  if (sessions.length === 0) return null;
  const focusTab = (key: string) => requestAnimationFrame(() => document.getElementById(`shell-tab-${key}`)?.focus());
  return (
    <div className="tray" role="region" aria-label="Shells">
      {sessions.map((s) => (
        <ShellPanel
          key={s.key}
          session={s}
          label={sessionLabel(sessions, s.key)}
          visible={visible === s.key}
          height={height}
          onResize={setHeight}
          onMinimize={() => {
            shells.minimize(s.key);
            focusTab(s.key);
          }}
        />
      ))}
      <div className="shell-bar">
        <select
          aria-label="Open shells"
          value={visible ?? ''}
          onChange={(e) => {
            const key = e.target.value;
            if (key) shells.show(key);
            else if (visible) shells.minimize(visible);
          }}
        >
          <option value="">{visible ? 'Minimize all' : `${sessions.length} minimized`}</option>
          {sessions.map((s) => (
            <option key={s.key} value={s.key}>
              {sessionLabel(sessions, s.key)} @{' '}
              {s.target.node !== undefined ? s.target.cluster : `${s.target.cluster}/${s.target.namespace}`} —{' '}
              {statusText(s)}
            </option>
          ))}
        </select>
        <div className="shell-tabs">
          {sessions.map((s) => {
            const label = sessionLabel(sessions, s.key);
            return (
              <button
                key={s.key}
                id={`shell-tab-${s.key}`}
                type="button"
                className="shell-tab"
                aria-current={visible === s.key ? 'true' : undefined}
                aria-label={`${label} (${statusText(s)})`}
                title={`${sessionTitle(s.target)} — ${statusText(s)}`}
                onClick={() => shells.show(s.key)}
              >
                <span className={`dot ${statusDot(s)}`} aria-hidden="true" />
                {label}
              </button>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function ShellPanel({
  session,
  label,
  visible,
  height,
  onResize,
  onMinimize,
}: {
  session: SessionView;
  label: string;
  visible: boolean;
  height: number;
  onResize: (h: number) => void;
  onMinimize: () => void;
}) {
  const shells = useShells();
  const host = useRef<HTMLDivElement>(null);
  const rt = shells.runtime(session.key);

  useEffect(() => {
    const el = host.current;
    if (!el || !rt) return;
    rt.attach(el);
    return () => rt.detach(el);
  }, [rt]);

  useEffect(() => {
    if (!visible || !rt) return;
    // Shown again: fit to the panel (it measured 0 while hidden) and take the keyboard.
    const id = requestAnimationFrame(() => {
      rt.fit();
      rt.focus();
    });
    return () => cancelAnimationFrame(id);
  }, [visible, rt]);

  const ended = session.status === 'ended';
  const t = session.target;
  const closeShell = () => {
    shells.close(session.key);
    requestAnimationFrame(() => document.querySelector<HTMLElement>('.shell-bar select')?.focus());
  };
  return (
    <section className="shell-panel" aria-label={`Shell ${label}`} hidden={!visible}>
      <ResizeHandle height={height} onResize={onResize} />
      <header className="shell-head">
        <span className={`dot ${statusDot(session)}`} aria-hidden="true" />
        <span className="shell-title" title={sessionTitle(t)}>
          {sessionTitle(t)}
        </span>
        <span className="hint">
          {statusText(session)}
          {session.sessionId && !ended ? ` · session ${session.sessionId.slice(0, 8)}` : ''}
        </span>
        <span className="shell-notice" role="status">
          {ended ? session.ended?.notice : session.error ? `Error: ${session.error}` : ''}
        </span>
        {ended && (
          <button type="button" aria-label={`Reconnect shell ${label}`} onClick={() => shells.reconnect(session.key)}>
            Reconnect
          </button>
        )}
        <button type="button" aria-label={`Minimize shell ${label}`} onClick={onMinimize}>
          Minimize
        </button>
        <button type="button" aria-label={`Close shell ${label}`} onClick={closeShell}>
          {ended ? 'Close' : 'Close shell'}
        </button>
      </header>
      {session.participants.length > 1 || t.join ? (
        <p className="hint shell-people" aria-label={`In shell ${label}`}>
          {t.join ? `You joined as ${t.join.mode}. ` : ''}In this session:{' '}
          {session.participants.map((p) => `${p.user} (${p.role})`).join(', ')}
        </p>
      ) : null}
      {session.sessionId && !t.join && !ended ? (
        <p className="hint shell-people">
          Others with shell access here can watch or join:{' '}
          <a href={`/join/${session.sessionId}`} aria-label={`Invite link of shell ${label}`}>
            /join/{session.sessionId}
          </a>
        </p>
      ) : null}
      <div className="shell-term-host" ref={host} />
    </section>
  );
}

/** The panel's top edge: drag it, or focus it and use the arrows, Page Up/Down, Home and End (a window splitter). */
function ResizeHandle({ height, onResize }: { height: number; onResize: (h: number) => void }) {
  const { min, max } = panelBounds(window.innerHeight);
  return (
    <div
      className="shell-resize"
      role="separator"
      aria-orientation="horizontal"
      aria-label="Resize shell panel"
      aria-valuemin={min}
      aria-valuemax={max}
      aria-valuenow={height}
      aria-valuetext={`${height} pixels high`}
      tabIndex={0}
      onKeyDown={(e) => {
        const next = panelHeightAfterKey(e.key, height, window.innerHeight);
        if (next === undefined) return;
        e.preventDefault();
        onResize(next);
      }}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        const el = e.currentTarget;
        el.setPointerCapture(e.pointerId);
        // The panel's bottom stays put (above the tray): its height follows the pointer.
        const bottom = el.parentElement?.getBoundingClientRect().bottom ?? window.innerHeight;
        const move = (ev: PointerEvent) => onResize(bottom - ev.clientY);
        const up = () => {
          el.removeEventListener('pointermove', move);
          el.removeEventListener('pointerup', up);
          el.removeEventListener('pointercancel', up);
        };
        el.addEventListener('pointermove', move);
        el.addEventListener('pointerup', up);
        el.addEventListener('pointercancel', up);
      }}
    />
  );
}
