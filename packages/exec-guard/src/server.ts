// The HTTPS endpoints: the two admission hooks, health probes and metrics.
// Anything that is not a well-formed AdmissionReview for the hook it was sent
// to is answered 400 with a message naming the offending field, and nothing is
// recorded. The CONNECT hook answers only after the interaction is on disk; if
// it cannot be recorded it answers 500, so the webhook's failurePolicy decides
// (Fail: the exec is refused; Ignore: it goes ahead unrecorded).
//
// Only the API server may call the hooks: given a client CA, the server asks
// every caller for a certificate and answers 401 on /validate/* unless the
// connection presented one signed by that CA (and, if names are configured,
// issued to one of them). Probes and metrics stay open: kubelets do not
// present client certificates.
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ExtensionEntry, InteractionEntry } from './journal.js';
import { JournalFullError, newEntryId } from './journal.js';
import type { Metrics } from './metrics.js';
import { RateLimiter } from './rate-limit.js';
import {
  BadReview,
  addedEphemeralContainers,
  attributedUser,
  allow,
  boundedCommand,
  connectReviewSchema,
  debugReviewSchema,
  decidePodChange,
  deny,
  parseReview,
  podReviewSchema,
  type PodPolicy,
} from './review.js';

export const CONNECT_PATH = '/validate/connect';
export const PODS_PATH = '/validate/pods';
export const DEBUG_PATH = '/validate/debug';

/** Defaults of the extension caps and the per-user rate (documented in docs/exec-guard.md). */
export const POLICY_DEFAULTS = {
  maxExtensionMs: 2 * 3600_000,
  maxTotalExtensionMs: 24 * 3600_000,
  ratePerSecond: 5,
  rateBurst: 50,
} as const;

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
  /** PEM of the CA that signed the API server's admission client certificate; without it callers are not authenticated. */
  clientCa?: string | Buffer;
  /** Accept only client certificates issued to these common names (default: any the CA signed). */
  clientNames?: ReadonlySet<string>;
  /** Record ephemeral containers added by kubectl debug (default true). */
  debugContainers?: boolean;
  /** Extension caps; the pod TTL for unreadable ttl labels. */
  policy?: Partial<Omit<PodPolicy, 'selfUsernames'>>;
  /** Journaled requests per user: a token bucket (default 5/s, burst 50). */
  rateLimit?: { perSecond: number; burst: number };
}

/** The parts of a TLS socket the check reads (a light-my-request socket in tests has none of them). */
export type PeerSocket = Partial<Pick<TLSSocket, 'authorized' | 'authorizationError' | 'getPeerCertificate'>>;

/** Why a caller is not the API server, or undefined when it is. */
export function callerProblem(socket: PeerSocket, names: ReadonlySet<string> | undefined): string | undefined {
  const peer = socket.getPeerCertificate?.call(socket);
  if (socket.authorized !== true || peer === undefined) {
    const why = socket.authorizationError ? `: ${String(socket.authorizationError)}` : '';
    return peer !== undefined && Object.keys(peer).length > 0
      ? `the client certificate was not issued by exec guard's client CA${why}`
      : 'no client certificate was presented';
  }
  if (names && names.size > 0) {
    // Typed as a string, but a certificate with several CNs yields an array.
    const cn: unknown = (peer.subject as { CN?: unknown } | undefined)?.CN;
    const cnList = (Array.isArray(cn) ? cn : [cn]).filter((x): x is string => typeof x === 'string');
    if (!cnList.some((n) => names.has(n)))
      return `the client certificate names ${cnList.join(', ') || 'no common name'}, not one of ${[...names].join(', ')}`;
  }
  return undefined;
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
  const clientAuth = d.clientCa !== undefined;
  const app = Fastify({
    https: clientAuth
      ? // Ask for a certificate but decide per route: probes and metrics have none.
        { key: d.key, cert: d.cert, ca: d.clientCa, requestCert: true, rejectUnauthorized: false }
      : { key: d.key, cert: d.cert },
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

  // Before the body is read: a forged review costs no parsing and reaches no journal.
  app.addHook('onRequest', (req, reply, done) => {
    if (!clientAuth || !req.url.startsWith('/validate/')) return done();
    const problem = callerProblem(req.raw.socket as PeerSocket, d.clientNames);
    if (problem === undefined) return done();
    d.metrics.denials.inc({ reason: 'unauthenticated' });
    d.log.warn(
      { url: req.url, remote: req.ip, problem },
      'refused a webhook request that did not come from the API server',
    );
    void reply.code(401).send({
      kind: 'Status',
      code: 401,
      message: `exec guard accepts AdmissionReviews only from the API server: ${problem}`,
    });
  });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    const hook =
      route === CONNECT_PATH ? 'connect' : route === PODS_PATH ? 'update' : route === DEBUG_PATH ? 'debug' : undefined;
    if (hook) d.metrics.webhookLatency.observe({ hook, code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  const badRequest = (err: unknown): never => {
    if (err instanceof BadReview) throw new HttpError(400, err.message);
    throw err;
  };

  const limiter = new RateLimiter({
    perSecond: d.rateLimit?.perSecond ?? POLICY_DEFAULTS.ratePerSecond,
    burst: d.rateLimit?.burst ?? POLICY_DEFAULTS.rateBurst,
  });
  /** A denial when the user has used up their rate, so one source cannot fill the journal for everyone. */
  const overRate = (uid: string, user: string, what: string): ReturnType<typeof deny> | undefined => {
    const r = limiter.take(user);
    if (r.ok) return undefined;
    d.metrics.denials.inc({ reason: 'rate-limited' });
    d.log.warn({ user, what }, 'rate-limited a user');
    return deny(
      uid,
      `exec guard: user '${user}' sent more ${what} than exec guard records per user ` +
        `(${limiter.perSecond}/s, bursts of ${limiter.burst}); retry in ${Math.ceil(r.retryAfterMs / 1000)}s`,
      429,
    );
  };

  /** Journals an entry; a full journal or a failed write is a 503/500 so the failurePolicy decides. */
  const durably = async (entry: InteractionEntry | ExtensionEntry, what: string): Promise<void> => {
    try {
      await d.record(entry);
    } catch (err) {
      if (err instanceof JournalFullError) {
        d.metrics.denials.inc({ reason: 'journal-full' });
        throw new HttpError(503, `exec guard could not record the ${what}: ${err.message}`);
      }
      throw new HttpError(500, `exec guard could not record the ${what} durably: ${(err as Error).message}`);
    }
  };

  const policy = (): PodPolicy => ({
    selfUsernames: d.selfUsernames(),
    maxExtensionMs: d.policy?.maxExtensionMs ?? POLICY_DEFAULTS.maxExtensionMs,
    maxTotalExtensionMs: d.policy?.maxTotalExtensionMs ?? POLICY_DEFAULTS.maxTotalExtensionMs,
    ttlMs: d.policy?.ttlMs ?? 600_000,
  });

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
    const limited = overRate(r.uid, r.userInfo.username, 'kubectl exec/attach requests');
    if (limited) {
      d.metrics.interactions.inc({ operation, outcome: 'rate-limited' });
      return limited;
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
      ...attributedUser(r.userInfo),
      groups: r.userInfo.groups ?? [],
    };
    if (r.userInfo.uid !== undefined) entry.uid = r.userInfo.uid;
    if (opts.container !== undefined) entry.container = opts.container;
    if (command !== undefined) entry.command = command;
    if (truncated === true) entry.commandTruncated = true;
    if (opts.tty !== undefined) entry.tty = opts.tty;
    if (opts.stdin !== undefined) entry.stdin = opts.stdin;
    try {
      await durably(entry, 'interaction');
    } catch (err) {
      d.metrics.interactions.inc({ operation, outcome: 'error' });
      throw err;
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
      review = parseReview(podReviewSchema, req.body);
    } catch (err) {
      return badRequest(err);
    }
    const r = review.request;
    if (d.allowlist.has(r.namespace)) return allow(r.uid);
    const decision = decidePodChange(review, policy());
    if (decision.kind === 'allow') return allow(r.uid);
    if (decision.kind === 'deny') {
      d.metrics.denials.inc({ reason: decision.reason });
      if (decision.reason.includes('extension')) d.metrics.extensions.inc({ outcome: 'denied' });
      d.log.info(
        { pod: `${r.namespace}/${r.name ?? ''}`, user: r.userInfo.username, op: r.operation, reason: decision.message },
        'denied pod change',
      );
      return deny(r.uid, decision.message);
    }
    if (r.dryRun === true || r.operation !== 'UPDATE') return allow(r.uid);
    const limited = overRate(r.uid, r.userInfo.username, 'extension requests');
    if (limited) return limited;
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
    await durably(entry, 'extension request');
    d.metrics.extensions.inc({ outcome: 'requested' });
    d.log.info(
      { id: entry.id, pod: `${r.namespace}/${r.name}`, requester: entry.requester, duration: entry.duration },
      'recorded extension request',
    );
    return allow(r.uid);
  });

  // kubectl debug: an ephemeral container added to a running pod is drift like exec; record it, always allow.
  app.post(DEBUG_PATH, async (req: FastifyRequest) => {
    let review;
    try {
      review = parseReview(debugReviewSchema, req.body);
    } catch (err) {
      return badRequest(err);
    }
    const r = review.request;
    const added = addedEphemeralContainers(review);
    if (d.allowlist.has(r.namespace) || d.debugContainers === false || r.dryRun === true || added.length === 0) {
      if (added.length > 0) d.metrics.interactions.inc({ operation: 'debug', outcome: 'ignored' });
      return allow(r.uid);
    }
    const limited = overRate(r.uid, r.userInfo.username, 'kubectl debug requests');
    if (limited) {
      d.metrics.interactions.inc({ operation: 'debug', outcome: 'rate-limited' });
      return limited;
    }
    const podUid = r.object.metadata.uid;
    for (const c of added) {
      const { command, truncated } = boundedCommand([...(c.command ?? []), ...(c.args ?? [])]);
      const entry: InteractionEntry = {
        kind: 'interaction',
        id: newEntryId(),
        at: Date.now(),
        namespace: r.namespace,
        pod: r.name,
        operation: 'debug',
        container: c.name,
        ...attributedUser(r.userInfo),
        groups: r.userInfo.groups ?? [],
      };
      if (r.userInfo.uid !== undefined) entry.uid = r.userInfo.uid;
      if (command !== undefined && command.length > 0) entry.command = command;
      if (truncated === true) entry.commandTruncated = true;
      if (c.image !== undefined) entry.image = c.image.slice(0, 512);
      if (c.targetContainerName !== undefined) entry.targetContainer = c.targetContainerName;
      if (c.tty !== undefined) entry.tty = c.tty;
      if (c.stdin !== undefined) entry.stdin = c.stdin;
      try {
        await durably(entry, 'debug container');
      } catch (err) {
        d.metrics.interactions.inc({ operation: 'debug', outcome: 'error' });
        throw err;
      }
      d.metrics.interactions.inc({ operation: 'debug', outcome: 'recorded' });
      d.log.info(
        { id: entry.id, pod: `${r.namespace}/${r.name}`, podUid, user: entry.user, container: c.name, image: c.image },
        'recorded a debug container',
      );
    }
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
