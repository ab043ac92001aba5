// The hub's port-forward relay: one client WebSocket per forwarded TCP
// connection (binary frames: the connection's bytes) on one side, the
// cluster's agent link (shared) on the other, as portfwd.* messages.
//
// Memory is bounded by credit, per connection and direction:
//   client → agent: the hub may send the agent `window` bytes ahead of its
//     credit; out of credit it stops reading the client socket (paused), so a
//     fast uploader waits on TCP instead of filling the hub.
//   agent → client: each chunk is credited back to the agent once the client
//     socket has written it, so a slow reader holds the agent (which pauses
//     its Kubernetes stream) instead of the hub.
// The connection ends with one text frame {type:"end", reason, message?} and
// the socket closes; a client that closes first makes the hub send
// portfwd.close, and the agent closes its Kubernetes stream.
import { randomUUID } from 'node:crypto';
import { Duplex } from 'node:stream';
import { Counter, Gauge } from 'prom-client';
import type { WebSocket } from 'ws';
import {
  PORTFWD_DEFAULT_PER_USER,
  PORTFWD_MAX_CHUNK,
  PORTFWD_WINDOW,
  type HubMessage,
  type PortForwardAgentMessage,
  type PortForwardEndReason,
  type PortForwardServerControl,
} from '@wheelhouse/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { ForeignTarget } from '../link/agent-link.js';
import type { HubMetrics } from '../metrics.js';

/** What the relay needs from the agent link. */
export interface PortForwardLinkPort {
  sendTo(cluster: string, msg: HubMessage): boolean;
  isConnected(cluster: string): boolean;
  refuseForeign?(cluster: string, what: ForeignTarget, id: string): void;
}

/** What the agent link hands to the relay. */
export interface PortForwardLinkHandler {
  onPortForward(cluster: string, msg: PortForwardAgentMessage): void;
  onAgentGone(cluster: string, reason: string): void;
}

export interface PortForwardRequest {
  user: string;
  cluster: string;
  namespace: string;
  pod: string;
  port: number;
}

export interface PortForwardRelayOptions {
  /** Open forwarded connections per user at once (default PORTFWD_DEFAULT_PER_USER; 429 above it). */
  maxPerUser?: number;
  /** Bytes the agent may send ahead of the hub's credit, per connection (default PORTFWD_WINDOW). */
  window?: number;
}

/**
 * The user's side of one connection: a client WebSocket (`wheelhouse port-forward`), or a stream inside the hub
 * (the console's HTTP forwards, http-forward-proxy.ts).
 */
interface ForwardClient {
  pause(): void;
  resume(): void;
  /** Pod bytes for the user; `written` once they are on their way (the agent gets the credit back then). */
  deliver(bytes: Buffer, written: () => void): void;
  /** This side ends, saying why. */
  finish(reason: PortForwardEndReason, message: string | undefined): void;
}

interface Conn {
  id: string;
  req: PortForwardRequest;
  client: ForwardClient;
  /** Bytes the hub may still send to the agent (0 until portfwd.opened). */
  credit: number;
  clientPaused: boolean;
  ended: boolean;
}

export class PortForwardRelay implements PortForwardLinkHandler {
  private readonly conns = new Map<string, Conn>();
  private link: PortForwardLinkPort | null = null;
  readonly maxPerUser: number;
  private readonly window: number;
  private readonly metrics: { open: Gauge; bytes: Counter<'direction'>; ended: Counter<'reason'> };
  private readonly audit: Pick<AuditLog, 'record'>;
  private readonly log: FastifyBaseLogger | null;

  constructor(deps: {
    metrics: HubMetrics;
    audit: Pick<AuditLog, 'record'>;
    log?: FastifyBaseLogger;
    options?: PortForwardRelayOptions;
  }) {
    this.maxPerUser = deps.options?.maxPerUser ?? PORTFWD_DEFAULT_PER_USER;
    this.window = deps.options?.window ?? PORTFWD_WINDOW;
    this.audit = deps.audit;
    this.log = deps.log ?? null;
    const registers = [deps.metrics.registry];
    this.metrics = {
      open: new Gauge({ name: 'wheelhouse_port_forwards', help: 'Forwarded pod connections open now', registers }),
      bytes: new Counter({
        name: 'wheelhouse_port_forward_bytes_total',
        help: 'Bytes relayed on forwarded pod connections, by direction (to-pod, from-pod)',
        labelNames: ['direction'] as const,
        registers,
      }),
      ended: new Counter({
        name: 'wheelhouse_port_forwards_ended_total',
        help: 'Forwarded pod connections ended, by reason',
        labelNames: ['reason'] as const,
        registers,
      }),
    };
  }

  attach(link: PortForwardLinkPort): void {
    this.link = link;
  }

  stats(): { connections: number } {
    return { connections: this.conns.size };
  }

  /** Connections the user has open now. */
  activeFor(user: string): number {
    let n = 0;
    for (const c of this.conns.values()) if (c.req.user === user) n++;
    return n;
  }

  /**
   * Starts a connection on an upgraded client socket (every check has passed).
   * The socket is paused until the agent has opened the pod's port; the agent
   * is asked only once the open is in the audit log (who, pod, port).
   */
  start(socket: WebSocket, req: PortForwardRequest): string {
    const client: ForwardClient = {
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      deliver: (bytes, written) => {
        if (socket.readyState === socket.OPEN) socket.send(bytes, { binary: true }, written);
      },
      finish: (reason, message) => {
        if (socket.readyState !== socket.OPEN) return;
        const end: PortForwardServerControl = { type: 'end', reason, ...(message ? { message } : {}) };
        socket.send(JSON.stringify(end));
        socket.close(1000, reason);
      },
    };
    const c = this.add(client, req);
    socket.on('message', (data, isBinary) => {
      if (isBinary) this.fromClient(c, toBuffer(data));
    });
    socket.on('close', () => this.end(c, 'closed', undefined, { notifyAgent: true }));
    socket.on('error', () => undefined);
    void this.begin(c, { audit: true });
    return c.id;
  }

  /**
   * One connection as a stream inside the hub (the console's HTTP forwards). Not audited per connection: the
   * forward was audited once when the user opened it. The stream fails with the reason when the pod's port does.
   */
  openStream(req: PortForwardRequest): Duplex {
    let c: Conn | null = null;
    let pendingWrite: (() => void) | null = null;
    const stream = new Duplex({
      read: () => {
        const waiting = reads.splice(0);
        for (const written of waiting) written();
      },
      write: (chunk: Buffer, _enc, callback) => {
        const go = (): void => {
          if (!c || c.ended) return callback(new Error('the forwarded connection has ended'));
          this.fromClient(c, chunk);
          callback();
        };
        // Not open yet, or out of credit: the write waits for the agent (resume), and so does the sender.
        if (c?.clientPaused) pendingWrite = go;
        else go();
      },
      final: (callback) => callback(),
      destroy: (err, callback) => {
        if (c) this.end(c, 'closed', undefined, { notifyAgent: true });
        callback(err);
      },
    });
    const reads: (() => void)[] = [];
    const client: ForwardClient = {
      pause: () => undefined,
      resume: () => {
        const w = pendingWrite;
        pendingWrite = null;
        w?.();
      },
      deliver: (bytes, written) => {
        if (stream.destroyed) return;
        if (stream.push(bytes)) written();
        else reads.push(written);
      },
      finish: (reason, message) => {
        if (reason === 'closed') stream.push(null);
        else stream.destroy(new Error(message ?? reason));
      },
    };
    c = this.add(client, req);
    void this.begin(c, { audit: false });
    return stream;
  }

  private add(client: ForwardClient, req: PortForwardRequest): Conn {
    const c: Conn = { id: randomUUID(), req, client, credit: 0, clientPaused: true, ended: false };
    this.conns.set(c.id, c);
    this.metrics.open.set(this.conns.size);
    client.pause();
    return c;
  }

  private async begin(c: Conn, o: { audit: boolean }): Promise<void> {
    const { req } = c;
    if (o.audit)
      try {
        await this.audit.record({
          actor: req.user,
          action: 'portforward.open',
          clusterId: req.cluster,
          target: { kind: 'Pod', namespace: req.namespace, name: req.pod },
          params: { port: req.port },
          outcome: 'allowed',
          detail: { connId: c.id, port: req.port },
        });
      } catch (err) {
        this.log?.error({ err }, 'auditing the port-forward failed');
        this.end(c, 'error', 'the hub could not record the connection; try again', { notifyAgent: false });
        return;
      }
    if (c.ended) return; // the client went away meanwhile
    const sent = this.link?.sendTo(req.cluster, {
      type: 'portfwd.open',
      connId: c.id,
      namespace: req.namespace,
      pod: req.pod,
      port: req.port,
      user: req.user,
      window: this.window,
    });
    if (!sent)
      this.end(c, 'agent-lost', `the agent of cluster "${req.cluster}" is not connected`, { notifyAgent: false });
  }

  private fromClient(c: Conn, buf: Buffer): void {
    if (c.ended) return;
    for (let i = 0; i < buf.length; i += PORTFWD_MAX_CHUNK) {
      const piece = buf.subarray(i, i + PORTFWD_MAX_CHUNK);
      this.link?.sendTo(c.req.cluster, { type: 'portfwd.data', connId: c.id, data: piece.toString('base64') });
      c.credit -= piece.length;
    }
    this.metrics.bytes.inc({ direction: 'to-pod' }, buf.length);
    if (c.credit <= 0 && !c.clientPaused) {
      c.clientPaused = true;
      c.client.pause();
    }
  }

  onPortForward(cluster: string, msg: PortForwardAgentMessage): void {
    const c = this.conns.get(msg.connId);
    if (!c) return;
    // An agent only speaks for its own cluster's connections.
    if (c.req.cluster !== cluster) {
      this.link?.refuseForeign?.(cluster, 'port_forward', msg.connId);
      return;
    }
    switch (msg.type) {
      case 'portfwd.opened':
        c.credit += msg.window;
        this.resumeClient(c);
        return;
      case 'portfwd.credit':
        c.credit += msg.bytes;
        this.resumeClient(c);
        return;
      case 'portfwd.end':
        this.end(c, msg.reason, msg.message, { notifyAgent: false });
        return;
      case 'portfwd.data': {
        const bytes = Buffer.from(msg.data, 'base64');
        this.metrics.bytes.inc({ direction: 'from-pod' }, bytes.length);
        // Credited once the client has written it: a slow reader holds the agent back, not the hub.
        c.client.deliver(bytes, () => {
          if (!c.ended && bytes.length > 0)
            this.link?.sendTo(cluster, { type: 'portfwd.credit', connId: c.id, bytes: bytes.length });
        });
        return;
      }
    }
  }

  private resumeClient(c: Conn): void {
    if (c.clientPaused && c.credit > 0 && !c.ended) {
      c.clientPaused = false;
      c.client.resume();
    }
  }

  onAgentGone(cluster: string, reason: string): void {
    for (const c of [...this.conns.values()]) {
      if (c.req.cluster === cluster)
        this.end(c, 'agent-lost', `lost the agent of cluster "${cluster}" (${reason})`, { notifyAgent: false });
    }
  }

  /** Hub shutdown: every client is told, every agent connection closed. */
  closeAll(): void {
    for (const c of [...this.conns.values()]) this.end(c, 'closed', 'the hub is shutting down', { notifyAgent: true });
  }

  private end(c: Conn, reason: PortForwardEndReason, message: string | undefined, o: { notifyAgent: boolean }): void {
    if (c.ended) return;
    c.ended = true;
    this.conns.delete(c.id);
    this.metrics.open.set(this.conns.size);
    this.metrics.ended.inc({ reason });
    if (o.notifyAgent) this.link?.sendTo(c.req.cluster, { type: 'portfwd.close', connId: c.id });
    if (c.clientPaused) c.client.resume(); // let the close handshake be read
    c.client.finish(reason, message);
  }
}

function toBuffer(data: Buffer | Buffer[] | ArrayBuffer): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
