// A test client of the shell WebSocket: terminal bytes in `output`, JSON control frames in `controls`.
import WebSocket from 'ws';
import { eventually } from '@wheelhouse/test-cluster/testing';

export interface Control {
  type: string;
  [k: string]: unknown;
}

export class ShellClient {
  output = '';
  readonly controls: Control[] = [];
  readonly closed: Promise<number>;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.output += data.toString('utf8');
      else this.controls.push(JSON.parse(data.toString('utf8')) as Control);
    });
    this.closed = new Promise((r) => ws.on('close', (code) => r(code)));
  }
  type(s: string): void {
    this.ws.send(Buffer.from(s), { binary: true });
  }
  async waitFor(what: string, timeoutMs = 30_000): Promise<void> {
    await eventually(
      `"${what}" (have ${JSON.stringify(this.output.slice(-300))}, ${JSON.stringify(this.controls)})`,
      () => Promise.resolve(this.output.includes(what)),
      { timeoutMs },
    );
  }
  async waitControl(type: string, timeoutMs = 60_000): Promise<Control> {
    return eventually(
      `a ${type} message (have ${JSON.stringify(this.controls)})`,
      () => Promise.resolve(this.controls.find((c) => c.type === type)),
      { timeoutMs },
    );
  }
}

export type Connected = { client: ShellClient } | { status: number; body: Record<string, unknown> };

/** Opens the WebSocket; a refusal before the upgrade resolves with its status and JSON body. */
export function connectShell(url: URL, token: string): Promise<Connected> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  return new Promise((resolve, reject) => {
    const client = new ShellClient(ws);
    ws.once('open', () => resolve({ client }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }));
    });
    ws.once('error', reject);
  });
}
