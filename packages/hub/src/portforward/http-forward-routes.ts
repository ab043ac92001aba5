// The tabs of the console's HTTP forwards (a plugin at the root, not under /api/v1):
//   ANY /pf/{token}/{path…}   the pod port's answer to {path…}, sandboxed (http-forward-proxy.ts)
//   GET /pf/{token}           redirects to /pf/{token}/ so relative links resolve inside the forward
// The token (from POST …/portforward/http) is the only credential: the tab's own requests come from an opaque
// origin and carry no session cookie, by design. An unknown, idle or expired token answers 404 not_found.
import type { FastifyPluginCallback } from 'fastify';
import { notFound } from '../http/errors.js';
import { proxyToPod } from './http-forward-proxy.js';
import { HTTP_FORWARD_PREFIX, HTTP_FORWARD_TOKEN, type HttpForwards } from './http-forwards.js';
import type { PortForwardRelay } from './port-forward-relay.js';

export interface HttpForwardRoutesOptions {
  forwards: HttpForwards;
  relay: PortForwardRelay;
  /** How long the pod has to start answering a request (default 60 s; 504 after). */
  timeoutMs?: number;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const httpForwardRoutes: FastifyPluginCallback<HttpForwardRoutesOptions> = (app, deps, done) => {
  // Bodies go to the pod as they arrive, unparsed (this plugin's scope only).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, parsed) => parsed(null, payload));

  const gone = (token: string): string =>
    HTTP_FORWARD_TOKEN.test(token)
      ? 'port-forward (it closed: idle, expired, or the hub restarted; open the port again from the pod page)'
      : 'port-forward at this address';

  app.route({
    method: [...METHODS],
    url: `${HTTP_FORWARD_PREFIX}/:token/*`,
    // The tab's requests carry no session (an opaque origin); a top-level one may, and it is not used.
    config: { csrf: false },
    schema: { hide: true },
    handler: async (req, reply) => {
      const { token } = req.params as { token: string };
      const f = HTTP_FORWARD_TOKEN.test(token) ? deps.forwards.use(token) : null;
      if (!f) throw notFound(gone(token));
      const prefix = `${HTTP_FORWARD_PREFIX}/${token}`;
      // The raw URL keeps the query and the path's encoding exactly as the tab sent them.
      const path = req.raw.url?.slice(prefix.length) || '/';
      await proxyToPod(deps.relay, f, req, reply, { prefix, path, timeoutMs: deps.timeoutMs ?? 60_000 });
      return reply;
    },
  });
  app.get(`${HTTP_FORWARD_PREFIX}/:token`, { schema: { hide: true } }, async (req, reply) => {
    const { token } = req.params as { token: string };
    return reply.redirect(`${HTTP_FORWARD_PREFIX}/${encodeURIComponent(token)}/`, 302);
  });
  done();
};
