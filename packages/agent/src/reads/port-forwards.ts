// Forwarded TCP connections for the hub: portfwd.open opens the pod's
// portforward subresource (a WebSocket, v4.channel.k8s.io, one port) as the
// user (impersonation) or the agent; bytes travel as portfwd.data both ways
// until either side closes, Kubernetes reports an error, or the link drops.
//
// Channels on the Kubernetes socket: 0 data, 1 error (text); the server's
// first frame on each channel is the port (2 bytes, little endian), skipped.
// A raw `ws` client rather than client-node's PortForward: flow control needs
// pause()/resume() and the send callback, which PortForward hides.
//
// Flow control (see protocol/port-forward.ts): toward the hub the agent may
// have `window` bytes uncredited; out of credit it pauses the Kubernetes
// socket (TCP backpressure reaches the API server). From the hub, each chunk
// is credited back once the socket has written it.
import type { KubeClientConfig } from '../kube-config.js';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import {
  messageOf,
  PORTFWD_MAX_CHUNK,
  PORTFWD_WINDOW,
  type PortForwardAgentMessage,
  type PortForwardEndReason,
  type PortForwardHubMessage,
  type PortForwardOpenMessage,
} from '@wheelhouse/protocol';
import { errorText } from '@wheelhouse/exec-guard/kube-errors';

export const PORTFORWARD_PROTOCOLS = ['v4.channel.k8s.io'];

export interface PortForwardsOptions {
  kc: KubeClientConfig;
  log: Logger;
  /** false: the podExec tier is off; every open ends with an error. */
  enabled: boolean;
  send: (msg: PortForwardAgentMessage) => boolean;
  /** The KubeConfig to forward as, per Wheelhouse user (impersonation); the agent's own when absent. */
  kcFor?: (user: string) => KubeClientConfig;
  /** Bytes the hub may send before a credit (default PORTFWD_WINDOW). */
  window?: number;
}

interface Conn {
  id: string;
  ws: WebSocket | null;
  /** Bytes the agent may still send to the hub. */
  credit: number;
  paused: boolean;
  /** The port prefix of channel 0 / 1 was read. */
  seenPort: [boolean, boolean];
  errorText: string;
  ended: boolean;
}

export class AgentPortForwards {
  private readonly conns = new Map<string, Conn>();
  private opened = 0;

  constructor(private readonly opts: PortForwardsOptions) {}

  /** Open connections now, and how many were ever opened (tests). */
  stats(): { connections: number; opened: number } {
    return { connections: this.conns.size, opened: this.opened };
  }

  onControl(msg: PortForwardHubMessage): void {
    if (msg.type === 'portfwd.open') {
      if (this.conns.has(msg.connId)) return;
      void this.open(msg);
      return;
    }
    const c = this.conns.get(msg.connId);
    if (!c) return;
    if (msg.type === 'portfwd.close') this.end(c, 'closed', undefined, { notifyHub: false });
    else if (msg.type === 'portfwd.credit') {
      c.credit += msg.bytes;
      if (c.paused && c.credit > 0) {
        c.paused = false;
        c.ws?.resume();
      }
    } else {
      const ws = c.ws;
      const data = Buffer.from(msg.data, 'base64');
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      // Credited once written: the hub never has more than a window in flight here.
      ws.send(Buffer.concat([Buffer.from([0]), data]), () => {
        if (!c.ended && data.length > 0) this.opts.send({ type: 'portfwd.credit', connId: c.id, bytes: data.length });
      });
    }
  }

  closeAll(): void {
    for (const c of [...this.conns.values()]) this.end(c, 'agent-lost', undefined, { notifyHub: false });
  }

  private async open(m: PortForwardOpenMessage): Promise<void> {
    const c: Conn = {
      id: m.connId,
      ws: null,
      credit: m.window,
      paused: false,
      seenPort: [false, false],
      errorText: '',
      ended: false,
    };
    this.conns.set(c.id, c);
    this.opened++;
    if (!this.opts.enabled) {
      this.end(c, 'error', 'port-forward needs the podExec tier, which is off on this agent', { notifyHub: true });
      return;
    }
    let ws: WebSocket;
    try {
      const kc = this.opts.kcFor ? this.opts.kcFor(m.user) : this.opts.kc;
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error('kubeconfig has no current cluster');
      const url = new URL(
        `/api/v1/namespaces/${encodeURIComponent(m.namespace)}/pods/${encodeURIComponent(m.pod)}/portforward`,
        cluster.server,
      );
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      url.searchParams.set('ports', String(m.port));
      const wsOpts: WebSocket.ClientOptions = { handshakeTimeout: 15_000, perMessageDeflate: false };
      await kc.applyToHTTPSOptions(wsOpts);
      ws = await openSocket(url, wsOpts);
    } catch (err) {
      this.end(c, 'error', errorText(err), { notifyHub: true });
      return;
    }
    if (c.ended) {
      ws.terminate();
      return;
    }
    c.ws = ws;
    ws.on('message', (raw, isBinary) => {
      const buf = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
      if (!isBinary || buf.length === 0) return;
      const channel = buf[0];
      if (channel !== 0 && channel !== 1) return;
      let payload = buf.subarray(1);
      if (!c.seenPort[channel]) {
        // The first two bytes on each channel name the port.
        const skip = Math.min(2, payload.length);
        payload = payload.subarray(skip);
        if (skip === 2) c.seenPort[channel] = true;
      }
      if (payload.length === 0) return;
      if (channel === 1) {
        c.errorText = (c.errorText + payload.toString('utf8')).slice(0, 4000);
        return;
      }
      for (let i = 0; i < payload.length; i += PORTFWD_MAX_CHUNK) {
        const piece = payload.subarray(i, i + PORTFWD_MAX_CHUNK);
        this.opts.send({ type: 'portfwd.data', connId: c.id, data: piece.toString('base64') });
        c.credit -= piece.length;
      }
      if (c.credit <= 0 && !c.paused) {
        c.paused = true;
        ws.pause();
      }
    });
    ws.on('close', () => {
      if (c.errorText) this.end(c, 'error', c.errorText, { notifyHub: true });
      else this.end(c, 'closed', undefined, { notifyHub: true });
    });
    ws.on('error', () => undefined); // 'close' follows
    this.opts.send({ type: 'portfwd.opened', connId: c.id, window: this.opts.window ?? PORTFWD_WINDOW });
  }

  private end(c: Conn, reason: PortForwardEndReason, message: string | undefined, o: { notifyHub: boolean }): void {
    if (c.ended) return;
    c.ended = true;
    this.conns.delete(c.id);
    if (c.ws) {
      if (c.paused) c.ws.resume(); // let the close handshake be read
      if (c.ws.readyState === WebSocket.OPEN) c.ws.close(1000);
      const ws = c.ws;
      setTimeout(() => ws.terminate(), 1000).unref();
    }
    if (reason === 'error') this.opts.log.info({ connId: c.id, message }, 'port-forward ended with an error');
    if (o.notifyHub)
      this.opts.send({
        type: 'portfwd.end',
        connId: c.id,
        reason,
        ...(message ? { message: message.slice(0, 4000) } : {}),
      });
  }
}

/** Opens the Kubernetes socket; rejects with the API server's message when the upgrade is refused (403, 404, …). */
function openSocket(url: URL, opts: WebSocket.ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, PORTFORWARD_PROTOCOLS, opts);
  return new Promise((resolve, reject) => {
    let refused = false;
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      refused = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let message = body.slice(0, 500);
        try {
          message = messageOf(JSON.parse(body)) ?? message;
        } catch {
          // not a Status: keep the text
        }
        reject(new Error(`port-forward refused by the API server (HTTP ${res.statusCode ?? '?'}): ${message}`));
        // Terminating emits 'error' ("closed before the connection was established"): not the answer.
        ws.terminate();
      });
    });
    // A socket error after the connection opened is the 'close' handler's business (the promise has settled).
    ws.on('error', (err) => {
      if (!refused) reject(new Error(`port-forward failed: ${err.message}`));
    });
  });
}
