// One exec stream to the Kubernetes API (pods/{name}/exec over WebSocket,
// v5.channel.k8s.io or v4.channel.k8s.io). A raw `ws` client rather than
// client-node's Exec: the relay needs pause()/resume() on the socket (flow
// control) and the send callback (stdin credit), which Exec hides.
// Channels: 0 stdin, 1 stdout, 2 stderr, 3 status (a V1Status as JSON), 4 resize; 255 close (v5).
import { messageOf } from '@wheelhouse/protocol';
import { EventEmitter } from 'node:events';
import type { KubeClientConfig } from '../kube-config.js';
import WebSocket from 'ws';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export interface KubeExecOptions {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  tty: boolean;
}

export interface ExecStatus {
  /** The remote command's exit code, when the status says one. */
  exitCode: number | null;
  /** Failure message when the status is not a plain exit. */
  message: string | null;
}

interface StatusLike {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/**
 * Reads a status: Success → 0; a kubelet's NonZeroExitCode carries an ExitCode
 * cause; kwok's local exec only says "exit status N" in the message.
 */
export function parseExecStatus(raw: string): ExecStatus {
  let s: StatusLike;
  try {
    s = JSON.parse(raw) as StatusLike;
  } catch {
    return { exitCode: null, message: raw.slice(0, 500) };
  }
  if (s.status === 'Success') return { exitCode: 0, message: null };
  const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (cause?.message !== undefined && /^\d+$/.test(cause.message))
    return { exitCode: Number(cause.message), message: null };
  const m = /exit (?:status|code) (\d+)/.exec(s.message ?? '');
  if (m?.[1]) return { exitCode: Number(m[1]), message: null };
  return { exitCode: null, message: s.message ?? s.reason ?? 'exec failed' };
}

/** Whether a failure means the executable is missing (so the default shell tries the next one). */
export function isMissingExecutable(status: ExecStatus): boolean {
  if (status.exitCode === 126 || status.exitCode === 127) return true;
  return (
    status.message !== null && /executable file not found|no such file or directory|not found/i.test(status.message)
  );
}

export interface KubeExecEvents {
  data: [channel: 1 | 2, payload: Buffer];
  status: [status: ExecStatus];
  close: [];
}

export class KubeExec extends EventEmitter<KubeExecEvents> {
  private paused = false;
  /**
   * Events before start(). A short command's output, status and close can come
   * with the upgrade's answer and be read before the caller of open() has
   * resumed and put its listeners on: emitted then, they would be lost (a
   * shell's recording without its output, a tool run waiting for a close that
   * already went).
   */
  private held: (() => void)[] | null = [];

  private constructor(private readonly ws: WebSocket) {
    super();
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (!isBinary || buf.length === 0) return;
      const channel = buf[0];
      const payload = buf.subarray(1);
      if (channel === 1 || channel === 2) {
        if (payload.length > 0) this.deliver(() => this.emit('data', channel, payload));
      } else if (channel === 3) {
        const status = parseExecStatus(payload.toString('utf8'));
        this.deliver(() => this.emit('status', status));
      }
    });
    ws.on('close', () => this.deliver(() => this.emit('close')));
    ws.on('error', () => undefined); // 'close' follows and ends the session
  }

  private deliver(event: () => void): void {
    if (this.held) this.held.push(event);
    else event();
  }

  /** Delivers the exec's events from now on, first those that came before, in order. Call once the listeners are on. */
  start(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    for (const event of held) event();
  }

  /** Opens the exec; rejects with the API server's message when the upgrade is refused (403, 404, …). */
  static async open(kc: KubeClientConfig, o: KubeExecOptions): Promise<KubeExec> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(
      `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/pods/${encodeURIComponent(o.pod)}/exec`,
      cluster.server,
    );
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const c of o.command) url.searchParams.append('command', c);
    url.searchParams.set('container', o.container);
    url.searchParams.set('stdin', 'true');
    url.searchParams.set('stdout', 'true');
    url.searchParams.set('stderr', o.tty ? 'false' : 'true');
    url.searchParams.set('tty', String(o.tty));
    const opts: WebSocket.ClientOptions = { handshakeTimeout: 15_000, perMessageDeflate: false };
    // TLS material and credentials (and impersonation headers, for an impersonating config).
    await kc.applyToHTTPSOptions(opts);
    const ws = new WebSocket(url, EXEC_PROTOCOLS, opts);
    return new Promise((resolve, reject) => {
      let refused = false;
      ws.once('open', () => resolve(new KubeExec(ws)));
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
          reject(new Error(`exec refused by the API server (HTTP ${res.statusCode ?? '?'}): ${message}`));
          // Terminating emits 'error' ("closed before the connection was established"): not the answer.
          ws.terminate();
        });
      });
      ws.on('error', (err) => {
        if (!refused) reject(new Error(`exec failed: ${err.message}`));
      });
    });
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  /** Bytes written but not yet flushed to the API server. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Writes stdin; cb runs once the bytes are on their way (the stdin credit comes back then). */
  write(data: Buffer, cb: () => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return cb();
    this.ws.send(Buffer.concat([Buffer.from([0]), data]), () => cb());
  }

  resize(cols: number, rows: number): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ Width: cols, Height: rows }))]));
  }

  /** Stops reading the exec stream: TCP backpressure reaches the API server and the process. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.ws.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.ws.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) {
      // v5 can half-close stdin first, so the process sees EOF; then the stream goes.
      if (this.ws.protocol === 'v5.channel.k8s.io') this.ws.send(Buffer.from([255, 0]));
      this.ws.close(1000);
      // A paused socket never reads the close handshake: do not wait for it.
      setTimeout(() => this.ws.terminate(), 1000).unref();
    } else if (this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate();
    }
  }
}
