// Composes the hub: store, auth, audit, the public API, the agent link and the
// live feed for browsers, on one Fastify instance.
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { MAX_FRAME_BYTES, WHEELHOUSE_VERSION } from '@wheelhouse/protocol';
import { AuditLog } from './audit/audit-log.js';
import { registerAuth } from './auth/plugin.js';
import { installErrorHandler } from './http/errors.js';
import { HubMetrics } from './metrics.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerIdentityRoutes } from './routes/identity.js';
import { openDatabase, type HubDb } from './store/db.js';

export interface HubOptions {
  /** Data directory for hub.db, or ':memory:'. Ignored when db is given. */
  dataDir?: string;
  db?: HubDb;
  /** pino logger, or false to stay quiet (tests). */
  logger?: boolean;
}

export interface Hub {
  app: FastifyInstance;
  db: HubDb;
  audit: AuditLog;
  metrics: HubMetrics;
  close(): Promise<void>;
}

export async function createHub(opts: HubOptions = {}): Promise<Hub> {
  const db = opts.db ?? (await openDatabase({ dataDir: opts.dataDir ?? ':memory:' }));
  const app = Fastify({ logger: opts.logger ?? true, bodyLimit: 4 * 1024 * 1024 }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);

  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Wheelhouse hub API', version: WHEELHOUSE_VERSION },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'wh_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });

  const metrics = new HubMetrics();
  const audit = new AuditLog(db);

  app.get('/healthz', { schema: { hide: true } }, () => ({ ok: true }));
  app.get('/readyz', { schema: { hide: true } }, () => ({ ok: true }));
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  app.get('/api/v1/version', () => ({ version: WHEELHOUSE_VERSION }));
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());

  registerAuth(app, { db, audit });
  registerIdentityRoutes(app, { db, audit });
  registerAuditRoutes(app, { audit });

  return {
    app,
    db,
    audit,
    metrics,
    close: async () => {
      await app.close();
      if (!opts.db) await db.destroy();
    },
  };
}
