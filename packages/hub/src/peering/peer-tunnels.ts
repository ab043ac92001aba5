// Proxy peering for streams: a shell, a log stream or a live object read asked
// of replica B for a cluster whose agent link is on replica A goes through a
// tunnel B opens to A's internal route (PEER_PATH). B still authenticates,
// authorizes and audits the user, and keeps the session's record and
// recording; A only relays: what B sends down the tunnel goes to the agent
// (stream messages only — commands travel through the store), and the agent's
// stream messages of that cluster go up every tunnel of it (each replica
// ignores ids it does not know). When A loses the agent, or dies, the tunnel
// closes and B ends its streams as agent-lost.
//
// The route is not reachable with user or agent credentials: a tunnel opens
// only with a header signed by the replicas' shared peer secret (HMAC over
// replica id, time and cluster, valid 60 s) from a replica the store lists as
// alive. Refusals are audited (peer.connect, denied; one row per address and
// minute).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import WebSocket, { type WebSocket as ServerSocket } from 'ws';
import { z } from 'zod';
import { HubMessage, MAX_FRAME_BYTES, type HubMessage as HubMessageType } from '@wheelhouse/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import { DenialDigest } from '../audit/denial-digest.js';
import { clusterName } from '../clusters/cluster-access.js';
import { apiError, sendError } from '../http/errors.js';
import type { ReplicaRegistry } from './replica-registry.js';

export const PEER_PATH = '/internal/v1/peer';
export const PEER_HEADER = 'x-wheelhouse-peer';
const MAX_SKEW_MS = 60_000;

/** Close codes of a tunnel: why the relaying replica let go. */
export const PEER_CLOSE = { agentGone: 4410, notHere: 4404, invalid: 4400 } as const;

/** What the tunnels need from the agent link (link/agent-link.ts). */
export interface PeerLinkPort {
  isConnected(cluster: string): boolean;
  /** A stream message or binary frame for the cluster's agent (on this replica). */
  sendRaw(cluster: string, data: string | Buffer, binary: boolean): boolean;
  /** A stream message from the cluster's agent that came through a tunnel: route it as if it came from the agent. */
  fromTunnel(cluster: string, raw: Buffer, binary: boolean): void;
  /** The tunnel to the holder closed: streams of the cluster on this replica end. */
  tunnelGone(cluster: string, reason: string): void;
}

/** Hub → agent messages a tunnel may carry: streams only, never commands or link control. */
const STREAM_TYPES = new Set(['shell.open', 'shell.resize', 'shell.close', 'shell.credit', 'shell.ping', 'object.get']);
const isStreamMessage = (m: HubMessageType): boolean => STREAM_TYPES.has(m.type) || m.type.startsWith('logs.');

export function peerSignature(secret: string, replicaId: string, at: number, cluster: string): string {
  return createHmac('sha256', secret).update(`${replicaId}.${at}.${cluster}`).digest('hex');
}

export interface PeerTunnelsOptions {
  /** The replicas' shared secret; unset: this replica neither opens nor accepts tunnels. */
  secret: string | undefined;
  replicas: ReplicaRegistry;
  audit: AuditLog;
  log: FastifyBaseLogger;
}

interface Sample {
  ip: string;
  reason: 'missing' | 'invalid' | 'expired' | 'unknown_replica' | 'not_configured';
  route: string;
}

export class PeerTunnels {
  private link: PeerLinkPort | null = null;
  /** Tunnels this replica opened, per cluster (the holder is elsewhere). */
  private readonly outgoing = new Map<string, { ws: WebSocket; open: Promise<boolean> }>();
  /** Tunnels siblings opened to this replica, per cluster (this replica holds the link). */
  private readonly incoming = new Map<string, Set<ServerSocket>>();
  private readonly denials: DenialDigest<Sample>;

  constructor(private readonly opts: PeerTunnelsOptions) {
    this.denials = new DenialDigest<Sample>({
      flush: (s, repeated) => this.record(s, repeated),
      onError: (err) => opts.log.error({ err }, 'auditing refused peer connections failed'),
    });
  }

  attach(link: PeerLinkPort): void {
    this.link = link;
  }

  // ---- origin side

  /**
   * Makes the cluster's agent reachable from here: true when the link is on
   * this replica or a tunnel to its holder is open (opened now if needed).
   */
  async reach(cluster: string): Promise<boolean> {
    if (this.link?.isConnected(cluster)) return true;
    const existing = this.usable(cluster);
    if (existing) return existing.open;
    const secret = this.opts.secret;
    if (!secret) return false;
    const holder = await this.opts.replicas.holderOf(cluster);
    // Never a tunnel to this replica's own address: a row there is a dead predecessor's (issue 17).
    if (!holder?.peerUrl || holder.replicaId === this.opts.replicas.id || holder.peerUrl === this.opts.replicas.peerUrl)
      return false;
    if (this.link?.isConnected(cluster)) return true; // the agent came here meanwhile
    const again = this.usable(cluster);
    if (again) return again.open;
    const url = new URL(PEER_PATH, holder.peerUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('cluster', cluster);
    const at = Date.now();
    const ws = new WebSocket(url, {
      headers: {
        [PEER_HEADER]: `${this.opts.replicas.id}.${at}.${peerSignature(secret, this.opts.replicas.id, at, cluster)}`,
      },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 5000,
    });
    const open = new Promise<boolean>((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('close', () => resolve(false));
      ws.once('error', () => resolve(false));
    });
    const entry = { ws, open };
    this.outgoing.set(cluster, entry);
    ws.on('message', (data, isBinary) => {
      const raw = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
      this.link?.fromTunnel(cluster, raw, isBinary);
    });
    ws.on('error', (err) => this.opts.log.warn({ err: err.message, cluster }, 'peer tunnel error'));
    ws.on('close', (code, reasonBuf) => {
      if (this.outgoing.get(cluster) === entry) this.outgoing.delete(cluster);
      const why = reasonBuf.toString() || `the replica holding the agent link went away (code ${code})`;
      this.link?.tunnelGone(cluster, why);
    });
    return open;
  }

  /** The cluster's outgoing tunnel unless it is closing (a stream must not start on one that is going away). */
  private usable(cluster: string): { ws: WebSocket; open: Promise<boolean> } | undefined {
    const t = this.outgoing.get(cluster);
    return t && (t.ws.readyState === WebSocket.CONNECTING || t.ws.readyState === WebSocket.OPEN) ? t : undefined;
  }

  /** Sends to the cluster's agent through the open tunnel; false when there is none. */
  send(cluster: string, data: string | Buffer, binary: boolean): boolean {
    const t = this.outgoing.get(cluster);
    if (!t || t.ws.readyState !== WebSocket.OPEN) return false;
    t.ws.send(data, { binary });
    return true;
  }

  // ---- holder side

  /** An agent stream message of the cluster: up every sibling's tunnel of it. */
  toSiblings(cluster: string, raw: Buffer, binary: boolean): void {
    const set = this.incoming.get(cluster);
    if (!set) return;
    for (const s of set) if (s.readyState === s.OPEN) s.send(raw, { binary });
  }

  /** The agent left this replica: siblings' streams through it end. */
  agentGone(cluster: string, reason: string): void {
    const set = this.incoming.get(cluster);
    if (!set) return;
    this.incoming.delete(cluster);
    for (const s of set) s.close(PEER_CLOSE.agentGone, reason.slice(0, 120));
  }

  register(app: FastifyInstance): void {
    const accepted = new WeakMap<FastifyRequest, string>();
    app.get(
      PEER_PATH,
      {
        websocket: true,
        schema: { hide: true, querystring: z.object({ cluster: clusterName }).strict() },
        preValidation: async (req, reply) => {
          const { cluster } = req.query as { cluster: string };
          const refusal = await this.check(req.headers[PEER_HEADER], cluster);
          if (refusal) {
            const sample: Sample = { ip: req.ip, reason: refusal, route: PEER_PATH };
            if (this.denials.admit(`${req.ip}\u0000${refusal}`, sample)) await this.record(sample, 0);
            return sendError(
              reply,
              apiError('unauthenticated', { message: 'internal peer route: replicas only (peer secret)' }),
            );
          }
          // Refused before the upgrade, so the sibling's reach() answers false (an upgrade closed at once
          // read as reachable, and the stream then went into a tunnel that leads nowhere).
          if (!this.link?.isConnected(cluster)) {
            return sendError(reply, apiError('agent_unavailable', { cluster }));
          }
          accepted.set(req, cluster);
        },
      },
      (socket, req) => this.accept(accepted.get(req) ?? '', socket),
    );
  }

  private async check(header: string | string[] | undefined, cluster: string): Promise<Sample['reason'] | null> {
    const secret = this.opts.secret;
    if (!secret) return 'not_configured';
    if (typeof header !== 'string' || header === '') return 'missing';
    const [replicaId = '', atText = '', sig = ''] = header.split('.');
    const at = Number(atText);
    if (!replicaId || !Number.isInteger(at) || !/^[0-9a-f]{64}$/.test(sig)) return 'invalid';
    const want = Buffer.from(peerSignature(secret, replicaId, at, cluster), 'hex');
    if (!timingSafeEqual(want, Buffer.from(sig, 'hex'))) return 'invalid';
    if (Math.abs(Date.now() - at) > MAX_SKEW_MS) return 'expired';
    if (!(await this.opts.replicas.isLive(replicaId))) return 'unknown_replica';
    return null;
  }

  private accept(cluster: string, socket: ServerSocket): void {
    if (!this.link?.isConnected(cluster)) {
      socket.close(PEER_CLOSE.notHere, `the agent link of cluster "${cluster}" is not on this replica`);
      return;
    }
    let set = this.incoming.get(cluster);
    if (!set) this.incoming.set(cluster, (set = new Set()));
    set.add(socket);
    socket.on('message', (data, isBinary) => {
      const raw = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
      if (isBinary) {
        this.link?.sendRaw(cluster, raw, true);
        return;
      }
      let parsed: ReturnType<typeof HubMessage.safeParse> | null = null;
      try {
        parsed = HubMessage.safeParse(JSON.parse(raw.toString('utf8')));
      } catch {
        // not JSON: refused below
      }
      if (!parsed?.success || !isStreamMessage(parsed.data)) {
        socket.close(PEER_CLOSE.invalid, 'only stream messages go through a peer tunnel');
        return;
      }
      this.link?.sendRaw(cluster, raw.toString('utf8'), false);
    });
    socket.on('close', () => {
      const s = this.incoming.get(cluster);
      s?.delete(socket);
      if (s?.size === 0) this.incoming.delete(cluster);
    });
  }

  private async record(s: Sample, repeated: number): Promise<void> {
    await this.opts.audit.record({
      actor: 'anonymous',
      action: 'peer.connect',
      outcome: 'denied',
      detail: { reason: s.reason, route: s.route, ip: s.ip, ...(repeated > 0 ? { repeated } : {}) },
    });
  }

  closeAll(): Promise<void> {
    for (const t of this.outgoing.values()) t.ws.close(1001, 'hub shutting down');
    this.outgoing.clear();
    for (const set of this.incoming.values()) for (const s of set) s.close(1001, 'hub shutting down');
    this.incoming.clear();
    return this.denials.close();
  }
}
