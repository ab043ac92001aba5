// The agent's pod shell sessions: the hub asks (shell.open) over the link, the
// agent opens an exec (TTY + stdin) through the Kubernetes API and relays bytes
// both ways as binary link frames. Per session and direction the sender holds
// a credit window (see protocol/shell.ts): out of output credit, the exec
// socket is paused, so a slow browser costs at most one window here.
import type { KubeClientConfig } from '../kube-config.js';
import type { Logger } from 'pino';
import {
  SHELL_CHANNELS,
  SHELL_DEFAULT_WINDOW,
  SHELL_MAX_CHUNK,
  decodeShellFrame,
  encodeShellFrame,
  encodeShellFrameParts,
  type ShellAgentMessage,
  type ShellEndReason,
  type ShellHubMessage,
  type ShellOpenMessage,
} from '@wheelhouse/protocol';
import { KubeExec, isMissingExecutable, type ExecStatus } from './kube-exec.js';
import { NODE_SHELL_CONTAINER, nodeShellPodName } from '@wheelhouse/protocol';
import type { NodeShellPods } from './node-shell-pods.js';
import { errorText } from '@wheelhouse/exec-guard/kube-errors';

/** The default command: bash, then sh. */
export const DEFAULT_SHELLS: readonly string[][] = [['bash'], ['sh']];

export interface ShellIdentity {
  /** The KubeConfig to exec with. */
  kc: KubeClientConfig;
  /** The Kubernetes user the exec runs as, when it is not the agent's own (impersonation). */
  kubeUser?: string;
}

export interface AgentShellOptions {
  kc: KubeClientConfig;
  log: Logger;
  /** Whether the podExec tier is enabled on this agent. */
  enabled: boolean;
  send: (msg: ShellAgentMessage) => boolean;
  sendFrame: (frame: Buffer) => boolean;
  /**
   * Attribution hook: how to exec on behalf of a Wheelhouse user. Impersonation
   * (packages/agent/src/impersonation.ts) plugs in here; without it the exec
   * runs as the agent's ServiceAccount and the hub's session record names the user.
   */
  identityFor?: (user: string, groups?: readonly string[]) => ShellIdentity;
  /** Input credit granted to the hub per session (default SHELL_DEFAULT_WINDOW). */
  window?: number;
  /** Node shells (their own opt-in): the pods behind them. Absent: node shells are refused. */
  nodeShells?: NodeShellPods;
}

export interface AgentShellStats {
  sessions: number;
  /** Output bytes sent to the hub and not yet credited back, over all sessions. */
  inFlightBytes: number;
  /** The largest inFlightBytes seen (the flow-control bound under test). */
  maxInFlightBytes: number;
  /** Stdin bytes handed to exec sockets and not yet flushed. */
  stdinPendingBytes: number;
  /** Times a session ran out of output credit and its exec stream was paused. */
  outputPauses: number;
  /** Milliseconds sessions spent paused for output credit, summed (how much flow control held the output back). */
  outputPausedMs: number;
  /** Output frames sent to the hub, and their payload bytes. */
  outputFrames: number;
  outputBytes: number;
}

interface Session {
  id: string;
  open: ShellOpenMessage;
  exec: KubeExec | null;
  outCredit: number;
  inFlight: number;
  stdinPending: number;
  stdinAck: number;
  idle: NodeJS.Timeout | null;
  ended: boolean;
  /** performance.now() when the exec was paused for output credit (0: not paused). */
  pausedAt: number;
  /** Output read from the exec in this turn of the event loop, not yet framed (see queueOutput). */
  pending: { channel: 1 | 2; payload: Buffer }[];
  pendingBytes: number;
  /** A node shell's pod, deleted when the session ends. */
  nodePod?: string;
}

/** Whether a session ended during an await (a function, so TypeScript re-reads the field). */
const endedMeanwhile = (s: Session): boolean => s.ended;

export class AgentShellManager {
  private readonly sessions = new Map<string, Session>();
  private maxInFlight = 0;
  private inFlightTotal = 0;
  private outputPauses = 0;
  private outputPausedMs = 0;
  private outputFrames = 0;
  private outputBytes = 0;
  private readonly window: number;

  constructor(private readonly opts: AgentShellOptions) {
    this.window = opts.window ?? SHELL_DEFAULT_WINDOW;
  }

  stats(): AgentShellStats {
    let inFlightBytes = 0;
    let stdinPendingBytes = 0;
    for (const s of this.sessions.values()) {
      inFlightBytes += s.inFlight;
      stdinPendingBytes += s.stdinPending;
    }
    return {
      sessions: this.sessions.size,
      inFlightBytes,
      maxInFlightBytes: this.maxInFlight,
      stdinPendingBytes,
      outputPauses: this.outputPauses,
      outputPausedMs: Math.round(this.outputPausedMs),
      outputFrames: this.outputFrames,
      outputBytes: this.outputBytes,
    };
  }

  onControl(msg: ShellHubMessage): void {
    switch (msg.type) {
      case 'shell.open':
        void this.open(msg);
        return;
      case 'shell.resize':
        this.sessions.get(msg.sessionId)?.exec?.resize(msg.cols, msg.rows);
        this.touch(msg.sessionId);
        return;
      case 'shell.credit': {
        const s = this.sessions.get(msg.sessionId);
        if (!s) return;
        s.outCredit += msg.bytes;
        const acked = Math.min(s.inFlight, msg.bytes);
        s.inFlight -= acked;
        this.inFlightTotal -= acked;
        if (s.outCredit > 0 && s.exec?.isPaused) {
          s.exec.resume();
          this.outputPausedMs += performance.now() - s.pausedAt;
          s.pausedAt = 0;
        }
        return;
      }
      case 'shell.close': {
        const s = this.sessions.get(msg.sessionId);
        if (s) this.end(s, null);
        return;
      }
      case 'shell.ping':
        this.opts.send({ type: 'shell.pong', t: msg.t });
        return;
    }
  }

  /** Stdin from the hub. */
  onFrame(frame: Buffer): void {
    let decoded;
    try {
      decoded = decodeShellFrame(frame);
    } catch (err) {
      this.opts.log.warn({ err: errorText(err) }, 'bad shell frame from the hub; ignored');
      return;
    }
    const s = this.sessions.get(decoded.sessionId);
    if (!s?.exec || decoded.channel !== SHELL_CHANNELS.stdin) return;
    const n = decoded.payload.length;
    s.stdinPending += n;
    this.touch(s.id);
    // Copy: the payload is a view into the link's receive buffer.
    s.exec.write(Buffer.from(decoded.payload), () => {
      s.stdinPending -= n;
      s.stdinAck += n;
      // Credit in batches of a quarter window: the sender still has three quarters, so typing never stalls.
      if (!s.ended && s.stdinAck >= this.window / 4) {
        this.opts.send({ type: 'shell.credit', sessionId: s.id, bytes: s.stdinAck });
        s.stdinAck = 0;
      }
    });
  }

  /** The hub link dropped: every exec goes (the hub has already told its clients), node-shell pods with them. */
  closeAll(): void {
    for (const s of [...this.sessions.values()]) this.end(s, null);
  }

  /** Ids of the sessions alive here, opening ones included (the node-shell reaper keeps their pods). */
  liveSessionIds(): ReadonlySet<string> {
    return new Set(this.sessions.keys());
  }

  /**
   * A node shell: the session is registered first (so a close or a reaper pass meanwhile sees it), then its
   * pod is created and awaited, then the agent's node-shell command runs in it as the agent (the hub checked
   * node:shell; the agent's RBAC for this is a Role in the node-shell namespace only).
   */
  private async openNode(msg: ShellOpenMessage, node: string): Promise<void> {
    const fail = (message: string): void => this.failOpen(msg.sessionId, message);
    const pods = this.opts.nodeShells;
    if (!pods) return fail("node shells are not enabled on this cluster's agent (tiers: nodeShell)");
    if (
      msg.namespace !== pods.namespace ||
      msg.pod !== nodeShellPodName(msg.sessionId) ||
      msg.container !== NODE_SHELL_CONTAINER
    )
      return fail(
        `a node shell's pod is ${pods.namespace}/${nodeShellPodName(msg.sessionId)} on this agent, not ${msg.namespace}/${msg.pod}`,
      );
    if (this.sessions.has(msg.sessionId)) return;
    const s: Session = { ...newSession(msg), nodePod: msg.pod };
    this.sessions.set(s.id, s);
    try {
      await pods.create(s.id, node, msg.user);
    } catch (err) {
      if (s.ended) return;
      this.sessions.delete(s.id);
      s.ended = true;
      return fail(errorText(err));
    }
    // Ended while the pod started (the person closed the shell, the link dropped): end() asked to delete it,
    // possibly before it existed, so once more now.
    if (s.ended) return void pods.delete(msg.pod);
    const r = await this.attempt(s, { kc: this.opts.kc }, [...pods.command], false);
    if (r === 'running' || endedMeanwhile(s)) return;
    this.end(s, null);
    fail(`node shell on "${node}": ${r.message}`);
  }

  /** An open that cannot go ahead: the hub hears why, then that the session is closed. */
  private failOpen(sessionId: string, message: string): void {
    this.opts.send({ type: 'shell.error', sessionId, message });
    this.opts.send({ type: 'shell.closed', sessionId, reason: 'error' });
  }

  private async open(msg: ShellOpenMessage): Promise<void> {
    const fail = (message: string): void => this.failOpen(msg.sessionId, message);
    if (msg.node !== undefined) return this.openNode(msg, msg.node);
    if (!this.opts.enabled) return fail("the podExec tier is not enabled for this cluster's agent (shell=false)");
    if (this.sessions.has(msg.sessionId)) return;
    const s = newSession(msg);
    this.sessions.set(s.id, s);
    let identity: ShellIdentity;
    try {
      identity = this.opts.identityFor ? this.opts.identityFor(msg.user, msg.groups) : { kc: this.opts.kc };
    } catch (err) {
      this.sessions.delete(s.id);
      return fail(`cannot exec as ${msg.user}: ${errorText(err)}`);
    }
    const candidates = msg.command ? [msg.command] : DEFAULT_SHELLS;
    const tried: string[] = [];
    for (const command of candidates) {
      if (s.ended) return;
      const r = await this.attempt(s, identity, command, candidates.length > 1);
      if (r === 'running') return;
      tried.push(`${command.join(' ')}: ${r.message}`);
      if (!r.missing) break;
    }
    if (s.ended) return;
    this.sessions.delete(s.id);
    s.ended = true;
    const message = msg.command
      ? (tried[0] ?? 'exec failed')
      : tried.length === DEFAULT_SHELLS.length
        ? `neither bash nor sh exists in container "${msg.container}" (${tried.join('; ')}); pass a command`
        : tried.join('; ');
    fail(message);
  }

  /**
   * Opens one exec. With a fallback left, a missing executable reported before
   * any output means "try the next shell" rather than the end of the session.
   */
  private async attempt(
    s: Session,
    identity: ShellIdentity,
    command: string[],
    canFallBack: boolean,
  ): Promise<'running' | { message: string; missing: boolean }> {
    const o = s.open;
    let exec: KubeExec;
    try {
      exec = await KubeExec.open(identity.kc, {
        namespace: o.namespace,
        pod: o.pod,
        container: o.container,
        command,
        tty: o.tty,
      });
    } catch (err) {
      return { message: errorText(err), missing: false };
    }
    if (s.ended) {
      exec.close();
      return 'running';
    }
    const early: [1 | 2, Buffer][] = [];
    if (canFallBack) {
      // A missing executable is reported within milliseconds of the upgrade; wait briefly for it,
      // keeping any output that arrives meanwhile.
      const collect = (channel: 1 | 2, payload: Buffer): void => {
        early.push([channel, payload]);
      };
      exec.on('data', collect);
      const status = await new Promise<ExecStatus | null>((resolve) => {
        const t = setTimeout(() => resolve(null), 250);
        exec.once('status', (st) => {
          clearTimeout(t);
          resolve(st);
        });
        exec.once('data', () => {
          clearTimeout(t);
          resolve(null);
        });
        exec.once('close', () => {
          clearTimeout(t);
          resolve({ exitCode: null, message: 'the exec stream closed at once' });
        });
        exec.start();
      });
      exec.off('data', collect);
      if (status && early.length === 0 && isMissingExecutable(status)) {
        exec.close();
        return { message: status.message ?? `exit code ${status.exitCode ?? '?'}`, missing: true };
      }
      if (status) {
        // It ran and ended at once (e.g. exit 0): report like any session.
        this.attach(s, exec, command, identity, early);
        this.onStatus(s, status);
        return 'running';
      }
    }
    this.attach(s, exec, command, identity, early);
    return 'running';
  }

  private attach(
    s: Session,
    exec: KubeExec,
    command: string[],
    identity: ShellIdentity,
    early: [1 | 2, Buffer][],
  ): void {
    s.exec = exec;
    this.opts.send({
      type: 'shell.opened',
      sessionId: s.id,
      command,
      window: this.window,
      ...(identity.kubeUser ? { kubeUser: identity.kubeUser } : {}),
    });
    this.opts.log.info(
      {
        session: s.id,
        user: s.open.user,
        namespace: s.open.namespace,
        pod: s.open.pod,
        container: s.open.container,
        command,
      },
      'shell opened',
    );
    exec.resize(s.open.cols, s.open.rows);
    this.touch(s.id);
    for (const [channel, payload] of early) this.relay(s, channel, payload);
    exec.on('data', (channel, payload) => this.relay(s, channel, payload));
    exec.on('status', (st) => this.onStatus(s, st));
    exec.on('close', () => {
      if (!s.ended) this.end(s, 'closed');
    });
    exec.start();
  }

  /**
   * Output from the exec. A TTY exec delivers the pty's reads, ~4 KiB each, and
   * one read of the API server's socket holds many of them: they are gathered
   * and sent as one frame (up to SHELL_MAX_CHUNK) once the event loop has
   * handled the I/O at hand (setImmediate: the check phase right after poll;
   * not a microtask, which would run after each TLS record), so bulk output
   * costs one link frame per 64 KiB instead of one per 4 KiB, and a
   * keystroke's echo waits for no timer.
   */
  private relay(s: Session, channel: 1 | 2, payload: Buffer): void {
    if (s.ended || !s.exec) return;
    if (s.pendingBytes === 0) {
      this.touch(s.id);
      setImmediate(() => this.flush(s));
    }
    s.pending.push({ channel, payload });
    s.pendingBytes += payload.length;
    s.outCredit -= payload.length;
    s.inFlight += payload.length;
    this.inFlightTotal += payload.length;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlightTotal);
    if (s.outCredit <= 0 && !s.exec.isPaused) {
      this.outputPauses++;
      s.pausedAt = performance.now();
      s.exec.pause();
    }
  }

  /** Sends the gathered output: consecutive payloads of one channel share a frame. */
  private flush(s: Session): void {
    const pending = s.pending;
    if (pending.length === 0) return;
    s.pending = [];
    s.pendingBytes = 0;
    if (s.ended) return;
    let i = 0;
    while (i < pending.length) {
      const channel = (pending[i] as { channel: 1 | 2 }).channel;
      let j = i;
      let size = 0;
      for (; j < pending.length; j++) {
        const p = pending[j] as { channel: 1 | 2; payload: Buffer };
        if (p.channel !== channel || (size > 0 && size + p.payload.length > SHELL_MAX_CHUNK)) break;
        size += p.payload.length;
      }
      const wire = channel === 1 ? SHELL_CHANNELS.stdout : SHELL_CHANNELS.stderr;
      const first = (pending[i] as { payload: Buffer }).payload;
      if (j - i === 1 && first.length > SHELL_MAX_CHUNK) {
        // One payload larger than a frame (never from a pty, possible without a TTY): split.
        for (let k = 0; k < first.length; k += SHELL_MAX_CHUNK) {
          this.opts.sendFrame(encodeShellFrame(s.id, wire, first.subarray(k, k + SHELL_MAX_CHUNK)));
          this.outputFrames++;
        }
      } else {
        this.opts.sendFrame(
          encodeShellFrameParts(
            s.id,
            wire,
            pending.slice(i, j).map((p) => p.payload),
          ),
        );
        this.outputFrames++;
      }
      this.outputBytes += size;
      i = j;
    }
  }

  private onStatus(s: Session, st: ExecStatus): void {
    if (s.ended) return;
    this.flush(s); // the output before the exit, in order
    if (st.exitCode !== null) this.opts.send({ type: 'shell.exit', sessionId: s.id, code: st.exitCode });
    else this.opts.send({ type: 'shell.error', sessionId: s.id, message: st.message ?? 'exec failed' });
    this.end(s, st.exitCode !== null ? 'closed' : 'error');
  }

  private touch(id: string): void {
    const s = this.sessions.get(id);
    if (!s || s.ended || s.open.idleTimeoutMs <= 0) return;
    if (s.idle) s.idle.refresh();
    else {
      s.idle = setTimeout(() => {
        this.opts.send({
          type: 'shell.error',
          sessionId: s.id,
          message: `closed after ${Math.round(s.open.idleTimeoutMs / 1000)} s without input or output`,
        });
        this.end(s, 'idle');
      }, s.open.idleTimeoutMs);
      s.idle.unref();
    }
  }

  /** Ends a session; reason null means the hub ended it (nothing to report back). */
  private end(s: Session, reason: ShellEndReason | null): void {
    if (s.ended) return;
    // Output read before the end goes first, unless the hub ended the session (nobody reads it then).
    if (reason) this.flush(s);
    s.ended = true;
    if (s.idle) clearTimeout(s.idle);
    this.sessions.delete(s.id);
    this.inFlightTotal -= s.inFlight;
    s.inFlight = 0;
    s.exec?.close();
    if (s.nodePod) void this.opts.nodeShells?.delete(s.nodePod);
    if (reason) this.opts.send({ type: 'shell.closed', sessionId: s.id, reason });
    this.opts.log.info({ session: s.id, reason: reason ?? 'closed by hub' }, 'shell ended');
  }
}

/** A session as an open message starts it: no exec yet, the hub's whole output window as credit. */
function newSession(msg: ShellOpenMessage): Session {
  return {
    id: msg.sessionId,
    open: msg,
    exec: null,
    outCredit: msg.window,
    inFlight: 0,
    stdinPending: 0,
    stdinAck: 0,
    idle: null,
    ended: false,
    pending: [],
    pendingBytes: 0,
    pausedAt: 0,
  };
}
