// Plain JSON requests to the API server with the client's credentials
// (@kubernetes/client-node applies TLS and auth). Used where the typed API is
// awkward: paginated lists of any kind as raw JSON, and patches with an
// explicit patch type and preconditions.
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import type * as k8s from '@kubernetes/client-node';
import { KubeApiError, statusFields } from '@wheelhouse/exec-guard/kube-errors';

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
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
