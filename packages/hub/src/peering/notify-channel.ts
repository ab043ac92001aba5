// PostgreSQL LISTEN/NOTIFY between hub replicas: one dedicated connection per
// replica that listens on the hub's channels and sends its notifications in
// order (one at a time, so a replica's messages arrive in the order sent).
// NOTIFY payloads are limited to 8000 bytes: longer messages go in chunks of
// one transaction and are put back together by the receiver. The connection
// comes back after a store outage; what was published meanwhile is lost (the
// live feed says so to browsers by a reconnect; commands are in the store and
// are re-dispatched on the agent's next hello or wake-up).
import type pg from 'pg';
import { randomUUID } from 'node:crypto';

/** Room for the chunk header under PostgreSQL's 8000-byte payload limit. */
export const MAX_CHUNK_BYTES = 7800;

export type ChannelListener = (payload: string, origin: string) => void;

export interface NotifyChannelOptions {
  /** Opens the dedicated connection (a pg.Client not yet connected). */
  connect: () => pg.Client;
  /** This replica's id: messages carry it, and a replica's own messages are not handed back to it. */
  origin: string;
  onError?: (err: unknown) => void;
  /** Reconnect delay after the connection broke (default 1 s). */
  retryMs?: number;
}

/** Splits text into pieces of at most maxBytes UTF-8 bytes, never inside a character. */
export function chunkText(text: string, maxBytes = MAX_CHUNK_BYTES): string[] {
  if (Buffer.byteLength(text) <= maxBytes) return [text];
  const out: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i) ?? 0;
    const len = cp > 0xffff ? 2 : 1;
    const b = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + b > maxBytes) {
      out.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += b;
    i += len;
  }
  out.push(text.slice(start));
  return out;
}

export class NotifyChannel {
  private client: pg.Client | null = null;
  private readonly listeners = new Map<string, ChannelListener>();
  private readonly partial = new Map<string, { parts: string[]; got: number; at: number }>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private connecting: Promise<void> | null = null;

  constructor(private readonly opts: NotifyChannelOptions) {}

  /** Listens on a channel (call before start()). */
  on(channel: string, listener: ChannelListener): void {
    this.listeners.set(channel, listener);
  }

  async start(): Promise<void> {
    await this.open();
  }

  private open(): Promise<void> {
    this.connecting ??= (async () => {
      const client = this.opts.connect();
      client.on('notification', (n) => this.receive(n.channel, n.payload ?? ''));
      client.on('error', (err) => {
        this.opts.onError?.(err);
        this.broken(client);
      });
      client.on('end', () => this.broken(client));
      await client.connect();
      for (const ch of this.listeners.keys()) await client.query(`LISTEN ${quoteIdent(ch)}`);
      this.client = client;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private broken(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    const retry = (): void => {
      if (this.stopped) return;
      this.open().catch((err: unknown) => {
        this.opts.onError?.(err);
        setTimeout(retry, this.opts.retryMs ?? 1000).unref();
      });
    };
    setTimeout(retry, this.opts.retryMs ?? 1000).unref();
  }

  /** Sends text to every replica listening on the channel (chunked above the payload limit). */
  send(channel: string, text: string): Promise<void> {
    const run = async (): Promise<void> => {
      const client = this.client;
      if (!client) throw new Error('notify channel not connected');
      const pieces = chunkText(text);
      const id = randomUUID();
      const payloads = pieces.map((p, i) => `${this.opts.origin} ${id} ${i} ${pieces.length}\n${p}`);
      if (payloads.length === 1) {
        await client.query('SELECT pg_notify($1, $2)', [channel, payloads[0]]);
        return;
      }
      // One transaction: the chunks are delivered together, at its commit.
      await client.query('BEGIN');
      try {
        for (const p of payloads) await client.query('SELECT pg_notify($1, $2)', [channel, p]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    };
    const next = this.queue.then(run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private receive(channel: string, payload: string): void {
    const nl = payload.indexOf('\n');
    if (nl < 0) return;
    const [origin = '', id = '', iText = '', nText = ''] = payload.slice(0, nl).split(' ');
    if (origin === this.opts.origin) return;
    const listener = this.listeners.get(channel);
    if (!listener) return;
    const body = payload.slice(nl + 1);
    const n = Number(nText);
    const i = Number(iText);
    if (n === 1) {
      listener(body, origin);
      return;
    }
    if (!Number.isInteger(n) || !Number.isInteger(i) || i < 0 || i >= n) return;
    const key = `${origin} ${id}`;
    const now = Date.now();
    const p = this.partial.get(key) ?? { parts: new Array<string>(n).fill(''), got: 0, at: now };
    if (p.parts[i] === '') p.got++;
    p.parts[i] = body;
    this.partial.set(key, p);
    if (p.got === n) {
      this.partial.delete(key);
      listener(p.parts.join(''), origin);
    }
    // A sender that died mid-message leaves parts nobody completes: drop them after a minute.
    for (const [k, v] of this.partial) if (now - v.at > 60_000) this.partial.delete(k);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
