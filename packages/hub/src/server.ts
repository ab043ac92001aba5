// The hub's HTTP server. Later issues add the API, the agent link and the UI;
// the health endpoints are what every deployment probes from day one.
import Fastify, { type FastifyInstance } from 'fastify';
import { WHEELHOUSE_VERSION } from '@wheelhouse/protocol';

export interface HubOptions {
  /** pino logger options, or false to stay quiet (tests). */
  logger?: boolean;
}

export function buildHub(opts: HubOptions = {}): FastifyInstance {
  const app = Fastify({ logger: opts.logger ?? true });
  app.get('/healthz', () => ({ ok: true }));
  app.get('/readyz', () => ({ ok: true }));
  app.get('/api/v1/version', () => ({ version: WHEELHOUSE_VERSION }));
  return app;
}
