// The hub's pod log relay: one browser WebSocket per stream on one side, the
// cluster's agent link (shared) on the other. The agent sends log text as
// logs.data chunks; the hub forwards each as {type:"data", text}. Memory is
// bounded: while the browser socket has more than maxBuffered bytes queued,
// text is dropped and counted, and once it drains the browser gets
// {type:"dropped", bytes} before the next text. The stream ends with
// {type:"end", reason, message?} and the socket closes; a browser that closes
// first makes the hub send logs.close, and the agent aborts its Kubernetes read.
import { randomUUID } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import type { WebSocket } from 'ws';
import {
  LOGS_CLIENT_MAX_BUFFERED,
  type HubMessage,
  type LogsAgentMessage,
  type LogsEndReason,
  type LogsServerMessage,
} from '@wheelhouse/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditLog } from '../audit/audit-log.js';
import type { ForeignTarget } from '../link/agent-link.js';
import type { HubMetrics } from '../metrics.js';

/** What the relay needs from the agent link. */
export interface LogsLinkPort {
  sendTo(cluster: string, msg: HubMessage): boolean;
  isConnected(cluster: string): boolean;
  /** Reports a message that named another cluster's stream (logged and counted by the link). */
  refuseForeign?(cluster: string, what: ForeignTarget, id: string): void;
}

/** What the agent link hands to the relay. */
export interface LogsLinkHandler {
  onLogs(cluster: string, msg: LogsAgentMessage): void;
  onAgentGone(cluster: string, reason: string): void;
}

export interface LogStreamRequest {
  user: string;
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
}

export interface LogRelayOptions {
  /** Drop text for a browser socket with more than this many bytes queued (default LOGS_CLIENT_MAX_BUFFERED, 1 MiB). */
  maxBuffered?: number;
  /** Open log streams per user at once (default 10; 429 too_many_log_streams above it). */
  maxStreamsPerUser?: number;
}

export const DEFAULT_LOG_STREAMS_PER_USER = 10;

/**
 * Where a stream opened on behalf of another part of the hub (a workload's
 * merged log) delivers: no browser socket, no audit of its own (its owner
 * audits once), not counted against the user's per-pod limit.
 */
export interface LogSink {
  onData(text: string): void;
  onEnd(reason: LogsEndReason, message: string | undefined): void;
}

interface Stream {
  id: string;
  req: LogStreamRequest;
  client: WebSocket;
  /** UTF-8 bytes dropped and not yet reported to the client. */
  dropped: number;
  drainTimer: NodeJS.Timeout | null;
  ended: boolean;
}

export class LogRelay implements LogsLinkHandler {
  private readonly streams = new Map<string, Stream>();
  private readonly sinks = new Map<string, { cluster: string; sink: LogSink }>();
  private link: LogsLinkPort | null = null;
  private readonly maxBuffered: number;
  readonly maxStreamsPerUser: number;
  private readonly metrics: { streams: Gauge; dropped: Counter; ended: Counter<'reason'> };
  private readonly audit: Pick<AuditLog, 'record'>;
  private readonly log: FastifyBaseLogger | null;

  constructor(deps: {
    metrics: HubMetrics;
    audit: Pick<AuditLog, 'record'>;
    log?: FastifyBaseLogger;
    options?: LogRelayOptions;
  }) {
    this.maxBuffered = deps.options?.maxBuffered ?? LOGS_CLIENT_MAX_BUFFERED;
    this.maxStreamsPerUser = deps.options?.maxStreamsPerUser ?? DEFAULT_LOG_STREAMS_PER_USER;
    this.audit = deps.audit;
    this.log = deps.log ?? null;
    const registers = [deps.metrics.registry];
    this.metrics = {
      streams: new Gauge({ name: 'wheelhouse_log_streams', help: 'Pod log streams open now', registers }),
      dropped: new Counter({
        name: 'wheelhouse_log_dropped_bytes_total',
        help: 'Log bytes dropped for browsers that read too slowly',
        registers,
      }),
      ended: new Counter({
        name: 'wheelhouse_log_streams_ended_total',
        help: 'Pod log streams ended, by reason',
        labelNames: ['reason'] as const,
        registers,
      }),
    };
  }

  attach(link: LogsLinkPort): void {
    this.link = link;
  }

  stats(): { streams: number } {
    return { streams: this.streams.size };
  }

  /**
   * Opens a container's log for a sink; returns its stream id, or null when
   * the agent is not connected. close() ends it (the agent aborts its read).
   */
  openSink(req: LogStreamRequest, sink: LogSink): { id: string; close: () => void } | null {
    const id = randomUUID();
    this.sinks.set(id, { cluster: req.cluster, sink });
    const sent = this.link?.sendTo(req.cluster, openMessage(id, req));
    if (!sent) {
      this.sinks.delete(id);
      return null;
    }
    return {
      id,
      close: () => {
        if (this.sinks.delete(id)) this.link?.sendTo(req.cluster, { type: 'logs.close', streamId: id });
      },
    };
  }

  /** Streams the user has open now. */
  activeFor(user: string): number {
    let n = 0;
    for (const s of this.streams.values()) if (s.req.user === user) n++;
    return n;
  }

  /**
   * Starts a stream on an upgraded browser socket (every check has passed).
   * The stream counts against the user's limit at once; the agent is asked
   * only once the open is in the audit log (who, pod, container).
   */
  start(client: WebSocket, req: LogStreamRequest): string {
    const s: Stream = { id: randomUUID(), req, client, dropped: 0, drainTimer: null, ended: false };
    this.streams.set(s.id, s);
    this.metrics.streams.set(this.streams.size);
    client.on('close', () => this.end(s, 'closed', undefined, { notifyAgent: true }));
    client.on('error', () => undefined);
    void this.begin(s);
    return s.id;
  }

  private async begin(s: Stream): Promise<void> {
    const { req } = s;
    try {
      await this.audit.record({
        actor: req.user,
        action: 'logs.open',
        clusterId: req.cluster,
        target: { kind: 'Pod', namespace: req.namespace, name: req.pod },
        params: { container: req.container },
        outcome: 'allowed',
        detail: {
          streamId: s.id,
          follow: req.follow,
          previous: req.previous,
          tailLines: req.tailLines ?? null,
          sinceSeconds: req.sinceSeconds ?? null,
        },
      });
    } catch (err) {
      this.log?.error({ err }, 'auditing the log stream failed');
      this.end(s, 'error', 'the hub could not record the log stream; try again', { notifyAgent: false });
      return;
    }
    if (s.ended) return; // the browser went away meanwhile
    // The browser has nothing to say on this socket; whatever it sends is ignored.
    const sent = this.link?.sendTo(req.cluster, openMessage(s.id, req));
    if (!sent)
      this.end(s, 'agent-lost', `the agent of cluster "${req.cluster}" is not connected`, { notifyAgent: false });
  }

  onLogs(cluster: string, msg: LogsAgentMessage): void {
    const sink = this.sinks.get(msg.streamId);
    if (sink) {
      if (sink.cluster !== cluster) return this.link?.refuseForeign?.(cluster, 'log_stream', msg.streamId);
      if (msg.type === 'logs.data') return sink.sink.onData(msg.text);
      this.sinks.delete(msg.streamId);
      return sink.sink.onEnd(msg.reason, msg.message);
    }
    const s = this.streams.get(msg.streamId);
    // An agent only speaks for its own cluster's streams.
    if (!s) return;
    if (s.req.cluster !== cluster) {
      this.link?.refuseForeign?.(cluster, 'log_stream', msg.streamId);
      return;
    }
    if (msg.type === 'logs.end') {
      this.end(s, msg.reason, msg.message, { notifyAgent: false });
      return;
    }
    if (s.client.readyState !== s.client.OPEN) return;
    if (s.client.bufferedAmount > this.maxBuffered) {
      const n = Buffer.byteLength(msg.text, 'utf8');
      s.dropped += n;
      this.metrics.dropped.inc(n);
      // Say so once the socket drains, even if no more text comes.
      s.drainTimer ??= setInterval(() => this.reportDropped(s), 100);
      return;
    }
    this.reportDropped(s);
    this.toClient(s, { type: 'data', text: msg.text });
  }

  onAgentGone(cluster: string, reason: string): void {
    for (const [id, k] of [...this.sinks]) {
      if (k.cluster !== cluster) continue;
      this.sinks.delete(id);
      k.sink.onEnd('agent-lost', `lost the agent of cluster "${cluster}" (${reason})`);
    }
    for (const s of [...this.streams.values()]) {
      if (s.req.cluster === cluster)
        this.end(s, 'agent-lost', `lost the agent of cluster "${cluster}" (${reason})`, { notifyAgent: false });
    }
  }

  /** Hub shutdown: every browser is told, every agent stream closed. */
  closeAll(): void {
    for (const [id, k] of [...this.sinks]) {
      this.sinks.delete(id);
      this.link?.sendTo(k.cluster, { type: 'logs.close', streamId: id });
      k.sink.onEnd('closed', 'the hub is shutting down');
    }
    for (const s of [...this.streams.values()])
      this.end(s, 'closed', 'the hub is shutting down', { notifyAgent: true });
  }

  private reportDropped(s: Stream): void {
    if (s.dropped === 0 || s.client.bufferedAmount > this.maxBuffered) return;
    this.toClient(s, { type: 'dropped', bytes: s.dropped });
    s.dropped = 0;
    if (s.drainTimer) clearInterval(s.drainTimer);
    s.drainTimer = null;
  }

  private toClient(s: Stream, msg: LogsServerMessage): void {
    if (s.client.readyState === s.client.OPEN) s.client.send(JSON.stringify(msg));
  }

  private end(s: Stream, reason: LogsEndReason, message: string | undefined, o: { notifyAgent: boolean }): void {
    if (s.ended) return;
    s.ended = true;
    this.streams.delete(s.id);
    this.metrics.streams.set(this.streams.size);
    this.metrics.ended.inc({ reason });
    if (s.drainTimer) clearInterval(s.drainTimer);
    if (o.notifyAgent) this.link?.sendTo(s.req.cluster, { type: 'logs.close', streamId: s.id });
    if (s.dropped > 0) this.toClient(s, { type: 'dropped', bytes: s.dropped });
    this.toClient(s, { type: 'end', reason, ...(message ? { message } : {}) });
    if (s.client.readyState === s.client.OPEN) s.client.close(1000, reason);
  }
}

function openMessage(streamId: string, req: LogStreamRequest): HubMessage {
  return {
    type: 'logs.open',
    streamId,
    namespace: req.namespace,
    pod: req.pod,
    container: req.container,
    follow: req.follow,
    previous: req.previous,
    timestamps: req.timestamps,
    ...(req.tailLines !== undefined ? { tailLines: req.tailLines } : {}),
    ...(req.sinceSeconds !== undefined ? { sinceSeconds: req.sinceSeconds } : {}),
    user: req.user,
  };
}
