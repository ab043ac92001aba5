// Pod log streams for the hub: logs.open starts a GET on the Kubernetes Log API
// (pods/{pod}/log, follow optional) and forwards the text as logs.data chunks
// (at most 64 KiB of UTF-8, never splitting a character) until the log ends
// (logs.end eof), Kubernetes refuses (logs.end error with its message), or the
// hub closes the stream (logs.close: the request is aborted at once).
//
// Memory is bounded: while the hub link has more than LOGS_LINK_HIGH_WATER
// bytes queued, every stream's HTTP response is paused (TCP backpressure then
// reaches the API server) and resumed once the link has drained.
import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import type { KubeClientConfig } from '../kube-config.js';
import { useKeepAliveAgent } from '../kube-http.js';
import type { Logger } from 'pino';
import {
  messageOf,
  LOGS_DEFAULT_TAIL_LINES,
  LOGS_LINK_HIGH_WATER,
  LOGS_MAX_CHUNK,
  splitUtf8,
  type LogsAgentMessage,
  type LogsEndReason,
  type LogsHubMessage,
  type LogsOpenMessage,
} from '@wheelhouse/protocol';
import { errorText } from '@wheelhouse/exec-guard/kube-errors';

export interface LogStreamsOptions {
  kc: KubeClientConfig;
  log: Logger;
  send: (msg: LogsAgentMessage) => boolean;
  /** Bytes queued on the hub link (backpressure). */
  linkBuffered: () => number;
  /** The KubeConfig to read as, per Wheelhouse user (impersonation); the agent's own when absent. */
  kcFor?: (user: string, groups?: readonly string[]) => KubeClientConfig;
  /** Pause reads above this many queued link bytes (default LOGS_LINK_HIGH_WATER). */
  highWater?: number;
}

interface Stream {
  id: string;
  req: ClientRequest | null;
  res: IncomingMessage | null;
  ended: boolean;
  paused: boolean;
}

/** The Log API query for a logs.open (tailLines defaults to LOGS_DEFAULT_TAIL_LINES). */
export function logQuery(
  m: Pick<LogsOpenMessage, 'container' | 'follow' | 'previous' | 'timestamps' | 'tailLines' | 'sinceSeconds'>,
): URLSearchParams {
  const q = new URLSearchParams({ container: m.container });
  if (m.follow) q.set('follow', 'true');
  if (m.previous) q.set('previous', 'true');
  if (m.timestamps) q.set('timestamps', 'true');
  q.set('tailLines', String(m.tailLines ?? LOGS_DEFAULT_TAIL_LINES));
  if (m.sinceSeconds !== undefined) q.set('sinceSeconds', String(m.sinceSeconds));
  return q;
}

export class AgentLogStreams {
  private readonly streams = new Map<string, Stream>();
  private drainTimer: NodeJS.Timeout | null = null;
  private opened = 0;

  constructor(private readonly opts: LogStreamsOptions) {}

  /** Open streams now, and how many were ever opened (tests, metrics). */
  stats(): { streams: number; opened: number } {
    return { streams: this.streams.size, opened: this.opened };
  }

  onControl(msg: LogsHubMessage): void {
    if (msg.type === 'logs.open') {
      if (this.streams.has(msg.streamId)) return;
      void this.open(msg);
      return;
    }
    const s = this.streams.get(msg.streamId);
    if (s) this.finish(s, 'closed', undefined, { tellHub: false });
  }

  /** The hub link dropped: every stream goes (the hub has ended them on its side). */
  closeAll(): void {
    for (const s of [...this.streams.values()]) this.finish(s, 'agent-lost', undefined, { tellHub: false });
  }

  private async open(m: LogsOpenMessage): Promise<void> {
    const s: Stream = { id: m.streamId, req: null, res: null, ended: false, paused: false };
    this.streams.set(s.id, s);
    this.opened++;
    let kc: KubeClientConfig;
    let opts: RequestOptions;
    let url: URL;
    try {
      kc = this.opts.kcFor ? this.opts.kcFor(m.user, m.groups) : this.opts.kc;
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error('kubeconfig has no current cluster');
      url = new URL(
        `/api/v1/namespaces/${encodeURIComponent(m.namespace)}/pods/${encodeURIComponent(m.pod)}/log?${logQuery(m).toString()}`,
        cluster.server,
      );
      opts = {
        method: 'GET',
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { accept: '*/*' },
      };
      await kc.applyToHTTPSOptions(opts);
      useKeepAliveAgent(url, opts); // the API server connection the agent's requests and watches share
    } catch (err) {
      this.finish(s, 'error', errorText(err));
      return;
    }
    if (s.ended) return; // closed while the credentials were being prepared
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const req = send(opts, (res) => this.onResponse(s, m, res));
    s.req = req;
    req.on('error', (err) => this.finish(s, 'error', `reading the log failed: ${err.message}`));
    req.end();
  }

  private onResponse(s: Stream, m: LogsOpenMessage, res: IncomingMessage): void {
    s.res = res;
    if (s.ended) {
      res.destroy();
      return;
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      // A Kubernetes Status: keep (a bounded part of) the body for its message.
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 8192) body += c;
      });
      res.on('end', () => this.finish(s, 'error', statusMessage(status, body)));
      res.on('error', () => this.finish(s, 'error', statusMessage(status, body)));
      return;
    }
    const decoder = new StringDecoder('utf8');
    const forward = (text: string): void => {
      for (const piece of splitUtf8(text, LOGS_MAX_CHUNK))
        this.opts.send({ type: 'logs.data', streamId: s.id, text: piece });
    };
    res.on('data', (chunk: Buffer) => {
      if (s.ended) return;
      forward(decoder.write(chunk));
      this.throttle(s);
    });
    res.on('end', () => {
      if (s.ended) return;
      forward(decoder.end());
      this.finish(s, 'eof', m.follow ? 'the log ended (the container stopped)' : undefined);
    });
    res.on('error', (err) => this.finish(s, 'error', `reading the log failed: ${err.message}`));
    res.on('close', () => {
      if (!s.ended) this.finish(s, 'error', 'the API server ended the log stream early');
    });
  }

  /** Pauses the stream while the link is over its high-water mark. */
  private throttle(s: Stream): void {
    if (this.opts.linkBuffered() <= (this.opts.highWater ?? LOGS_LINK_HIGH_WATER) || s.paused) return;
    s.paused = true;
    s.res?.pause();
    this.drainTimer ??= setInterval(() => this.resumeDrained(), 20);
  }

  private resumeDrained(): void {
    if (this.opts.linkBuffered() > (this.opts.highWater ?? LOGS_LINK_HIGH_WATER) / 2) return;
    for (const s of this.streams.values()) {
      if (!s.paused) continue;
      s.paused = false;
      s.res?.resume();
    }
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
  }

  private finish(
    s: Stream,
    reason: LogsEndReason,
    message?: string,
    o: { tellHub: boolean } = { tellHub: true },
  ): void {
    if (s.ended) return;
    s.ended = true;
    this.streams.delete(s.id);
    // Abort the Kubernetes request: a follow stream would otherwise stay open forever.
    s.res?.destroy();
    s.req?.destroy();
    if (this.streams.size === 0 && this.drainTimer) {
      clearInterval(this.drainTimer);
      this.drainTimer = null;
    }
    if (reason === 'error') this.opts.log.debug({ stream: s.id, message }, 'log stream failed');
    if (o.tellHub)
      this.opts.send({
        type: 'logs.end',
        streamId: s.id,
        reason,
        ...(message ? { message: message.slice(0, 4096) } : {}),
      });
  }
}

/** The message of a Kubernetes Status body ("previous terminated container … not found"). */
function statusMessage(status: number, body: string): string {
  try {
    const message = messageOf(JSON.parse(body));
    if (message) return message;
  } catch {
    // not JSON
  }
  return body.trim() ? body.trim().slice(0, 4096) : `HTTP ${status}`;
}
