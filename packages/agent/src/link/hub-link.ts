// The agent's one outbound connection to the hub. Reconnects with exponential
// backoff and full jitter, pings to notice a dead link, and tells the agent
// when the hub has revoked its token (retrying would not help then).
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import { AGENT_CONNECT_PATH, CLOSE_CODES, HubMessage, MAX_FRAME_BYTES, type AgentMessage } from '@wheelhouse/protocol';

export interface HubLinkOptions {
  /**
   * The hub's URL, or several comma-separated (replicas without a load
   * balancer in front): each connection attempt after a failed or lost one
   * goes to the next URL in turn.
   */
  hubUrl: string;
  token: string;
  log: Logger;
  heartbeatMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Extra TLS options (a private CA for the hub). */
  ca?: string | Buffer;
}

export interface HubLinkEvents {
  connected: [];
  disconnected: [reason: string];
  message: [msg: HubMessage];
  /** A binary frame: pod shell bytes (packages/agent/src/shell). */
  frame: [data: Buffer];
  revoked: [reason: string];
}

export function agentConnectUrl(hubUrl: string): string {
  const u = new URL(AGENT_CONNECT_PATH, hubUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : u.protocol === 'http:' ? 'ws:' : u.protocol;
  return u.toString();
}

/** The URLs of `--hub a,b,c` (one URL: a list of one). */
export function hubUrls(hubUrl: string): string[] {
  const urls = hubUrl
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  return urls.length > 0 ? urls : [hubUrl];
}

export class HubLink extends EventEmitter<HubLinkEvents> {
  private ws: WebSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly urls: string[];
  private nextUrl = 0;

  constructor(private readonly opts: HubLinkOptions) {
    super();
    this.urls = hubUrls(opts.hubUrl);
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Bytes queued on the socket and not yet sent: the sender's backpressure signal. */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.ws?.close(1000, 'agent stopping');
    this.ws = null;
  }

  send(msg: AgentMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Sends a message already serialized (the outbox builds its frames from its items' JSON). */
  sendText(json: string): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(json);
    return true;
  }

  /** Sends a binary frame (pod shell bytes). */
  sendFrame(data: Buffer): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(data, { binary: true });
    return true;
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const min = this.opts.minBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 30_000;
    const ceiling = Math.min(max, min * 2 ** this.attempt);
    const wait = Math.round(Math.random() * ceiling);
    this.attempt++;
    this.opts.log.info({ inMs: wait, attempt: this.attempt }, 'reconnecting to hub');
    this.timer = setTimeout(() => this.connect(), wait);
  }

  private connect(): void {
    if (this.stopped) return;
    const url = agentConnectUrl(this.urls[this.nextUrl % this.urls.length] ?? this.opts.hubUrl);
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.opts.token}` },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 10_000,
      ...(this.opts.ca ? { ca: this.opts.ca } : {}),
    });
    this.ws = ws;
    let alive = true;

    ws.on('open', () => {
      this.attempt = 0;
      this.opts.log.info({ hub: url }, 'connected to hub');
      const every = this.opts.heartbeatMs ?? 15_000;
      this.heartbeat = setInterval(() => {
        if (!alive) {
          this.opts.log.warn('hub missed heartbeats; reconnecting');
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, every);
      this.emit('connected');
    });
    ws.on('pong', () => {
      alive = true;
    });
    ws.on('message', (data, isBinary) => {
      alive = true;
      let parsed: unknown;
      try {
        const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (isBinary) {
          this.emit('frame', raw);
          return;
        }
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        this.opts.log.warn('hub sent a frame that is not JSON; ignored');
        return;
      }
      const msg = HubMessage.safeParse(parsed);
      if (!msg.success) {
        this.opts.log.warn({ issue: msg.error.issues[0] }, 'hub sent an unknown message; ignored');
        return;
      }
      this.emit('message', msg.data);
    });
    ws.on('unexpected-response', (_req, res) => {
      if (res.statusCode === 401 || res.statusCode === 403) {
        this.stopped = true;
        this.emit('revoked', `hub refused the agent token (HTTP ${res.statusCode})`);
      } else {
        this.opts.log.warn({ status: res.statusCode }, 'hub refused the connection');
      }
      ws.terminate();
    });
    ws.on('error', (err) => {
      this.opts.log.debug({ err: err.message }, 'hub link error');
    });
    ws.on('close', (code, reasonBuf) => {
      if (this.heartbeat) clearInterval(this.heartbeat);
      const reason = reasonBuf.toString() || `code ${code}`;
      if (this.ws === ws) this.ws = null;
      this.nextUrl++; // the next attempt tries the next hub replica
      this.emit('disconnected', reason);
      if (code === CLOSE_CODES.revoked) {
        this.stopped = true;
        this.emit('revoked', reason);
        return;
      }
      this.scheduleReconnect();
    });
  }
}
