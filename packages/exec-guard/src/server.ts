// The HTTPS endpoints: the two admission hooks, health probes and metrics.
// Anything that is not a well-formed AdmissionReview for the hook it was sent
// to is answered 400 with a message naming the offending field, and nothing is
// recorded. The CONNECT hook answers only after the interaction is on disk; if
// it cannot be recorded it answers 500, so the webhook's failurePolicy decides
// (Fail: the exec is refused; Ignore: it goes ahead unrecorded).
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ExtensionEntry, InteractionEntry } from './journal.js';
import { newEntryId } from './journal.js';
import type { Metrics } from './metrics.js';
import {
  BadReview,
  allow,
  boundedCommand,
  connectReviewSchema,
  decidePodUpdate,
  deny,
  parseReview,
  podUpdateReviewSchema,
} from './review.js';

export const CONNECT_PATH = '/validate/connect';
export const PODS_PATH = '/validate/pods';

/** Largest AdmissionReview accepted by the CONNECT hook (exec options are small). */
export const CONNECT_BODY_LIMIT = 1024 * 1024;
/** Largest AdmissionReview accepted by the UPDATE hook (it carries the pod twice; a pod is at most ~1.5 MiB). */
export const PODS_BODY_LIMIT = 4 * 1024 * 1024;

export interface ServerDeps {
  key: string | Buffer;
  cert: string | Buffer;
  allowlist: ReadonlySet<string>;
  portForward: boolean;
  metrics: Metrics;
  log: Logger;
  /** Makes the entry durable and hands it to the worker; rejects when it could not be made durable. */
  record: (entry: InteractionEntry | ExtensionEntry) => Promise<void>;
  selfUsernames: () => ReadonlySet<string> | undefined;
  ready: () => boolean;
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export async function buildServer(d: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    https: { key: d.key, cert: d.cert },
    bodyLimit: PODS_BODY_LIMIT,
    logger: false,
    // The API server keeps connections to webhooks alive; so do load generators.
    keepAliveTimeout: 30_000,
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(new HttpError(400, `malformed JSON in AdmissionReview body: ${(err as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, req, reply) => {
    let status = err.statusCode ?? 500;
    let message = err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 400;
      message = `AdmissionReview body exceeds ${req.routeOptions.bodyLimit} bytes`;
    } else if (req.url.startsWith('/validate/') && status >= 400 && status < 500) {
      status = 400; // every client-side fault of a hook request is a bad AdmissionReview
    }
    if (status >= 500) d.log.error({ err: message, url: req.url }, 'webhook request failed');
    else d.log.debug({ err: message, url: req.url }, 'rejected a malformed webhook request');
    return reply.code(status).send({ kind: 'Status', code: status, message });
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    const hook = route === CONNECT_PATH ? 'connect' : route === PODS_PATH ? 'update' : undefined;
    if (hook) d.metrics.webhookLatency.observe({ hook, code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  const badRequest = (err: unknown): never => {
    if (err instanceof BadReview) throw new HttpError(400, err.message);
    throw err;
  };

  app.post(CONNECT_PATH, { bodyLimit: CONNECT_BODY_LIMIT }, async (req: FastifyRequest) => {
    let review;
    try {
      review = parseReview(connectReviewSchema, req.body);
    } catch (err) {
      return badRequest(err);
    }
    const r = review.request;
    const operation = r.subResource;
    if (d.allowlist.has(r.namespace) || (operation === 'portforward' && !d.portForward) || r.dryRun === true) {
      d.metrics.interactions.inc({ operation, outcome: 'ignored' });
      return allow(r.uid);
    }
    const opts = r.object ?? {};
    const { command, truncated } = boundedCommand(opts.command);
    const entry: InteractionEntry = {
      kind: 'interaction',
      id: newEntryId(),
      at: Date.now(),
      namespace: r.namespace,
      pod: r.name,
      operation,
      user: r.userInfo.username,
      groups: r.userInfo.groups ?? [],
    };
    if (r.userInfo.uid !== undefined) entry.uid = r.userInfo.uid;
    if (opts.container !== undefined) entry.container = opts.container;
    if (command !== undefined) entry.command = command;
    if (truncated === true) entry.commandTruncated = true;
    if (opts.tty !== undefined) entry.tty = opts.tty;
    if (opts.stdin !== undefined) entry.stdin = opts.stdin;
    try {
      await d.record(entry);
    } catch (err) {
      d.metrics.interactions.inc({ operation, outcome: 'error' });
      throw new HttpError(500, `exec guard could not record the interaction durably: ${(err as Error).message}`);
    }
    d.metrics.interactions.inc({ operation, outcome: 'recorded' });
    d.log.info(
      { id: entry.id, pod: `${entry.namespace}/${entry.pod}`, user: entry.user, operation, container: entry.container },
      'recorded interaction',
    );
    return allow(r.uid);
  });

  app.post(PODS_PATH, async (req: FastifyRequest) => {
    let review;
    try {
      review = parseReview(podUpdateReviewSchema, req.body);
    } catch (err) {
      return badRequest(err);
    }
    const r = review.request;
    if (d.allowlist.has(r.namespace)) return allow(r.uid);
    const decision = decidePodUpdate(review, d.selfUsernames());
    if (decision.kind === 'allow') return allow(r.uid);
    if (decision.kind === 'deny') {
      d.metrics.denials.inc({ reason: decision.reason });
      if (decision.reason === 'invalid-extension') d.metrics.extensions.inc({ outcome: 'denied' });
      d.log.info(
        { pod: `${r.namespace}/${r.name}`, user: r.userInfo.username, reason: decision.message },
        'denied pod update',
      );
      return deny(r.uid, decision.message);
    }
    if (r.dryRun === true) return allow(r.uid);
    const entry: ExtensionEntry = {
      kind: 'extension',
      id: newEntryId(),
      at: Date.now(),
      namespace: r.namespace,
      pod: r.name,
      duration: decision.duration,
      requester: r.userInfo.username,
      groups: r.userInfo.groups ?? [],
    };
    const uid = r.object.metadata.uid ?? r.oldObject.metadata.uid;
    if (uid !== undefined) entry.podUid = uid;
    try {
      await d.record(entry);
    } catch (err) {
      throw new HttpError(500, `exec guard could not record the extension request durably: ${(err as Error).message}`);
    }
    d.metrics.extensions.inc({ outcome: 'requested' });
    d.log.info(
      { id: entry.id, pod: `${r.namespace}/${r.name}`, requester: entry.requester, duration: entry.duration },
      'recorded extension request',
    );
    return allow(r.uid);
  });

  app.get('/health/liveness', (_req, reply: FastifyReply) => reply.send({ status: 'ok' }));
  app.get('/health/readiness', (_req, reply: FastifyReply) =>
    d.ready() ? reply.send({ status: 'ready' }) : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_req, reply: FastifyReply) => {
    const body = await d.metrics.registry.metrics();
    return reply.header('content-type', d.metrics.registry.contentType).send(body);
  });
  return app;
}
