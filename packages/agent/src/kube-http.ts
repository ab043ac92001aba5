// Plain JSON requests to the API server with the client's credentials
// (@kubernetes/client-node applies TLS and auth). Used where the typed API is
// awkward: paginated lists of any kind as raw JSON, and patches with an
// explicit patch type and preconditions.
import { Agent as HttpsAgent, request } from 'node:https';
import { request as httpRequest } from 'node:http';
import type * as k8s from '@kubernetes/client-node';
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

function reusedAgent(server: string, created: unknown): HttpsAgent | undefined {
  // Only a plain HTTPS agent (not a proxy agent) is replaced; it carries the TLS options it was made with.
  if (!(created instanceof HttpsAgent) || created.constructor !== HttpsAgent) return undefined;
  const o = created.options;
  // TLS material is strings or Buffers (or arrays of them); other values are flags.
  const str = (v: unknown): string =>
    Array.isArray(v)
      ? v.map(str).join(',')
      : Buffer.isBuffer(v)
        ? v.toString('base64')
        : v === undefined
          ? ''
          : JSON.stringify(v);
  const key = [server, o.ca, o.cert, o.key, o.pfx, o.passphrase, o.rejectUnauthorized, o.servername]
    .map(str)
    .join('\u0000');
  let agent = keepAlive.get(key);
  if (agent) {
    keepAlive.delete(key); // re-inserted below: most recently used last
  } else {
    // Idle sockets close after 30 s, before a server or load balancer might drop them under a new request.
    agent = new HttpsAgent({ ...o, keepAlive: true, timeout: 30_000 });
  }
  keepAlive.set(key, agent);
  for (const [k, old] of keepAlive) {
    if (keepAlive.size <= KEEP_ALIVE_AGENTS) break;
    keepAlive.delete(k);
    old.destroy();
  }
  return agent;
}

export async function kubeRequest<T = unknown>(
  kc: k8s.KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  extraHeaders: Record<string, string> = {},
): Promise<KubeResponse<T>> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, cluster.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { accept: 'application/json', ...extraHeaders };
  if (payload !== undefined) {
    headers['content-type'] = contentType;
    headers['content-length'] = Buffer.byteLength(payload);
  }
  const opts: import('node:https').RequestOptions = {
    method,
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers,
  };
  // Adds TLS material and the Authorization header from the kubeconfig.
  await kc.applyToHTTPSOptions(opts);
  const agent = reusedAgent(url.origin, opts.agent);
  if (agent) {
    (opts.agent as HttpsAgent).destroy();
    opts.agent = agent;
  }
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
