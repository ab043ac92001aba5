// Plain JSON requests and watches to the API server with the agent's
// credentials (kube-config.ts applies TLS and auth). The agent's whole sync
// path (lists, watches, reviews) goes through here, not through the typed
// @kubernetes/client-node API, so an agent that only syncs never loads it.
import { Agent as HttpsAgent, request, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { KubeClientConfig } from './kube-config.js';
import { KubeApiError, statusFields } from '@wheelhouse/exec-guard/kube-errors';

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

/**
 * Keep-alive agents per API server and TLS identity. The client library builds a
 * new agent for every request, so each one paid a TCP + TLS handshake (and a new
 * secure context); reusing the connection makes a GET or PATCH one round trip.
 * Keyed by the TLS material, not the kubeconfig: each command gets its own
 * (impersonating) kubeconfig, and who a request acts as travels in its headers.
 * A rotated client certificate gets its own agent; the least recently used close.
 */
const keepAlive = new Map<string, HttpsAgent>();
const KEEP_ALIVE_AGENTS = 8;
/** Base64 of TLS material already seen: the lean config hands over the same Buffers until a file changes. */
const encoded = new WeakMap<Buffer, string>();

/** The TLS options of a request (or of the agent the client library made for it). */
type TlsOptions = Pick<
  RequestOptions,
  'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername'
>;

function tlsKey(server: string, o: TlsOptions): string {
  // TLS material is strings or Buffers (or arrays of them); other values are flags.
  const str = (v: unknown): string => {
    if (Array.isArray(v)) return v.map(str).join(',');
    if (Buffer.isBuffer(v)) {
      let b64 = encoded.get(v);
      if (b64 === undefined) encoded.set(v, (b64 = v.toString('base64')));
      return b64;
    }
    return v === undefined ? '' : JSON.stringify(v);
  };
  return [server, o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername].map(str).join('\u0000');
}

function keepAliveAgent(server: string, o: TlsOptions): HttpsAgent {
  const key = tlsKey(server, o);
  let agent = keepAlive.get(key);
  if (agent) {
    keepAlive.delete(key); // re-inserted below: most recently used last
  } else {
    const { ca, cert, key: pem, pfx, passphrase, rejectUnauthorized, servername } = o;
    const tls = { ca, cert, key: pem, pfx, passphrase, rejectUnauthorized, servername };
    for (const k of Object.keys(tls) as (keyof typeof tls)[]) if (tls[k] === undefined) Reflect.deleteProperty(tls, k);
    // Idle sockets close after 30 s, before a server or load balancer might drop them under a new request.
    agent = new HttpsAgent({ ...tls, keepAlive: true, timeout: 30_000 });
  }
  keepAlive.set(key, agent);
  for (const [k, old] of keepAlive) {
    if (keepAlive.size <= KEEP_ALIVE_AGENTS) break;
    keepAlive.delete(k);
    old.destroy();
  }
  return agent;
}

/**
 * Puts the shared keep-alive agent for the request's API server and TLS
 * identity into opts (after applyToHTTPSOptions). The lean config sets no
 * agent; the client library's config sets a plain HttpsAgent per request,
 * which is replaced and destroyed. Anything else (a proxy agent) is kept, and
 * plain HTTP uses Node's global agent.
 */
export function useKeepAliveAgent(url: URL, opts: RequestOptions): void {
  if (url.protocol !== 'https:') return;
  const created = opts.agent;
  if (created === undefined) {
    opts.agent = keepAliveAgent(url.origin, opts);
  } else if (created instanceof HttpsAgent && created.constructor === HttpsAgent) {
    opts.agent = keepAliveAgent(url.origin, created.options);
    created.destroy();
  }
}

/** Request options for path with the config's TLS material, credentials and a keep-alive agent. */
async function requestOptions(
  kc: KubeClientConfig,
  method: string,
  path: string,
  headers: Record<string, string | number>,
): Promise<{ url: URL; opts: RequestOptions }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const opts: RequestOptions = {
    method,
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers,
  };
  // Adds TLS material and the Authorization header from the kubeconfig.
  await kc.applyToHTTPSOptions(opts);
  useKeepAliveAgent(url, opts);
  return { url, opts };
}

export async function kubeRequest<T = unknown>(
  kc: KubeClientConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  extraHeaders: Record<string, string> = {},
): Promise<KubeResponse<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { accept: 'application/json', ...extraHeaders };
  if (payload !== undefined) {
    headers['content-type'] = contentType;
    headers['content-length'] = Buffer.byteLength(payload);
  }
  const { url, opts } = await requestOptions(kc, method, path, headers);
  const send = url.protocol === 'http:' ? httpRequest : request;
  return new Promise((resolve, reject) => {
    const req = send(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Throws KubeApiError carrying the API server's own message unless the status is 2xx. */
export function ensureOk<T>(res: KubeResponse<T>, what: string): T {
  if (res.status >= 200 && res.status < 300) return res.body;
  const { reason, message } = statusFields(res.body);
  throw new KubeApiError(res.status, reason, `${what}: ${message ?? `HTTP ${res.status}`}`);
}

/** An error a watch ends with when the API server refused it: its HTTP status, like the client library's. */
export class WatchRefused extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'WatchRefused';
  }
}

/**
 * A watch on a collection: each event (ADDED, MODIFIED, DELETED, BOOKMARK,
 * ERROR) to onEvent as it arrives, then `done` once (null when the server
 * ended it, the error otherwise — a WatchRefused with the status when the
 * server refused it). Same contract as @kubernetes/client-node's Watch.watch.
 */
export async function kubeWatch(
  kc: KubeClientConfig,
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  onEvent: (phase: string, obj: unknown) => void,
  done: (err: unknown) => void,
): Promise<AbortController> {
  const q = new URLSearchParams({ watch: 'true' });
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const ac = new AbortController();
  let finished = false;
  const finish = (err: unknown): void => {
    if (finished) return;
    finished = true;
    done(err);
  };
  const { url, opts } = await requestOptions(kc, 'GET', `${path}?${q.toString()}`, { accept: 'application/json' });
  opts.signal = ac.signal;
  const send = url.protocol === 'http:' ? httpRequest : request;
  const req = send(opts, (res) => {
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const { message } = statusFields(Buffer.concat(chunks).toString('utf8'));
        finish(new WatchRefused(status, message ?? `HTTP ${status}`));
      });
      res.on('error', finish);
      return;
    }
    res.setEncoding('utf8');
    let rest = '';
    res.on('data', (text: string) => {
      rest += text;
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        if (!line.trim()) continue;
        let ev: { type?: string; object?: unknown };
        try {
          ev = JSON.parse(line) as { type?: string; object?: unknown };
        } catch (err) {
          ac.abort();
          finish(err);
          return;
        }
        if (ev.type) onEvent(ev.type, ev.object);
      }
    });
    res.on('end', () => finish(null));
    res.on('error', finish);
    res.on('close', () => finish(null));
  });
  req.on('error', finish);
  req.end();
  return ac;
}
