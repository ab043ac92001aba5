// The hub end of the agent link. Agents dial in (the hub never dials a
// cluster), authenticate with their cluster token, and then stream inventory,
// timeline and command progress; the hub pushes commands down the same socket.
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import {
  AGENT_CONNECT_PATH,
  AgentMessage,
  CLOSE_CODES,
  LogsAgentMessage,
  ObjectResultMessage,
  PortForwardAgentMessage,
  ShellAgentMessage,
  isFastAgentText,
  isShellControlText,
  type HubMessage,
  type ShellHubMessage,
  type TimelineEventInput,
  type UsageMessage,
} from '@wheelhouse/protocol';
import type { ClusterStore } from '../clusters/cluster-store.js';
import { apiError, sendError } from '../http/errors.js';
import { envelopeOf, type CommandService } from '../commands/command-service.js';
import type { CommandRow } from '../store/schema.js';
import type { InsightLinkHandler } from '../insights/insight-ingest.js';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { LiveBus } from '../live/live-bus.js';
import type { LogsLinkHandler } from '../logs/log-relay.js';
import type { ObjectLinkHandler } from '../objects/object-reader.js';
import type { PortForwardLinkHandler } from '../portforward/port-forward-relay.js';
import type { ShellLinkHandler } from '../shell/shell-relay.js';
import type { HubMetrics } from '../metrics.js';
import type { IdpGroups } from '../oidc/idp-groups.js';
import type { ReplicaRegistry } from '../peering/replica-registry.js';
import type { PeerLinkPort, PeerTunnels } from '../peering/peer-tunnels.js';
import { snapshotDeletions } from '../timeline/snapshot-deletions.js';
import type { TimelineStore } from '../timeline/timeline-store.js';
import type { IngestBatcher } from './ingest-batcher.js';

export interface AgentLinkDeps {
  clusters: ClusterStore;
  inventory: InventoryStore;
  timeline: TimelineStore;
  commands: CommandService;
  live: LiveBus;
  metrics: HubMetrics;
  heartbeatMs: number;
  limits?: Partial<AgentLinkLimits>;
  /** SSO users' IdP groups, added to what is sent for a person (impersonation passes them to Kubernetes). */
  idpGroups?: IdpGroups;
  /** Where this replica records the links it holds (every hub has one; shared on PostgreSQL). */
  replicas: ReplicaRegistry;
  /** Stores the links' high-rate messages, those queued on all links at once in one transaction. */
  ingest: IngestBatcher;
}

/** How a replica reaches the others (peering/replica-peering.ts); unset: a single process. */
export interface LinkPeers {
  /** Tell the replica holding the cluster's link that it has new commands. */
  wake(cluster: string): void;
  /** Tell the replica holding the cluster's link to close it (token revoked, cluster deleted). */
  disconnect(cluster: string, code: number, reason: string): void;
}

/**
 * How much one agent may have the hub hold. Messages that write the store are
 * handled one at a time; what arrives meanwhile waits in the link's queue.
 * Above pauseAboveBytes the hub stops reading the socket, so TCP pushes back
 * on the agent (whose outbox then holds back); whatever still arrives past
 * maxQueuedBytes closes the link (CLOSE_CODES.overloaded) — memory per link
 * stays bounded whatever an agent sends.
 */
export interface AgentLinkLimits {
  pauseAboveBytes: number;
  maxQueuedBytes: number;
}

export const DEFAULT_AGENT_LINK_LIMITS: AgentLinkLimits = {
  pauseAboveBytes: 8 * 1024 * 1024,
  maxQueuedBytes: 64 * 1024 * 1024,
};

/** What a message of one cluster's agent may name only within its own cluster. */
export type ForeignTarget = 'shell_session' | 'log_stream' | 'object_request' | 'port_forward';

interface Connection {
  cluster: string;
  log: FastifyBaseLogger;
  socket: WebSocket;
  /** Messages are handled strictly in arrival order. */
  queue: Promise<void>;
  /**
   * Messages handed to the group commit and not yet stored (see PIPELINED): each settles once its
   * commit and after-commit work are done (never rejects). At most MAX_PIPELINED at once.
   */
  storing: Set<Promise<void>>;
  /** Their size on the wire: at most about MAX_PIPELINED_BYTES (one bigger message goes alone). */
  storingBytes: number;
  /** Bytes of messages received and not yet handled and stored. */
  queuedBytes: number;
  /** The socket is paused because queuedBytes passed pauseAboveBytes. */
  paused: boolean;
  /** Closed for overload: nothing more is queued. */
  overloaded: boolean;
  missingPermissions: Record<string, string[]>;
}

/**
 * Messages a link hands to the group commit without waiting for their commit before it handles its
 * next message, so a link's burst (a timeline message and the inventory changes right behind it)
 * shares one commit instead of taking a commit cycle (two event-loop turns) each (issue 18: in the
 * fan-in bench the wait in the link's queue was the largest stage of the live-update latency). Order is still kept: the batcher writes, commits and publishes in the order
 * submitted. Only these, because their writes depend on nothing outside their transaction; every
 * other message (hello, snapshot chunks — whose chunk set is kept in memory —, commands, ping) first
 * waits until everything the link handed in before is stored, as before.
 */
const PIPELINED: ReadonlySet<string> = new Set(['inventory.changes', 'timeline', 'insights.changes']);
/** Messages of one link handed in and not yet stored, at most: bounds the parsed messages held per link. */
export const MAX_PIPELINED = 8;
/**
 * Their bytes on the wire, at most (a bigger message is alone in flight): so the parsed messages a
 * link holds stay about what they were when it handled one message at a time.
 */
export const MAX_PIPELINED_BYTES = 1024 * 1024;

/** Agent messages routed at once (object answers, log text, forwarded bytes), not behind the store writes. */
const FastAgentMessage = z.discriminatedUnion('type', [
  ObjectResultMessage,
  ...LogsAgentMessage.options,
  ...PortForwardAgentMessage.options,
]);
type FastAgentMessage = z.infer<typeof FastAgentMessage>;

/**
 * Lets timers and socket reads run before the next queued message. SQLite
 * answers synchronously, so without it a backlog queued over many links
 * (one poll phase reads up to megabytes from each) was handled as one chain
 * of microtasks: nothing else ran for seconds, and idle links whose pongs sat
 * unread were closed for missed heartbeats (seen in the fan-in bench).
 */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
// (Used through yieldWhenBusy: a yield per message made a burst of one link take a turn per message.)

/** When the links last yielded as a whole: the start of this turn's budget, until the next check phase resets it. */
let turnStartedAt = 0;
let turnMarked = false;
/** Links share this much of each event-loop turn before the next queued message waits for a new turn. */
const TURN_BUDGET_MS = 5;

/**
 * yieldToEventLoop, but only once this turn has spent TURN_BUDGET_MS on the links' queued messages: a
 * link's burst (a timeline message and the changes right behind it) is handled in one turn and joins one
 * commit, while a backlog over many links still lets timers and reads run every few milliseconds.
 */
function yieldWhenBusy(): Promise<void> | undefined {
  const now = performance.now();
  if (!turnMarked) {
    turnMarked = true;
    turnStartedAt = now;
    setImmediate(() => {
      turnMarked = false;
    });
  }
  return now - turnStartedAt < TURN_BUDGET_MS ? undefined : yieldToEventLoop();
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice('Bearer '.length).trim() : null;
}

export class AgentLink implements PeerLinkPort {
  private readonly connections = new Map<string, Connection>();
  private shell: ShellLinkHandler | null = null;
  private objects: ObjectLinkHandler | null = null;
  private logs: LogsLinkHandler | null = null;
  private portForwards: PortForwardLinkHandler | null = null;
  private readonly limits: AgentLinkLimits;
  private queuedBytes = 0;
  private peakQueuedBytes = 0;
  private insights: InsightLinkHandler | null = null;
  private usage: ((cluster: string, m: UsageMessage) => Promise<void>) | null = null;
  private peers: LinkPeers | null = null;
  private tunnels: PeerTunnels | null = null;
  /** Per cluster: the pending-command dispatch under way, and whether another was asked for meanwhile. */
  private readonly dispatching = new Map<string, { again: boolean }>();

  constructor(private readonly deps: AgentLinkDeps) {
    this.limits = { ...DEFAULT_AGENT_LINK_LIMITS, ...deps.limits };
  }

  /** Bytes queued now over every link, and the most ever queued at once (tests, benchmarks). */
  stats(): { queuedBytes: number; peakQueuedBytes: number } {
    return { queuedBytes: this.queuedBytes, peakQueuedBytes: this.peakQueuedBytes };
  }

  private queued(conn: Connection, delta: number): void {
    conn.queuedBytes += delta;
    this.queuedBytes += delta;
    this.peakQueuedBytes = Math.max(this.peakQueuedBytes, this.queuedBytes);
    this.deps.metrics.agentLinkQueuedBytes.set(this.queuedBytes);
  }

  setUsageHandler(h: (cluster: string, m: UsageMessage) => Promise<void>): void {
    this.usage = h;
  }

  setInsightHandler(h: InsightLinkHandler): void {
    this.insights = h;
  }

  setPeers(peers: LinkPeers): void {
    this.peers = peers;
  }

  /** Streams for clusters whose link is on a sibling go through tunnels (peering/peer-tunnels.ts). */
  setTunnels(tunnels: PeerTunnels): void {
    this.tunnels = tunnels;
    tunnels.attach(this);
  }

  /**
   * The cluster's agent can be reached from this replica for a stream: its
   * link is here, or a tunnel to the sibling holding it is open (opened now).
   */
  async reach(cluster: string): Promise<boolean> {
    if (this.isConnected(cluster)) return true;
    return (await this.tunnels?.reach(cluster)) ?? false;
  }

  sendRaw(cluster: string, data: string | Buffer, binary: boolean): boolean {
    const c = this.connections.get(cluster);
    if (!c || c.socket.readyState !== c.socket.OPEN) return false;
    c.socket.send(data, { binary });
    return true;
  }

  fromTunnel(cluster: string, raw: Buffer, binary: boolean): void {
    if (!this.routeStream(cluster, raw, binary)) {
      this.deps.metrics.agentRefused.inc({ reason: 'peer_not_stream' });
    }
  }

  tunnelGone(cluster: string, reason: string): void {
    if (this.connections.has(cluster)) return; // the agent is on this replica now: its own close ends what it carried
    this.shell?.onAgentGone(cluster, reason);
    this.objects?.onAgentGone(cluster, reason);
    this.logs?.onAgentGone(cluster, reason);
  }

  /**
   * Routes a shell frame, shell control, object answer or log text of the
   * cluster to its relay; false when the message is none of these (or invalid).
   */
  private routeStream(cluster: string, raw: Buffer, isBinary: boolean): boolean {
    if (isBinary) {
      if (!this.shell) return false;
      this.shell.onFrame(cluster, raw);
      return true;
    }
    const text = raw.toString('utf8');
    if (this.shell && isShellControlText(text)) {
      let parsed: ReturnType<typeof ShellAgentMessage.safeParse> | null = null;
      try {
        parsed = ShellAgentMessage.safeParse(JSON.parse(text));
      } catch {
        return false;
      }
      if (!parsed.success) return false;
      this.shell.onControl(cluster, parsed.data);
      return true;
    }
    if (isFastAgentText(text)) {
      let parsed: ReturnType<typeof FastAgentMessage.safeParse> | null = null;
      try {
        parsed = FastAgentMessage.safeParse(JSON.parse(text));
      } catch {
        return false;
      }
      if (!parsed.success) return false;
      this.routeFast(cluster, parsed.data);
      return true;
    }
    return false;
  }

  /** Clusters whose agent link is on this replica (and has said hello). */
  localClusters(): string[] {
    return [...this.connections.keys()];
  }

  /** The cluster's agent link is on this replica. */
  isConnected(cluster: string): boolean {
    return this.connections.has(cluster);
  }

  /** The cluster's agent link is on this replica or on a live sibling. */
  async isLinked(cluster: string): Promise<boolean> {
    return this.connections.has(cluster) || (await this.deps.replicas.holderOf(cluster)) !== null;
  }

  missingPermissions(cluster: string): Record<string, string[]> {
    return this.connections.get(cluster)?.missingPermissions ?? {};
  }

  /** Closes a cluster's agent connection (token revoked, cluster deleted). */
  disconnect(cluster: string, code: number = CLOSE_CODES.revoked, reason = 'agent token revoked'): void {
    this.peers?.disconnect(cluster, code, reason);
    this.disconnectHere(cluster, code, reason);
  }

  /** Closes the link if this replica holds it (a sibling asked, or disconnect above). */
  disconnectHere(cluster: string, code: number, reason: string): void {
    const c = this.connections.get(cluster);
    if (!c) return;
    this.connections.delete(cluster);
    c.socket.close(code, reason);
  }

  /** An agent named another cluster's session, stream or request: the relay ignored it; log and count it. */
  refuseForeign(cluster: string, what: ForeignTarget, id: string): void {
    this.deps.metrics.agentRefused.inc({ reason: `foreign_${what}` });
    this.connections.get(cluster)?.log.warn({ [what]: id }, `ignored a message for another cluster's ${what}`);
  }

  /** Routes binary frames and shell control messages to the pod shell relay. */
  setShellHandler(handler: ShellLinkHandler): void {
    this.shell = handler;
  }

  /** Sends a shell control message or binary frame to a cluster's agent. */
  sendShell(cluster: string, msg: ShellHubMessage | Buffer): boolean {
    const c = this.connections.get(cluster);
    const out = Buffer.isBuffer(msg) || msg.type !== 'shell.open' ? msg : this.withGroups(msg);
    if (!c) {
      // The link is on a sibling: through the tunnel reach() opened (groups added here, where the person signed in).
      const binary = Buffer.isBuffer(out);
      return this.tunnels?.send(cluster, binary ? out : JSON.stringify(out), binary) ?? false;
    }
    if (c.socket.readyState !== c.socket.OPEN) return false;
    if (Buffer.isBuffer(out)) c.socket.send(out, { binary: true });
    else c.socket.send(JSON.stringify(out));
    return true;
  }

  /** A message made for a person, with that person's IdP groups (SSO users only). */
  private withGroups<M extends { user: string }>(msg: M): M {
    const groups = this.deps.idpGroups?.get(msg.user);
    return groups ? { ...msg, groups } : msg;
  }

  /** Routes object.result answers to the object reader. */
  setObjectHandler(handler: ObjectLinkHandler): void {
    this.objects = handler;
  }

  /** Routes logs.data / logs.end to the log relay. */
  setLogsHandler(handler: LogsLinkHandler): void {
    this.logs = handler;
  }

  /** Routes portfwd.* answers to the port-forward relay. */
  setPortForwardHandler(handler: PortForwardLinkHandler): void {
    this.portForwards = handler;
  }

  /** Sends a message to a cluster's agent; false when it is not connected. */
  sendTo(cluster: string, msg: HubMessage): boolean {
    const c = this.connections.get(cluster);
    if (c) return this.send(c, msg);
    // Stream messages (logs, object reads) for a link on a sibling go through the tunnel; commands never do.
    if (msg.type === 'command') return false;
    const out = msg.type === 'object.get' || msg.type === 'logs.open' ? this.withGroups(msg) : msg;
    return this.tunnels?.send(cluster, JSON.stringify(out), false) ?? false;
  }

  private routeFast(cluster: string, msg: FastAgentMessage): void {
    if (msg.type === 'object.result') this.objects?.onObjectResult(cluster, msg);
    else if (msg.type === 'logs.data' || msg.type === 'logs.end') this.logs?.onLogs(cluster, msg);
    else this.portForwards?.onPortForward(cluster, msg);
  }

  private send(c: Connection, msg: HubMessage): boolean {
    if (c.socket.readyState !== c.socket.OPEN) return false;
    const out: HubMessage = msg.type === 'object.get' || msg.type === 'logs.open' ? this.withGroups(msg) : msg;
    c.socket.send(JSON.stringify(out));
    return true;
  }

  /**
   * A command with its requester's IdP groups read from the store now: the
   * replica holding the link may not be the one the person signed in or
   * acted through.
   */
  private async commandMessage(row: CommandRow): Promise<HubMessage> {
    const command = envelopeOf(row);
    const groups = await this.deps.idpGroups?.of(command.requestedBy);
    return { type: 'command', command: groups ? { ...command, requestedByGroups: groups } : command };
  }

  /**
   * New commands were queued for the cluster (on any replica): the holder of
   * the link sends the pending ones. Here when the link is here, and a
   * wake-up to the siblings otherwise (the holder may be another replica).
   */
  wake(cluster: string): Promise<void> {
    if (!this.connections.has(cluster)) {
      this.peers?.wake(cluster);
      return Promise.resolve();
    }
    return this.dispatchPending(cluster);
  }

  /**
   * Sends the cluster's pending commands, once each: one pass at a time per
   * cluster, and a wake-up during a pass runs one more pass after it (200
   * commands queued at once cost a few passes, not 200 re-sends of everything).
   */
  async dispatchPending(cluster: string): Promise<void> {
    const running = this.dispatching.get(cluster);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: true };
    this.dispatching.set(cluster, state);
    try {
      while (state.again) {
        state.again = false;
        const c = this.connections.get(cluster);
        if (!c) return;
        for (const row of await this.deps.commands.outstanding(cluster)) {
          if (row.state !== 'pending') continue;
          if (!this.send(c, await this.commandMessage(row))) return;
          await this.deps.commands.noteDispatched(row.id);
        }
      }
    } finally {
      this.dispatching.delete(cluster);
    }
  }

  /** dispatchPending for every link this replica holds (the sweeper's safety net for lost wake-ups). */
  async dispatchAllPending(): Promise<void> {
    for (const cluster of [...this.connections.keys()]) await this.dispatchPending(cluster);
  }

  /** Sends every outstanding command of the cluster (at-least-once: re-sent after each reconnect). */
  async dispatchOutstanding(cluster: string): Promise<void> {
    const c = this.connections.get(cluster);
    if (!c) return;
    for (const row of await this.deps.commands.outstanding(cluster)) {
      if (!this.send(c, await this.commandMessage(row))) return;
      if (row.state === 'pending') await this.deps.commands.noteDispatched(row.id);
    }
  }

  register(app: FastifyInstance): void {
    /** The cluster each upgrading request authenticated as, from the check to the socket handler. */
    const authenticated = new WeakMap<FastifyRequest, string>();
    app.get(
      AGENT_CONNECT_PATH,
      {
        websocket: true,
        schema: { hide: true },
        preValidation: async (req, reply) => {
          const token = bearer(req);
          const cluster = token ? await this.deps.clusters.authenticateAgent(token) : null;
          if (!cluster) {
            return sendError(reply, apiError('unauthenticated', { message: 'unknown or revoked agent token' }));
          }
          authenticated.set(req, cluster);
        },
      },
      (socket, req) => {
        const cluster = authenticated.get(req) ?? '';
        this.accept(cluster, socket, req);
      },
    );
  }

  private accept(cluster: string, socket: WebSocket, req: FastifyRequest): void {
    const previous = this.connections.get(cluster);
    if (previous) {
      this.connections.delete(cluster);
      previous.socket.close(CLOSE_CODES.replaced, 'replaced by a newer agent connection');
    }
    const log = req.log.child({ cluster });
    const conn: Connection = {
      cluster,
      log,
      socket,
      queue: Promise.resolve(),
      storing: new Set(),
      storingBytes: 0,
      queuedBytes: 0,
      paused: false,
      overloaded: false,
      missingPermissions: {},
    };
    this.connections.set(cluster, conn);
    this.deps.metrics.agentsConnected.set(this.connections.size);
    log.info('agent connected');

    let alive = true;
    const heartbeat = setInterval(() => {
      if (!alive) {
        log.warn('agent missed heartbeats; closing');
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    }, this.deps.heartbeatMs);
    socket.on('pong', () => {
      alive = true;
    });

    socket.on('message', (data, isBinary) => {
      alive = true;
      const raw = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
      if (isBinary) {
        if (this.shell) this.shell.onFrame(cluster, raw);
        else socket.close(CLOSE_CODES.protocolError, 'binary frames are not expected on the agent link');
        this.tunnels?.toSiblings(cluster, raw, true);
        return;
      }
      const text = raw.toString('utf8');
      // Stream messages also go up the tunnels of siblings relaying this cluster's streams (they ignore unknown ids).
      if (isShellControlText(text) || isFastAgentText(text)) this.tunnels?.toSiblings(cluster, raw, false);
      // Shell control skips the queue, so it stays in order with the binary frames (which do too).
      if (this.shell && isShellControlText(text)) {
        let parsed: ReturnType<typeof ShellAgentMessage.safeParse> | null = null;
        try {
          parsed = ShellAgentMessage.safeParse(JSON.parse(text));
        } catch {
          // not JSON: reported below
        }
        if (parsed?.success) this.shell.onControl(cluster, parsed.data);
        else socket.close(CLOSE_CODES.protocolError, 'invalid shell message');
        return;
      }
      // So do object answers and log text (in order among themselves; a log's text must not wait for inventory writes).
      if (isFastAgentText(text)) {
        let parsed: ReturnType<typeof FastAgentMessage.safeParse> | null = null;
        try {
          parsed = FastAgentMessage.safeParse(JSON.parse(text));
        } catch {
          // not JSON: reported below
        }
        if (parsed?.success) this.routeFast(cluster, parsed.data);
        else socket.close(CLOSE_CODES.protocolError, 'invalid object, logs or port-forward message');
        return;
      }
      if (conn.overloaded) return;
      const size = raw.length;
      if (conn.queuedBytes + size > this.limits.maxQueuedBytes) {
        conn.overloaded = true;
        this.deps.metrics.agentRefused.inc({ reason: 'overloaded' });
        log.warn(
          { queuedBytes: conn.queuedBytes, limit: this.limits.maxQueuedBytes },
          'agent link overloaded; closing',
        );
        socket.close(
          CLOSE_CODES.overloaded,
          `agent link overloaded: more than ${this.limits.maxQueuedBytes} bytes waiting to be handled`,
        );
        return;
      }
      this.queued(conn, size);
      if (!conn.paused && conn.queuedBytes > this.limits.pauseAboveBytes) {
        conn.paused = true;
        socket.pause(); // TCP backpressure: the agent's socket fills and its outbox holds back
      }
      /** The message is handled and stored (or failed): the link closes on a failure, its bytes are released. */
      const settle = (failed: boolean, err?: unknown): void => {
        if (failed) {
          log.error({ err }, 'agent message failed');
          socket.close(CLOSE_CODES.protocolError, err instanceof Error ? err.message.slice(0, 120) : 'bad message');
        }
        this.queued(conn, -size);
        alive = true; // a link the hub is busy draining is not dead
        if (conn.paused && conn.queuedBytes <= this.limits.pauseAboveBytes / 2) {
          conn.paused = false;
          socket.resume();
        }
      };
      conn.queue = conn.queue
        .then(yieldWhenBusy)
        .then(() => this.handle(conn, text, size, log))
        .then(
          async (handed) => {
            if (!handed) return settle(false);
            // Handed to the group commit: the link goes on to its next message; this one settles when stored.
            const tracked: Promise<void> = handed.stored
              .then(
                () => settle(false),
                (err: unknown) => settle(true, err),
              )
              .finally(() => {
                conn.storing.delete(tracked);
                conn.storingBytes -= size;
              });
            conn.storing.add(tracked);
            conn.storingBytes += size;
            while (
              conn.storing.size > 0 &&
              (conn.storing.size >= MAX_PIPELINED || conn.storingBytes >= MAX_PIPELINED_BYTES)
            )
              await Promise.race(conn.storing);
          },
          (err: unknown) => settle(true, err),
        );
    });

    socket.on('close', (code, reasonBuf) => {
      clearInterval(heartbeat);
      if (conn.paused) socket.resume(); // let queued handling finish; nothing more arrives
      const why = reasonBuf.toString() || `link closed with code ${code}`;
      this.tunnels?.agentGone(cluster, why);
      this.shell?.onAgentGone(cluster, why);
      this.objects?.onAgentGone(cluster, why);
      this.logs?.onAgentGone(cluster, why);
      this.portForwards?.onAgentGone(cluster, why);
      if (this.connections.get(cluster) === conn) {
        this.connections.delete(cluster);
        this.deps.metrics.agentsConnected.set(this.connections.size);
        // Only if the link is still this replica's: an agent that already reconnected to a sibling stays connected.
        void conn.queue
          .then(() => this.stored(conn))
          .then(async () => {
            if (await this.deps.replicas.releaseLink(cluster)) await this.deps.clusters.markDisconnected(cluster);
          })
          .then(() => this.publishCluster(cluster))
          .catch((err: unknown) => log.error({ err }, 'marking disconnected failed'));
      }
      log.info('agent disconnected');
    });
  }

  private async publishCluster(cluster: string): Promise<void> {
    const view = await this.deps.clusters.get(cluster);
    if (view) this.deps.live.publish({ type: 'cluster', cluster, view });
  }

  /**
   * The events an agent may write. `shell` events and an action's state changes are the hub's (they name users), so an
   * agent's are dropped; the agent's own `action` events (drain steps) must name a command of its cluster.
   */
  private async agentOwnedEvents(
    cluster: string,
    events: readonly TimelineEventInput[],
    log: FastifyBaseLogger,
  ): Promise<TimelineEventInput[]> {
    const kept: TimelineEventInput[] = [];
    for (const e of events) {
      const allowed =
        e.type === 'shell' || e.type === 'access' || e.type === 'insight-opened' || e.type === 'insight-resolved'
          ? false
          : e.type === 'action'
            ? 'step' in e.data && (await this.deps.commands.belongsTo(e.data.commandId, cluster))
            : true;
      if (allowed) kept.push(e);
      else {
        this.deps.metrics.agentRefused.inc({ reason: 'hub_owned_event' });
        log.warn({ event: e.id, eventType: e.type }, 'ignored a timeline event only the hub may write');
      }
    }
    return kept;
  }

  /** Everything the link handed to the group commit so far is stored (or failed). */
  private async stored(conn: Connection): Promise<void> {
    while (conn.storing.size > 0) await Promise.all(conn.storing);
  }

  /**
   * Handles one message. For a PIPELINED type it returns once the message is handed to the group commit,
   * with `stored` settling after its commit; every other message is done when this resolves.
   */
  private async handle(
    conn: Connection,
    text: string,
    bytes: number,
    log: FastifyBaseLogger,
  ): Promise<{ stored: Promise<void> } | undefined> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error('message is not JSON');
    }
    const parsed = AgentMessage.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`invalid message: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'}`);
    }
    const msg = parsed.data;
    const { cluster } = conn;
    if (!PIPELINED.has(msg.type)) await this.stored(conn);
    this.deps.metrics.agentMessages.inc({ type: msg.type });
    const timer: { end: (() => void) | null } = { end: this.deps.metrics.ingestSeconds.startTimer({ type: msg.type }) };
    /** A PIPELINED message handed to the group commit: timed until it is stored. */
    const handOff = (stored: Promise<void>): { stored: Promise<void> } => {
      const { end } = timer;
      timer.end = null;
      return { stored: end ? stored.finally(end) : stored };
    };
    try {
      switch (msg.type) {
        case 'hello': {
          conn.missingPermissions = msg.missingPermissions;
          if (this.connections.get(cluster) !== conn) return; // replaced meanwhile
          // Ownership first: the leader's agent-gone sweep never sees connected=1 without a holder.
          await this.deps.replicas.claimLink(cluster);
          await this.deps.clusters.markConnected(cluster, msg);
          this.send(conn, { type: 'welcome', cluster, heartbeatMs: this.deps.heartbeatMs });
          await this.publishCluster(cluster);
          await this.dispatchOutstanding(cluster);
          return;
        }
        // The high-rate writes (and insights) go through the group commit (ingest-batcher.ts): stored in one
        // transaction with what the other links sent meanwhile; this link's next message waits until the commit,
        // live events follow it.
        case 'inventory.snapshot': {
          const { kind, snapshotId, items, last } = msg;
          const { inventory, timeline, live, metrics } = this.deps;
          await this.deps.ingest.submit(
            {
              rows: items.length,
              bytes,
              write: async (trx) => {
                const gone = await inventory.applySnapshotChunkIn(trx, cluster, kind, snapshotId, items, last);
                // What disappeared while the agent was away never came as a watch event: record its deletion here.
                const deletions = await snapshotDeletions(gone, Date.now(), (uid) =>
                  inventory.getByUid(cluster, uid, trx),
                );
                const stored = await timeline.insertIn(trx, cluster, deletions);
                return () => {
                  if (last) inventory.snapshotStored(cluster, kind, snapshotId);
                  if (items.length > 0 || gone.length > 0) {
                    live.publish({
                      type: 'inventory',
                      cluster,
                      upserts: items,
                      deletes: gone.map((i) => ({ kind, uid: i.uid, namespace: i.namespace, name: i.name })),
                    });
                  }
                  metrics.timelineEvents.inc(stored.length);
                  for (const event of stored) live.publish({ type: 'timeline', cluster, event });
                };
              },
            },
            conn,
          );
          return;
        }
        case 'inventory.changes': {
          const { upserts, deletes } = msg;
          return handOff(
            this.deps.ingest.submit(
              {
                rows: upserts.length + deletes.length,
                bytes,
                write: async (trx) => {
                  await this.deps.inventory.applyChangesIn(trx, cluster, upserts, deletes);
                  return () => this.deps.live.publish({ type: 'inventory', cluster, upserts, deletes });
                },
              },
              conn,
            ),
          );
        }
        case 'timeline': {
          const events = await this.agentOwnedEvents(cluster, msg.events, log);
          if (events.length === 0) return;
          // Timeline rows only: on a file store the writer thread stores them, in bigger commits, off the event loop.
          return handOff(
            this.deps.ingest.submitTimeline(
              {
                cluster,
                events,
                bytes,
                after: (stored) => {
                  this.deps.metrics.timelineEvents.inc(stored.length);
                  for (const event of stored) this.deps.live.publish({ type: 'timeline', cluster, event });
                },
              },
              conn,
            ),
          );
        }
        case 'usage.sample':
          await this.usage?.(cluster, msg);
          return;
        case 'insights.snapshot': {
          const { insights } = this;
          if (!insights) return;
          await this.deps.ingest.submit(
            {
              rows: msg.items.length,
              bytes,
              write: (trx) => insights.snapshot(trx, cluster, msg.items),
            },
            conn,
          );
          return;
        }
        case 'insights.changes': {
          const { insights } = this;
          if (!insights) return;
          return handOff(
            this.deps.ingest.submit(
              {
                rows: msg.opened.length + msg.resolved.length,
                bytes,
                write: (trx) => insights.changes(trx, cluster, msg.opened, msg.resolved),
              },
              conn,
            ),
          );
        }
        case 'command.update': {
          if (!(await this.deps.commands.belongsTo(msg.id, cluster))) {
            // Another cluster's command (or none): ids alone must not let one agent finish another cluster's work.
            this.deps.metrics.agentRefused.inc({ reason: 'foreign_command' });
            log.warn({ command: msg.id }, 'ignored command.update for a command not of this cluster');
            return;
          }
          const moved = await this.deps.commands.transition(msg.id, msg.state, msg.message ?? null, msg.result ?? null);
          if (!moved && msg.state === 'running' && msg.message) await this.deps.commands.progress(msg.id, msg.message);
          return;
        }
        case 'ping':
          this.send(conn, { type: 'pong', t: msg.t });
          await this.deps.ingest.submit(
            {
              rows: 1,
              bytes,
              write: async (trx) => {
                await this.deps.clusters.markSeen(cluster, trx);
                return () => undefined;
              },
            },
            conn,
          );
          return;
        case 'pong':
          return;
        case 'shell.opened':
        case 'shell.exit':
        case 'shell.error':
        case 'shell.closed':
        case 'shell.credit':
        case 'shell.pong':
          this.shell?.onControl(cluster, msg);
          return;
        case 'object.result':
        case 'logs.data':
        case 'logs.end':
        case 'portfwd.opened':
        case 'portfwd.data':
        case 'portfwd.credit':
        case 'portfwd.end':
          this.routeFast(cluster, msg);
          return;
      }
    } finally {
      timer.end?.();
    }
  }

  closeAll(): void {
    for (const c of this.connections.values()) c.socket.close(1001, 'hub shutting down');
    this.connections.clear();
  }
}
