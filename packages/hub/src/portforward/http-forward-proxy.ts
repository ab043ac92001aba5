// One request of a forwarded browser tab, relayed to the pod's port: an HTTP/1.1
// client whose "socket" is a port-forward connection through the agent
// (PortForwardRelay.openStream), one connection per request (no pooling: the
// relay's per-user connection limit bounds them).
//
// The pod's content is hostile. It is served as an opaque origin
// (CSP `sandbox` without allow-same-origin), so its scripts cannot read the
// console's cookies, storage or API with the user's session. Headers are
// filtered both ways: the user's cookies and credentials never reach the pod,
// and nothing the pod answers may touch the hub's origin (cookies, site data,
// HSTS, service workers, CORS grants). docs/security.md says why each.
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiError, sendError } from '../http/errors.js';
import type { HttpForward } from './http-forwards.js';
import type { PortForwardRelay } from './port-forward-relay.js';

/** The policy every forwarded response carries: scripts run, but in an origin of their own (opaque). */
export const FORWARDED_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

/** Request headers the pod never sees: the user's hub credentials, and hop-by-hop ones. */
const DROP_REQUEST = new Set([
  'cookie',
  'authorization',
  'proxy-authorization',
  'x-csrf-token',
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-prefix',
  'x-real-ip',
]);

/** Response headers that would act on the hub's origin rather than the pod's sandbox. */
const DROP_RESPONSE = new Set([
  'set-cookie',
  'clear-site-data',
  'strict-transport-security',
  'alt-svc',
  'service-worker-allowed',
  'content-security-policy',
  'content-security-policy-report-only',
  'x-frame-options',
  'referrer-policy',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'permissions-policy',
]);
const isCorsGrant = (name: string): boolean => name.startsWith('access-control-');

export function requestHeadersForPod(
  headers: IncomingHttpHeaders,
  f: HttpForward,
  prefix: string,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROP_REQUEST.has(name)) continue;
    out[name] = value;
  }
  // As kubectl port-forward would present it; the prefix lets an app that supports a sub-path build its links.
  out.host = `localhost:${f.port}`;
  out['x-forwarded-prefix'] = prefix;
  out.connection = 'close';
  return out;
}

export function responseHeadersForBrowser(
  headers: IncomingHttpHeaders,
  prefix: string,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROP_RESPONSE.has(name) || isCorsGrant(name)) continue;
    out[name] = value;
  }
  // A redirect to a root path stays inside the forward.
  const location = out.location;
  if (typeof location === 'string' && location.startsWith('/') && !location.startsWith('//'))
    out.location = prefix + location;
  out['content-security-policy'] = FORWARDED_CSP;
  // The forward's token is in the URL: never sent on as a Referer.
  out['referrer-policy'] = 'no-referrer';
  out['cross-origin-opener-policy'] = 'same-origin';
  out['cache-control'] = typeof out['cache-control'] === 'string' ? out['cache-control'] : 'no-store';
  return out;
}

/** Relays the request; answers 502 port_forward_failed when the pod does not. */
export function proxyToPod(
  relay: PortForwardRelay,
  f: HttpForward,
  req: FastifyRequest,
  reply: FastifyReply,
  o: { prefix: string; path: string; timeoutMs: number },
): Promise<void> {
  return new Promise((resolve) => {
    let answered = false;
    const fail = (reason: string): void => {
      if (answered) return;
      answered = true;
      void sendError(
        reply,
        apiError('port_forward_failed', { namespace: f.namespace, pod: f.pod, port: f.port, reason }, { port: f.port }),
      );
      resolve();
    };
    const stream = relay.openStream({
      user: f.user,
      cluster: f.cluster,
      namespace: f.namespace,
      pod: f.pod,
      port: f.port,
    });
    // The request reports the stream's failure; a late one (after the answer) has no one left to tell.
    stream.on('error', () => undefined);
    const upstream = httpRequest({
      createConnection: () => stream,
      // No agent: with createConnection, each request gets its own forwarded connection (agent:false would dial TCP).
      method: req.method,
      path: o.path,
      headers: requestHeadersForPod(req.headers, f, o.prefix),
      setHost: false,
      timeout: o.timeoutMs,
    });
    upstream.on('timeout', () => {
      upstream.destroy();
      fail(`no answer within ${o.timeoutMs / 1000} s`);
    });
    upstream.on('error', (err) => fail(err.message));
    upstream.on('response', (res) => {
      if (answered) return;
      answered = true;
      void reply
        .code(res.statusCode ?? 502)
        .headers(responseHeadersForBrowser(res.headers, o.prefix))
        .send(res);
      resolve();
    });
    // The body (a raw stream: this plugin parses none) goes on as it arrives; the relay's credit paces it.
    const body = req.body as NodeJS.ReadableStream | undefined;
    if (body && typeof body.pipe === 'function') body.pipe(upstream);
    else upstream.end();
  });
}
