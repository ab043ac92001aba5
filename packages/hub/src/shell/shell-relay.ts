// The hub's pod shell relay: one client WebSocket per session on one side,
// the cluster's agent link (shared by every session of the cluster) on the
// other. Bytes are forwarded both ways with credit-based flow control:
//   output: the agent may have `window` bytes unacknowledged; the hub credits
//           them back only once the client socket has flushed them, so a slow
//           reader stalls the exec stream instead of filling the hub's memory;
//   input:  the hub may send `window` stdin bytes ahead of the agent's credit;
//           out of credit it stops reading the client socket.
// Sessions end on client close, exit, idle timeout, agent loss or error; each
// start and end is recorded (row, audit, timeline) by ./shell-records.ts. An open
// the agent neither opens nor refuses within a bound (openTimeoutMs) ends with an
// error: a lost open never leaves the person waiting on silence.
//
// Shared shells: others join a live session (join()) as observers (output
// only; their input is refused) or peers (their input goes to the owner's
// exec). Joiners never hold the exec's flow control: one that falls more than
// JOINER_MAX_BUFFERED behind is dropped. A moderated session (policy
// requireObserver) drops input while no observer watches.
//
// Reattach: the OWNER's client going away without closing (page reload, lost
// network: close codes 1001/1006) only detaches (joiners leaving never do):
// the exec keeps running, joiners stay and keep the output, which also goes to
// a bounded scrollback (and is credited at once), and the same user may take the
// session back (`?session=`, scrollback replayed to the owner only) within the
// grace period; after it the session ends with reason `detached` for everyone.
// A detached session lives in this process: with replicas, reattach needs the
// same replica (docs/pod-shell.md).
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import {
  SHELL_CHANNELS,
  SHELL_OUTPUT_WINDOW,
  SHELL_MAX_CHUNK,
  SHELL_MAX_PARTICIPANTS,
  ShellClientControl,
  decodeShellFrame,
  encodeShellFrame,
  nodeShellPodName,
  type ShellAgentMessage,
  type ShellEndReason,
  type ShellHubMessage,
  type ShellJoinMode,
  type ShellParticipant,
  type ShellServerControl,
} from '@wheelhouse/protocol';
import { SOCKET_CLOSE_REVOKED } from '../http/socket-registry.js';
import type { ForeignTarget } from '../link/agent-link.js';
import type { HubMetrics } from '../metrics.js';
import { DEFAULT_SHELL_COMMAND, commandLine, type ShellRecords, type ShellSessionFacts } from './shell-records.js';
import { Scrollback } from './scrollback.js';
import { Recorder, type ShellStore } from './shell-store.js';

export interface ShellPolicy {
  /** Without input or output for this long, the session closes (0: never). */
  idleTimeoutMs: number;
  /** Record the session (asciicast v2 in the hub's store). */
  record: boolean;
  /** Record keystrokes too (off by default: they may contain secrets). */
  captureInput: boolean;
  /** Moderated sessions: input is accepted only while at least one observer has joined (default off). */
  requireObserver: boolean;
  /** A session whose client went away without closing waits this long to be reattached (0: ends at once). */
  detachGraceMs: number;
}

export interface ShellClusterPolicy extends Partial<ShellPolicy> {
  /** Per-namespace overrides. */
  namespaces?: Record<string, Partial<ShellPolicy>>;
}

export interface ShellOptions extends Partial<ShellPolicy> {
  /** Open sessions per user at once (default 10). */
  maxSessionsPerUser?: number;
  /** Recording size cap per session in bytes (default 5 MiB); a recorded session is ended when it is reached. */
  recordingMaxBytes?: number;
  /** Output flow-control window per session (default 4 MiB, SHELL_OUTPUT_WINDOW; the agent grants input its own). */
  window?: number;
  /** A cluster with sessions whose agent has not answered a shell ping for this long loses them (default 4 s). */
  agentLostAfterMs?: number;
  /** Refused shells one user may put on pod timelines per minute (default 5; every refusal is audited). */
  refusalEventsPerMinute?: number;
  /** Per-cluster overrides (idle timeout, recording). */
  clusters?: Record<string, ShellClusterPolicy>;
  /** Recent output kept per session for a reattaching client (default 256 KiB). */
  scrollbackBytes?: number;
  /**
   * A pod shell whose agent has neither opened nor refused it this long after the request ends with an
   * error (default 30 s): an open lost on the way must not leave the person waiting on silence.
   */
  openTimeoutMs?: number;
  /** The same for a node shell (default 90 s: the agent waits up to 60 s for the pod to run). */
  nodeShellOpenTimeoutMs?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_RECORDING_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_DETACH_GRACE_MS = 60_000;
export const DEFAULT_SCROLLBACK_BYTES = 256 * 1024;
export const DEFAULT_OPEN_TIMEOUT_MS = 30_000;
export const DEFAULT_NODE_SHELL_OPEN_TIMEOUT_MS = 90_000;

/** Close codes of a client that went away without ending the session: 1001 going away (reload), 1006 abnormal (network). */
const WENT_AWAY = new Set([1001, 1006]);

/** What the relay needs from the agent link. */
export interface ShellLinkPort {
  sendShell(cluster: string, msg: ShellHubMessage | Buffer): boolean;
  isConnected(cluster: string): boolean;
  /** Reports a message that named another cluster's session (logged and counted by the link). */
  refuseForeign?(cluster: string, what: ForeignTarget, id: string): void;
}

/** What the agent link hands to the relay. */
export interface ShellLinkHandler {
  onFrame(cluster: string, frame: Buffer): void;
  onControl(cluster: string, msg: ShellAgentMessage): void;
  onAgentGone(cluster: string, reason: string): void;
}

export interface ShellStartRequest {
  user: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  /** null: the default shell (bash, then sh). */
  command: string[] | null;
  clientAddress: string;
  cols: number;
  rows: number;
  owner?: { kind: string; name: string };
  /** Take back this detached session instead of starting one (checked by canReattach before the upgrade). */
  reattach?: string;
  /**
   * A node shell on this node: the agent creates the pod (`pod` is then set here to nodeShellPodName(session id),
   * `namespace` is the agent's node-shell namespace) and deletes it when the session ends.
   */
  node?: string;
}

/** A joiner that has this much output queued and unsent is dropped (it never slows the exec). */
export const JOINER_MAX_BUFFERED = 1024 * 1024;

interface Joiner {
  user: string;
  role: ShellJoinMode;
  joinedAt: number;
}

/** What a join needs to know of a live session (route checks). */
export interface LiveSessionFacts {
  id: string;
  user: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  participants: number;
  /** A node shell's node (joining it needs node:shell). */
  node?: string;
}

interface Session {
  id: string;
  req: ShellStartRequest;
  policy: ShellPolicy;
  /** null while detached. */
  client: WebSocket | null;
  startedAt: number;
  state: 'opening' | 'open' | 'ended';
  /** The command asked for, then the one the agent ran. */
  command: readonly string[];
  /** Stdin bytes the hub may still send. */
  inCredit: number;
  /** Output bytes handed to the client socket and not yet flushed. */
  outPending: number;
  /** Flushed output bytes not yet credited back to the agent. */
  outAck: number;
  clientPaused: boolean;
  idle: NodeJS.Timeout | null;
  exitCode: number | null;
  recorder: Recorder | null;
  joiners: Map<WebSocket, Joiner>;
  /** Peer sockets paused while the exec had no input credit. */
  pausedPeers: Set<WebSocket>;
  /** Moderated and without an observer: whether the people typing have been told. */
  heldNotified: boolean;
  scrollback: Scrollback;
  /** Set while detached, with the timer that ends the session when nobody comes back. */
  detached: { at: number; timer: NodeJS.Timeout } | null;
  /** Ends the session if the agent has not answered the open in time (cleared once opened or ended). */
  openDeadline: NodeJS.Timeout | null;
  /** The start's record being written (the end's record waits for it, so the row and audit stay in order). */
  startRecord: Promise<void> | null;
}

export interface ShellRelayDeps {
  store: ShellStore;
  records: ShellRecords;
  metrics: HubMetrics;
  log: FastifyBaseLogger;
  options: ShellOptions;
}

/** Whether a call on an open session (recording, which may hit the cap) has ended it; a function, so TS re-reads state. */
const endedMeanwhile = (s: Session): boolean => s.state === 'ended';

export class ShellRelay implements ShellLinkHandler {
  private readonly sessions = new Map<string, Session>();
  private link: ShellLinkPort | null = null;
  private readonly window: number;
  private buffered = 0;
  private maxBuffered = 0;
  private readonly lastPong = new Map<string, number>();
  /** Session ends still being written (hub shutdown waits for them). */
  private readonly writing = new Set<Promise<void>>();
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly deps: ShellRelayDeps) {
    this.window = deps.options.window ?? SHELL_OUTPUT_WINDOW;
    // A link can go silent without closing; while sessions are open, probe it every second.
    this.pinger = setInterval(() => this.probe(), 1000);
    this.pinger.unref();
  }

  attach(link: ShellLinkPort): void {
    this.link = link;
  }

  policy(cluster: string, namespace: string): ShellPolicy {
    const o = this.deps.options;
    const c = o.clusters?.[cluster];
    const ns = c?.namespaces?.[namespace];
    return {
      idleTimeoutMs: ns?.idleTimeoutMs ?? c?.idleTimeoutMs ?? o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      record: ns?.record ?? c?.record ?? o.record ?? true,
      captureInput: ns?.captureInput ?? c?.captureInput ?? o.captureInput ?? false,
      requireObserver: ns?.requireObserver ?? c?.requireObserver ?? o.requireObserver ?? false,
      detachGraceMs: ns?.detachGraceMs ?? c?.detachGraceMs ?? o.detachGraceMs ?? DEFAULT_DETACH_GRACE_MS,
    };
  }

  get recordingMaxBytes(): number {
    return this.deps.options.recordingMaxBytes ?? DEFAULT_RECORDING_MAX_BYTES;
  }

  get maxSessionsPerUser(): number {
    return this.deps.options.maxSessionsPerUser ?? 10;
  }

  activeFor(user: string): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.req.user === user) n++;
    return n;
  }

  stats(): { sessions: number; bufferedBytes: number; maxBufferedBytes: number } {
    return { sessions: this.sessions.size, bufferedBytes: this.buffered, maxBufferedBytes: this.maxBuffered };
  }

  /**
   * Starts a session on an upgraded client socket. Listeners are attached
   * before anything async, and the socket is paused until the exec is open,
   * so early keystrokes wait rather than vanish.
   */
  start(client: WebSocket, reqIn: ShellStartRequest): void {
    const id = randomUUID();
    // A node shell's pod is named after its session, so it is recorded before the agent creates it.
    const req = reqIn.node !== undefined ? { ...reqIn, pod: nodeShellPodName(id) } : reqIn;
    const s: Session = {
      id,
      req,
      policy: this.policy(req.cluster, req.namespace),
      client,
      startedAt: Date.now(),
      state: 'opening',
      command: req.command ?? DEFAULT_SHELL_COMMAND,
      inCredit: 0,
      outPending: 0,
      outAck: 0,
      clientPaused: true,
      idle: null,
      exitCode: null,
      recorder: null,
      joiners: new Map(),
      pausedPeers: new Set(),
      heldNotified: false,
      scrollback: new Scrollback(this.deps.options.scrollbackBytes ?? DEFAULT_SCROLLBACK_BYTES),
      detached: null,
      openDeadline: null,
      startRecord: null,
    };
    client.pause();
    this.sessions.set(s.id, s);
    this.deps.metrics.shellSessions.set(this.sessions.size);
    if (!this.lastPong.has(req.cluster)) this.lastPong.set(req.cluster, Date.now());
    this.bindClient(s, client);
    // Counted from the request, so a start record that never completes ends the session too.
    const o = this.deps.options;
    const bound =
      req.node !== undefined
        ? (o.nodeShellOpenTimeoutMs ?? DEFAULT_NODE_SHELL_OPEN_TIMEOUT_MS)
        : (o.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS);
    s.openDeadline = setTimeout(() => this.noAnswer(s, bound), bound);
    s.openDeadline.unref();
    void this.begin(s);
  }

  /** The open got no answer in time (lost on the way, or an agent that never replies): the person is told. */
  private noAnswer(s: Session, bound: number): void {
    s.openDeadline = null;
    if (s.state !== 'opening') return;
    this.deps.log.warn({ session: s.id, cluster: s.req.cluster, boundMs: bound }, 'shell open got no answer');
    this.toClient(s, {
      type: 'error',
      message: `the agent of cluster "${s.req.cluster}" did not answer the ${s.req.node !== undefined ? 'node shell' : 'pod shell'} open within ${bound / 1000} s; the session was ended, try again`,
    });
    // The agent is told too: should the open reach it late, it closes the exec (and deletes a node shell's pod).
    this.end(s, 'error', { notifyAgent: true });
  }

  private bindClient(s: Session, client: WebSocket): void {
    client.on('message', (data, isBinary) => {
      if (s.client === client) this.fromClient(s, data, isBinary);
    });
    client.on('close', (code) => {
      if (s.client !== client) return;
      // A close by the socket registry (4401) means the person's access was revoked: say so in the record.
      if (code === SOCKET_CLOSE_REVOKED) this.end(s, 'revoked', { notifyAgent: true });
      else if (WENT_AWAY.has(code) && s.state === 'open' && s.policy.detachGraceMs > 0) this.detach(s);
      else this.end(s, 'closed', { notifyAgent: true });
    });
    client.on('error', () => undefined);
  }

  private detach(s: Session): void {
    s.client = null;
    s.clientPaused = false;
    const timer = setTimeout(() => this.end(s, 'detached', { notifyAgent: true }), s.policy.detachGraceMs);
    timer.unref();
    s.detached = { at: Date.now(), timer };
    // Output already handed to the old socket and not flushed is lost with it: credit it back.
    if (s.outAck > 0) this.credit(s, 0);
  }

  /** Whether `user` may take back session `id` on this pod: theirs, open, detached, same pod (and container). */
  canReattach(
    id: string,
    who: { user: string; cluster: string; namespace: string; pod: string; container: string; node?: string },
  ): boolean {
    const s = this.sessions.get(id);
    if (!s || s.state !== 'open' || !s.detached) return false;
    const r = s.req;
    return (
      r.user === who.user &&
      r.cluster === who.cluster &&
      r.namespace === who.namespace &&
      r.pod === who.pod &&
      r.container === who.container &&
      // A node shell is taken back through the node route only (its check is node:shell, not pod:exec).
      r.node === who.node
    );
  }

  /** Gives a detached session a new client: the recent output first, then live bytes as before. */
  reattach(client: WebSocket, req: ShellStartRequest): void {
    const s = req.reattach ? this.sessions.get(req.reattach) : undefined;
    if (!s || s.state !== 'open' || !s.detached || s.req.user !== req.user) {
      // It ended (or another window took it) between the check and the upgrade.
      const msg: ShellServerControl = {
        type: 'closed',
        reason: 'detached',
        message: 'the session ended before it could be reattached',
      };
      client.send(JSON.stringify(msg));
      client.close(1000, 'detached');
      return;
    }
    clearTimeout(s.detached.timer);
    const detachedMs = Date.now() - s.detached.at;
    s.detached = null;
    s.client = client;
    this.bindClient(s, client);
    const scrollback = s.scrollback.contents();
    this.toClient(s, {
      type: 'reattached',
      sessionId: s.id,
      container: s.req.container,
      command: [...s.command],
      scrollbackBytes: scrollback.length,
    });
    for (let i = 0; i < scrollback.length; i += SHELL_MAX_CHUNK)
      client.send(scrollback.subarray(i, i + SHELL_MAX_CHUNK), { binary: true });
    if (s.inCredit <= 0) {
      s.clientPaused = true;
      client.pause();
    }
    if (s.req.cols !== req.cols || s.req.rows !== req.rows) {
      this.link?.sendShell(s.req.cluster, { type: 'shell.resize', sessionId: s.id, cols: req.cols, rows: req.rows });
      s.recorder?.resize(Date.now(), req.cols, req.rows);
    }
    this.touch(s);
    this.deps.records
      .reattached(this.facts(s), {
        at: Date.now(),
        detachedMs,
        scrollbackBytes: scrollback.length,
        clientAddress: req.clientAddress,
      })
      .catch((err: unknown) => this.deps.log.error({ err, session: s.id }, 'recording the shell reattach failed'));
  }

  /** Credits `n` more flushed output bytes back to the agent, in batches of a quarter window. */
  private credit(s: Session, n: number): void {
    s.outAck += n;
    if (s.outAck >= this.window / 4 || (n === 0 && s.outAck > 0)) {
      this.link?.sendShell(s.req.cluster, { type: 'shell.credit', sessionId: s.id, bytes: s.outAck });
      s.outAck = 0;
    }
  }

  private facts(s: Session): ShellSessionFacts {
    const { req } = s;
    return {
      id: s.id,
      user: req.user,
      cluster: req.cluster,
      namespace: req.namespace,
      pod: req.pod,
      container: req.container,
      command: req.command,
      clientAddress: req.clientAddress,
      startedAt: s.startedAt,
      ...(req.owner ? { owner: req.owner } : {}),
      ...(req.node !== undefined ? { node: req.node } : {}),
      recorded: s.policy.record,
      inputCaptured: s.policy.record && s.policy.captureInput,
    };
  }

  private async begin(s: Session): Promise<void> {
    const { req } = s;
    const started = this.deps.records.started(this.facts(s));
    s.startRecord = started.then(
      () => undefined,
      () => undefined,
    );
    try {
      await started;
    } catch (err) {
      this.deps.log.error({ err }, 'recording the shell start failed');
      this.toClient(s, { type: 'error', message: 'the hub could not record the session start; try again' });
      this.end(s, 'error', { notifyAgent: false, persisted: false });
      return;
    }
    if (s.state === 'ended') return; // the client went away meanwhile (its end is recorded)
    if (s.policy.record) {
      s.recorder = new Recorder(
        this.deps.store,
        s.id,
        s.startedAt,
        {
          width: req.cols,
          height: req.rows,
          timestamp: Math.floor(s.startedAt / 1000),
          command: req.node !== undefined ? `node shell on ${req.node}` : commandLine(req.command),
          title:
            req.node !== undefined
              ? `${req.cluster}/node/${req.node}`
              : `${req.cluster}/${req.namespace}/${req.pod}/${req.container}`,
          env: { TERM: 'xterm-256color' },
        },
        this.recordingMaxBytes,
        s.policy.captureInput,
        (err) => this.deps.log.error({ err, session: s.id }, 'writing the shell recording failed'),
        // Ending (not recording on past the cap) keeps the promise of a recorded session: nothing ran unrecorded.
        () => this.end(s, 'recording-limit', { notifyAgent: true }),
      );
    }
    const sent = this.link?.sendShell(req.cluster, {
      type: 'shell.open',
      sessionId: s.id,
      cluster: req.cluster,
      namespace: req.namespace,
      pod: req.pod,
      container: req.container,
      command: req.command,
      tty: true,
      cols: req.cols,
      rows: req.rows,
      user: req.user,
      idleTimeoutMs: s.policy.idleTimeoutMs,
      window: this.window,
      ...(req.node !== undefined ? { node: req.node } : {}),
    });
    if (!sent) {
      this.toClient(s, { type: 'error', message: `the agent of cluster "${req.cluster}" is not connected` });
      this.end(s, 'agent-lost', { notifyAgent: false });
      return;
    }
    this.touch(s);
  }

  // ---- client side

  private fromClient(s: Session, data: WebSocket.RawData, isBinary: boolean): void {
    if (s.state !== 'open') return;
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!isBinary) {
      let parsed: ShellClientControl;
      try {
        parsed = ShellClientControl.parse(JSON.parse(buf.toString('utf8')));
      } catch {
        this.toClient(s, {
          type: 'error',
          message: 'text frames must be JSON control messages: {"type":"resize","cols":N,"rows":N}',
        });
        return;
      }
      this.touch(s);
      this.link?.sendShell(s.req.cluster, {
        type: 'shell.resize',
        sessionId: s.id,
        cols: parsed.cols,
        rows: parsed.rows,
      });
      s.recorder?.resize(Date.now(), parsed.cols, parsed.rows);
      return;
    }
    if (!this.sendInput(s, buf)) return;
    if (s.inCredit <= 0 && !s.clientPaused) {
      s.clientPaused = true;
      s.client?.pause();
    }
  }

  /** Input of the owner or a peer: dropped while a moderated session has no observer; false when not sent. */
  private sendInput(s: Session, buf: Buffer): boolean {
    if (this.held(s)) {
      if (!s.heldNotified) {
        s.heldNotified = true;
        this.broadcast(s, {
          type: 'moderation',
          held: true,
          message: 'input dropped: this namespace requires an observer in the session before input is accepted',
        });
      }
      return false;
    }
    this.touch(s);
    s.recorder?.input(Date.now(), buf);
    if (endedMeanwhile(s)) return false; // the recording's cap ended the session: this input is not sent
    for (let i = 0; i < buf.length; i += SHELL_MAX_CHUNK) {
      const chunk = buf.subarray(i, i + SHELL_MAX_CHUNK);
      this.link?.sendShell(s.req.cluster, encodeShellFrame(s.id, SHELL_CHANNELS.stdin, chunk));
      s.inCredit -= chunk.length;
    }
    return true;
  }

  private held(s: Session): boolean {
    if (!s.policy.requireObserver) return false;
    for (const j of s.joiners.values()) if (j.role === 'observer') return false;
    return true;
  }

  // ---- shared sessions

  /** A live (open) session, for the join route's checks; null when there is none. */
  live(id: string): LiveSessionFacts | null {
    const s = this.sessions.get(id);
    if (!s || s.state !== 'open') return null;
    const { req } = s;
    return {
      id,
      user: req.user,
      cluster: req.cluster,
      namespace: req.namespace,
      pod: req.pod,
      container: req.container,
      participants: s.joiners.size,
      ...(req.node !== undefined ? { node: req.node } : {}),
    };
  }

  get maxParticipants(): number {
    return SHELL_MAX_PARTICIPANTS;
  }

  /** Everyone in the session, the owner first. */
  participants(id: string): ShellParticipant[] {
    const s = this.sessions.get(id);
    if (!s) return [];
    return [
      { user: s.req.user, role: 'owner', joinedAt: s.startedAt },
      ...[...s.joiners.values()].map((j) => ({ user: j.user, role: j.role, joinedAt: j.joinedAt })),
    ];
  }

  /** Joins an upgraded socket to a live session (the route has checked and audited). */
  join(client: WebSocket, j: { sessionId: string; user: string; mode: ShellJoinMode }): void {
    const s = this.sessions.get(j.sessionId);
    client.on('error', () => undefined);
    if (!s || s.state !== 'open') {
      if (client.readyState === client.OPEN) {
        client.send(JSON.stringify({ type: 'closed', reason: 'closed', message: 'the session has ended' }));
        client.close(1000, 'closed');
      }
      return;
    }
    const wasHeld = this.held(s);
    s.joiners.set(client, { user: j.user, role: j.mode, joinedAt: Date.now() });
    client.on('message', (data, isBinary) => this.fromJoiner(s, client, data, isBinary));
    client.on('close', () => this.leave(s, client));
    const { req } = s;
    this.send(client, {
      type: 'joined',
      sessionId: s.id,
      role: j.mode,
      owner: req.user,
      cluster: req.cluster,
      namespace: req.namespace,
      pod: req.pod,
      container: req.container,
    });
    this.broadcast(s, { type: 'participants', participants: this.participants(s.id) });
    if (this.held(s)) {
      // A peer joining a held session is told at once, not only when it first types (the hold was announced before).
      this.send(client, {
        type: 'moderation',
        held: true,
        message: 'this namespace requires an observer in the session: input is dropped until one joins',
      });
    } else if (wasHeld) {
      s.heldNotified = false;
      this.broadcast(s, { type: 'moderation', held: false, message: `${j.user} is observing: input is accepted` });
    }
  }

  private leave(s: Session, client: WebSocket): void {
    if (!s.joiners.delete(client)) return;
    s.pausedPeers.delete(client);
    if (s.state === 'ended') return;
    this.broadcast(s, { type: 'participants', participants: this.participants(s.id) });
    if (this.held(s)) {
      s.heldNotified = true;
      this.broadcast(s, {
        type: 'moderation',
        held: true,
        message: 'no observer is left: input is dropped until one joins',
      });
    }
  }

  private fromJoiner(s: Session, client: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    const j = s.joiners.get(client);
    if (!j || s.state !== 'open') return;
    // The owner's terminal decides the size; a joiner's control frames are ignored.
    if (!isBinary) return;
    if (j.role === 'observer') {
      this.send(client, { type: 'error', message: 'you joined as an observer: your input is not sent' });
      return;
    }
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!this.sendInput(s, buf)) return;
    if (s.inCredit <= 0) {
      s.pausedPeers.add(client);
      client.pause();
    }
  }

  private send(client: WebSocket, msg: ShellServerControl): void {
    if (client.readyState === client.OPEN) client.send(JSON.stringify(msg));
  }

  /** To the owner and every joiner. */
  private broadcast(s: Session, msg: ShellServerControl): void {
    this.toClient(s, msg);
    for (const c of s.joiners.keys()) this.send(c, msg);
  }

  /** Output to joiners: a copy each; one too far behind is dropped rather than buffered without bound. */
  private toJoiners(s: Session, payload: Buffer): void {
    for (const c of [...s.joiners.keys()]) {
      if (c.readyState !== c.OPEN) continue;
      if (c.bufferedAmount > JOINER_MAX_BUFFERED) {
        this.send(c, { type: 'error', message: 'you fell too far behind the session output; rejoin to follow it' });
        c.close(1013, 'too slow');
        continue;
      }
      c.send(payload, { binary: true });
    }
  }

  private toClient(s: Session, msg: ShellServerControl): void {
    const c = s.client;
    if (c && c.readyState === c.OPEN) c.send(JSON.stringify(msg));
  }

  // ---- agent side

  onFrame(cluster: string, frame: Buffer): void {
    let f;
    try {
      f = decodeShellFrame(frame);
    } catch (err) {
      this.deps.log.warn(
        { cluster, err: err instanceof Error ? err.message : String(err) },
        'bad shell frame from agent; dropped',
      );
      return;
    }
    const s = this.sessions.get(f.sessionId);
    // An agent only ever speaks for its own cluster's sessions.
    if (s && s.req.cluster !== cluster) {
      this.link?.refuseForeign?.(cluster, 'shell_session', f.sessionId);
      return;
    }
    if (!s || s.state !== 'open' || f.channel === SHELL_CHANNELS.stdin) return;
    const n = f.payload.length;
    if (s.outPending + s.outAck > 2 * this.window + SHELL_MAX_CHUNK) {
      this.toClient(s, { type: 'error', message: 'the agent ignored flow control; session closed' });
      this.end(s, 'error', { notifyAgent: true });
      return;
    }
    this.touch(s);
    s.recorder?.output(Date.now(), f.payload);
    // Output the recording could not hold ended the session: the client is not shown what was not recorded.
    if (endedMeanwhile(s)) return;
    // Copy: the payload is a view into the link's receive buffer, which ws may reuse. The scrollback, the
    // joiners and the client share this one copy (nobody writes to it).
    const copy = Buffer.from(f.payload);
    s.scrollback.push(copy);
    // Joiners follow the output whether or not the owner is attached (a detached owner never stalls them).
    if (s.joiners.size > 0) this.toJoiners(s, copy);
    const client = s.client;
    if (!client) {
      this.credit(s, n); // detached: the scrollback (bounded) is the reader
      return;
    }
    if (client.readyState !== client.OPEN) return;
    s.outPending += n;
    this.buffered += n;
    if (this.buffered > this.maxBuffered) {
      this.maxBuffered = this.buffered;
      this.deps.metrics.shellBufferedBytesPeak.set(this.maxBuffered);
    }
    this.deps.metrics.shellBufferedBytes.set(this.buffered);
    client.send(copy, { binary: true }, () => {
      s.outPending -= n;
      this.buffered -= n;
      this.deps.metrics.shellBufferedBytes.set(this.buffered);
      if (s.state !== 'open') return;
      this.credit(s, n);
    });
  }

  onControl(cluster: string, msg: ShellAgentMessage): void {
    if (msg.type === 'shell.pong') {
      this.lastPong.set(cluster, Date.now());
      return;
    }
    const s = this.sessions.get(msg.sessionId);
    if (!s) return;
    if (s.req.cluster !== cluster) {
      this.link?.refuseForeign?.(cluster, 'shell_session', msg.sessionId);
      return;
    }
    switch (msg.type) {
      case 'shell.opened':
        if (s.state !== 'opening') return;
        s.state = 'open';
        if (s.openDeadline) clearTimeout(s.openDeadline);
        s.openDeadline = null;
        s.command = msg.command;
        s.inCredit = msg.window;
        s.clientPaused = false;
        s.client?.resume();
        this.toClient(s, { type: 'opened', sessionId: s.id, container: s.req.container, command: msg.command });
        if (this.held(s)) {
          s.heldNotified = true;
          this.toClient(s, {
            type: 'moderation',
            held: true,
            message: 'this namespace requires an observer in the session: input is dropped until one joins',
          });
        }
        this.deps.store
          .setOpened(s.id, msg.command, msg.kubeUser ?? null)
          .catch((err: unknown) => this.deps.log.error({ err }, 'storing the shell command failed'));
        return;
      case 'shell.credit':
        s.inCredit += msg.bytes;
        if (s.inCredit > 0 && s.clientPaused && s.state === 'open') {
          s.clientPaused = false;
          s.client?.resume();
        }
        if (s.inCredit > 0) {
          for (const c of s.pausedPeers) c.resume();
          s.pausedPeers.clear();
        }
        return;
      case 'shell.exit':
        s.exitCode = msg.code;
        this.broadcast(s, { type: 'exit', code: msg.code });
        return;
      case 'shell.error':
        this.broadcast(s, { type: 'error', message: msg.message });
        return;
      case 'shell.closed':
        this.end(s, msg.reason, { notifyAgent: false });
        return;
    }
  }

  onAgentGone(cluster: string, reason: string): void {
    this.lastPong.delete(cluster);
    for (const s of [...this.sessions.values()]) {
      if (s.req.cluster !== cluster) continue;
      this.toClient(s, {
        type: 'error',
        message: `lost the agent of cluster "${cluster}" (${reason}); the session is gone`,
      });
      this.end(s, 'agent-lost', { notifyAgent: false });
    }
  }

  private probe(): void {
    const clusters = new Set([...this.sessions.values()].map((s) => s.req.cluster));
    const now = Date.now();
    const limit = this.deps.options.agentLostAfterMs ?? 4000;
    for (const cluster of clusters) {
      const last = this.lastPong.get(cluster) ?? now;
      if (now - last > limit) {
        this.onAgentGone(cluster, `no answer for ${Math.round((now - last) / 1000)} s`);
        continue;
      }
      this.link?.sendShell(cluster, { type: 'shell.ping', t: now });
    }
    for (const c of this.lastPong.keys()) if (!clusters.has(c)) this.lastPong.delete(c);
  }

  private touch(s: Session): void {
    if (s.state === 'ended' || s.policy.idleTimeoutMs <= 0) return;
    if (s.idle) {
      s.idle.refresh();
      return;
    }
    s.idle = setTimeout(() => {
      this.end(s, 'idle', { notifyAgent: true });
    }, s.policy.idleTimeoutMs);
    s.idle.unref();
  }

  /** Ends a session: tells the client (and the agent), then records the end. */
  private end(s: Session, reason: ShellEndReason, o: { notifyAgent: boolean; persisted?: boolean }): void {
    if (s.state === 'ended') return;
    s.state = 'ended';
    if (s.idle) clearTimeout(s.idle);
    if (s.openDeadline) clearTimeout(s.openDeadline);
    if (s.detached) clearTimeout(s.detached.timer);
    this.sessions.delete(s.id);
    this.deps.metrics.shellSessions.set(this.sessions.size);
    this.deps.metrics.shellSessionsEnded.inc({ reason });
    if (o.notifyAgent) this.link?.sendShell(s.req.cluster, { type: 'shell.close', sessionId: s.id, reason });
    const endedAt = Date.now();
    const message =
      reason === 'idle'
        ? `closed after ${Math.round(s.policy.idleTimeoutMs / 1000)} s without input or output (idle timeout)`
        : reason === 'agent-lost'
          ? 'the agent connection was lost'
          : reason === 'recording-limit'
            ? `the session's recording reached its ${this.recordingMaxBytes}-byte cap (shell.recordingMaxBytes); the session was ended so that nothing runs unrecorded`
            : reason === 'error'
              ? 'the session ended with an error'
              : reason === 'denied'
                ? 'the access this shell was opened under has ended'
                : reason === 'detached'
                  ? `the console went away and did not come back within ${Math.round(s.policy.detachGraceMs / 1000)} s (shell.detachGraceMs)`
                  : s.exitCode !== null
                    ? `the command exited with code ${s.exitCode}`
                    : 'the session was closed';
    // Joiners get the same end as the owner (a detached owner's grace running out included).
    this.broadcast(s, { type: 'closed', reason, message });
    const c = s.client;
    if (c && c.readyState === c.OPEN) c.close(1000, reason);
    for (const j of s.joiners.keys()) {
      if (j.readyState === j.OPEN) j.close(1000, reason);
      j.resume();
    }
    if (c && s.clientPaused) c.resume(); // let the close handshake be read
    if (o.persisted === false) return;
    const p = this.recordEnd(s, reason, endedAt).catch((err: unknown) =>
      this.deps.log.error({ err, session: s.id }, 'recording the shell end failed'),
    );
    this.writing.add(p);
    void p.finally(() => this.writing.delete(p));
  }

  private async recordEnd(s: Session, reason: ShellEndReason, endedAt: number): Promise<void> {
    await s.startRecord; // an end before the start was written would update no row
    await s.recorder?.finish(endedAt);
    await this.deps.records.ended(this.facts(s), {
      reason,
      endedAt,
      exitCode: s.exitCode,
      command: s.command,
      ...(s.recorder
        ? { recording: { bytes: s.recorder.size, capBytes: this.recordingMaxBytes, full: s.recorder.full } }
        : {}),
    });
  }

  /**
   * A grant of `user` ended: closes their open shells on pods `allowed` no
   * longer lets them exec into (a node shell: `node` is set, the check is node:shell). Returns how many were closed.
   */
  endWhereDenied(user: string, allowed: (cluster: string, namespace: string, node?: string) => boolean): number {
    let n = 0;
    for (const s of [...this.sessions.values()]) {
      if (s.req.user !== user || allowed(s.req.cluster, s.req.namespace, s.req.node)) continue;
      this.end(s, 'denied', { notifyAgent: true });
      n++;
    }
    return n;
  }

  /** Hub shutdown: every client is told, every agent session closed. */
  async closeAll(): Promise<void> {
    clearInterval(this.pinger);
    for (const s of [...this.sessions.values()]) {
      this.toClient(s, { type: 'error', message: 'the hub is shutting down' });
      this.end(s, 'error', { notifyAgent: true });
    }
    await Promise.allSettled([...this.writing]);
  }
}
