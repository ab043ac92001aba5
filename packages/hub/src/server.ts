// Composes the hub: store, auth, audit, the public API, the agent link and the
// live feed for browsers, on one Fastify instance.
import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { MAX_FRAME_BYTES, WHEELHOUSE_VERSION, type PodSecurityLevel } from '@wheelhouse/protocol';
import { webAppBuilt, webAppDir } from '@wheelhouse/web';
import { AccessService, type AccessOptions } from './access/access-service.js';
import { IdpGroups } from './oidc/idp-groups.js';
import { accessRoutes } from './access/access-routes.js';
import { AuditLog } from './audit/audit-log.js';
import { auditRoutes } from './audit/audit-routes.js';
import { FileAnchor } from './audit/anchor.js';
import { AuditAnchoring } from './audit/anchoring.js';
import { ephemeralKeyring, loadOrCreateKeyFile } from './audit/audit-keys.js';
import { registerAuth } from './auth/plugin.js';
import { resolveLifetimes, type CredentialLifetimes } from './auth/credential-lifetimes.js';
import { grantingBindings, listBindings, validCredentials } from './auth/identity-store.js';
import { can } from './auth/rbac.js';
import { LoginThrottle, type ThrottleOptions } from './auth/login-throttle.js';
import { StoreLoginThrottle } from './auth/store-login-throttle.js';
import { isPostgres } from './store/dialect.js';
import { PasswordCheckGate, type PasswordCheckGateOptions } from './auth/password-check-gate.js';
import { apiError, installErrorHandler } from './http/errors.js';
import { registerWebUi } from './http/web-ui.js';
import { HubMetrics } from './metrics.js';
import { ClusterStore } from './clusters/cluster-store.js';
import { clustersRoutes } from './clusters/clusters-routes.js';
import { CommandService } from './commands/command-service.js';
import { commandsRoutes } from './commands/commands-routes.js';
import { OverviewService } from './overview/overview-service.js';
import { overviewRoutes } from './overview/overview-routes.js';
import { IdentityService } from './identity/identity-service.js';
import { OidcProvider } from './oidc/oidc-provider.js';
import { oidcRoutes } from './oidc/oidc-routes.js';
import { OidcService } from './oidc/oidc-service.js';
import { SsoSessions } from './oidc/sso-sessions.js';
import type { LocalAccountsPolicy, OidcSettings } from './oidc/oidc-settings.js';
import { identityRoutes } from './identity/identity-routes.js';
import { IngestBatcher, type IngestBatchLimits } from './link/ingest-batcher.js';
import { InsightIngest } from './insights/insight-ingest.js';
import { NotificationDispatcher, type NotificationDispatchOptions } from './notifications/notification-dispatch.js';
import { NotificationRuleStore } from './notifications/notification-rule-store.js';
import { NotificationSender, type NotificationSenderOptions } from './notifications/notification-sender.js';
import { notificationsRoutes } from './notifications/notifications-routes.js';
import { InsightStore } from './insights/insight-store.js';
import { insightsRoutes } from './insights/insights-routes.js';
import { InventoryStore } from './inventory/inventory-store.js';
import { UsageStore } from './usage/usage-store.js';
import { usageRoutes } from './usage/usage-routes.js';
import { inventoryRoutes } from './inventory/inventory-routes.js';
import { AgentLink, type AgentLinkLimits } from './link/agent-link.js';
import { LiveBus } from './live/live-bus.js';
import { liveRoutes } from './live/live-routes.js';
import { LogRelay, type LogRelayOptions } from './logs/log-relay.js';
import { logsRoutes } from './logs/logs-routes.js';
import { WorkloadLogRelay, type WorkloadLogOptions } from './logs/workload-log-relay.js';
import { PortForwardRelay, type PortForwardRelayOptions } from './portforward/port-forward-relay.js';
import { portForwardRoutes } from './portforward/port-forward-routes.js';
import { HttpForwards, type HttpForwardOptions } from './portforward/http-forwards.js';
import { httpForwardRoutes } from './portforward/http-forward-routes.js';
import { ObjectReader } from './objects/object-reader.js';
import { ShellRelay, type ShellOptions } from './shell/shell-relay.js';
import { shellRoutes } from './shell/shell-routes.js';
import { nodeShellRoutes } from './shell/node-shell-routes.js';
import { ShellRecords } from './shell/shell-records.js';
import { ShellStore } from './shell/shell-store.js';
import { TimelineStore } from './timeline/timeline-store.js';
import { timelineRoutes } from './timeline/timeline-routes.js';
import { openDatabase, timelineWriter, walCheckpointer, type HubDb } from './store/db.js';
import { Retention, retentionEnabled, type RetentionPolicy } from './retention/retention.js';
import { LeaderElection } from './store/leader-election.js';
import { postgresClient } from './store/postgres.js';
import { NotifyChannel } from './peering/notify-channel.js';
import { connectReplicas } from './peering/replica-peering.js';
import { ReplicaRegistry } from './peering/replica-registry.js';
import { PeerTunnels } from './peering/peer-tunnels.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { trustProxyOption } from './http/transport-security.js';
import { registerWebSocketOriginCheck } from './http/websocket-origin.js';
import { SocketRegistry, registerSocketRegistry } from './http/socket-registry.js';
import { metricsTokenMatches } from './metrics.js';

/** Every public API route is under this prefix. */
export const API_PREFIX = '/api/v1';

export interface HubOptions {
  /** Data directory for hub.db, or ':memory:'. Ignored when db or store is given. */
  dataDir?: string;
  /** A postgres:// URL: store in PostgreSQL instead of hub.db. Ignored when db is given. */
  store?: string;
  /** The PostgreSQL password (overrides one in the URL). */
  storePassword?: string;
  db?: HubDb;
  /** pino logger, or false to stay quiet (tests). */
  logger?: boolean;
  /** How long a command waits for its agent before it expires (default 10 min). */
  commandTtlMs?: number;
  /** Agent link heartbeat interval (default 15 s); a link silent for two intervals is closed. */
  heartbeatMs?: number;
  /** Per agent link: stop reading above pauseAboveBytes queued (default 8 MiB), close above maxQueuedBytes (64 MiB). */
  agentLink?: Partial<AgentLinkLimits>;
  /** Bounds of one group commit over the agent links (link/ingest-batcher.ts). */
  ingestBatch?: Partial<IngestBatchLimits>;
  /** How often expired commands are swept (default 5 s). */
  sweepMs?: number;
  /** Retention of timeline events and recordings (off unless a limit is set); runs every intervalMs (default 60 s). */
  retention?: RetentionPolicy & { intervalMs?: number; batchSize?: number };
  /** Hubs sharing a PostgreSQL store: how often leadership of background work is checked (default 2 s). */
  leaderCheckMs?: number;
  /**
   * Replicas sharing a PostgreSQL store (docs/architecture.md, "Replicas"):
   * this replica's URL for its siblings (peerUrl), how often it writes its
   * heartbeat (default 2 s) and after how long without one a replica is dead
   * (default 5 heartbeats: its agent links are then marked disconnected).
   * peerSecret (shared by the replicas, e.g. a mounted Secret) signs the
   * tunnels that carry shells, log streams and object reads to the replica
   * holding a cluster's agent link; unset, streams work only on that replica.
   */
  replica?: { peerUrl?: string; peerSecret?: string; heartbeatMs?: number; staleMs?: number };
  /**
   * Directory of the built web console (default: packages/web's build when it
   * exists); false serves no console.
   */
  webRoot?: string | false;
  /** Images the debug-container action may use (default DEFAULT_DEBUG_IMAGES: busybox, alpine, netshoot). */
  debugImages?: readonly string[];
  /** Pod shell: idle timeout, per-user limit, recording (per hub and per cluster). */
  shell?: ShellOptions;
  /** Pod logs: how much the hub queues per browser socket before dropping text; open streams per user. */
  logs?: LogRelayOptions;
  /** Whole-workload log streams: limits (see WorkloadLogOptions). */
  workloadLogs?: WorkloadLogOptions;
  /** Port-forward: open connections per user, and the per-connection window. */
  portForward?: PortForwardRelayOptions;
  /** Pod ports opened in browser tabs: idle timeout, maximum age, per-user limit. */
  httpForward?: HttpForwardOptions;
  /** How long GET …/objects waits for the agent (default 10 s, then 504 agent_timeout). */
  objectTimeoutMs?: number;
  /**
   * When set, GET /metrics needs `Authorization: Bearer <this token>`. Unset
   * (the default) it stays open, for Prometheus scraping on the pod network.
   */
  metricsToken?: string;
  /**
   * Proxies whose X-Forwarded-For/-Proto/-Host the hub believes: addresses,
   * CIDRs or proxy-addr names (loopback, linklocal, uniquelocal). Empty (the
   * default): forwarded headers are ignored and the socket's peer is the client.
   */
  trustedProxies?: string[];
  /**
   * The session cookie's Secure flag (and HSTS): true/false, or unset = when
   * the request came over https (directly or per a trusted proxy).
   */
  secureCookie?: boolean;
  /** Origins besides the hub's own whose pages may open WebSockets (`https://console.example.org`). */
  allowedOrigins?: string[];
  /** Sign-in throttling (per username × address, per address) and the cap on concurrent password checks. */
  login?: { throttle?: ThrottleOptions; passwordChecks?: PasswordCheckGateOptions | PasswordCheckGate };
  /** Session idle/absolute lifetimes, API token default/maximum, one-time password expiry. */
  lifetimes?: Partial<CredentialLifetimes>;
  /** The audit chain's HMAC keys and anchors (docs/operations.md). */
  audit?: AuditOptions;
  /** Pod Security Standards level of newly registered clusters (default baseline); admins change it per cluster. */
  defaultPodSecurity?: PodSecurityLevel;
  /** Single sign-on with an OpenID Connect provider (docs/sso.md); unset: password accounts only. */
  oidc?: OidcSettings;
  /** Whether local password accounts sign in (default: all of them). */
  localAccounts?: LocalAccountsPolicy;
  /** Just-in-time access requests: the longest grant, the notification webhook. */
  access?: AccessOptions;
  /**
   * Webhook notifications (docs/notifications.md): the sender's timeout,
   * retries and queue; dedupe and rate limit; how often the leader looks for
   * new events (default 2 s).
   */
  notifications?: NotificationSenderOptions & NotificationDispatchOptions & { intervalMs?: number };
}

export interface AuditOptions {
  /**
   * Key file ("<id> <secret>" lines, the last is active), created 0600 with a
   * new key when absent. Default: "<dataDir>.audit.key", beside the data
   * directory (outside it and its backups); an in-memory hub gets a key that
   * lives as long as the process.
   */
  keyFile?: string;
  /** Where the latest anchor of the chain's head is kept. Default: "<dataDir>.audit-anchor.json"; none in memory. */
  anchorFile?: string;
  /** Also POST each anchor here. */
  anchorWebhook?: string;
  /** How often the head is anchored when it moved (default 60 s). */
  anchorIntervalMs?: number;
}

export interface Hub {
  app: FastifyInstance;
  db: HubDb;
  audit: AuditLog;
  /** Anchors the audit chain's head now (tests, shutdown); also runs on its interval. */
  anchoring: AuditAnchoring;
  metrics: HubMetrics;
  clusters: ClusterStore;
  inventory: InventoryStore;
  timeline: TimelineStore;
  insights: InsightStore;
  usage: UsageStore;
  commands: CommandService;
  link: AgentLink;
  live: LiveBus;
  shell: ShellRelay;
  logs: LogRelay;
  workloadLogs: WorkloadLogRelay;
  portForwards: PortForwardRelay;
  httpForwards: HttpForwards;
  objects: ObjectReader;
  /** Every user's open WebSocket with the credential that opened it (closed on revocation). */
  sockets: SocketRegistry;
  retention: Retention;
  leader: LeaderElection;
  /** This replica's id and the store's record of live replicas and link holders. */
  replicas: ReplicaRegistry;
  access: AccessService;
  notificationRules: NotificationRuleStore;
  /** Runs on the leader every notifications.intervalMs; tests call tick() to run a pass now. */
  notifications: NotificationDispatcher;
  /** The one webhook sender (notification rules, the access requests' webhook). */
  webhooks: NotificationSender;
  close(): Promise<void>;
}

export async function createHub(opts: HubOptions = {}): Promise<Hub> {
  const db =
    opts.db ??
    (await openDatabase({
      dataDir: opts.dataDir ?? ':memory:',
      ...(opts.store !== undefined ? { store: opts.store } : {}),
      ...(opts.storePassword !== undefined ? { storePassword: opts.storePassword } : {}),
    }));
  const app = Fastify({
    logger: opts.logger ?? true,
    bodyLimit: 4 * 1024 * 1024,
    trustProxy: trustProxyOption(opts.trustedProxies),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  registerSecurityHeaders(app, { secureCookie: opts.secureCookie });

  // gzip for the console's bundle and large JSON lists (inventory pages are 100s of KB);
  // brotli's default quality is too slow to run per response. WebSockets are not affected.
  await app.register(compress, { global: true, threshold: 1024, encodings: ['gzip'] });
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
  watchWalCheckpoints(db, metrics, app.log);
  watchTimelineWriter(db, metrics, app.log);
  const onDisk = opts.dataDir !== undefined && opts.dataDir !== ':memory:' ? opts.dataDir : undefined;
  const keyFile = opts.audit?.keyFile ?? (onDisk ? `${onDisk}.audit.key` : undefined);
  const keys = keyFile ? loadOrCreateKeyFile(keyFile) : undefined;
  if (keys?.created)
    app.log.warn(
      { keyFile },
      'created the audit chain HMAC key file: keep it, and outside backups of the data directory',
    );
  const anchorFile = opts.audit?.anchorFile ?? (onDisk ? `${onDisk}.audit-anchor.json` : undefined);
  const audit = new AuditLog(db, {
    keys: keys?.keyring ?? ephemeralKeyring(),
    ...(anchorFile ? { anchorFile: new FileAnchor(anchorFile) } : {}),
  });
  const anchoring = new AuditAnchoring({
    audit,
    log: app.log,
    ...(opts.audit?.anchorIntervalMs !== undefined ? { intervalMs: opts.audit.anchorIntervalMs } : {}),
    ...(opts.audit?.anchorWebhook ? { webhookUrl: opts.audit.anchorWebhook } : {}),
  });
  anchoring.start();

  app.get('/healthz', { schema: { hide: true } }, () => ({ ok: true }));
  // Ready = the store answers; a hub whose database is gone must leave the load balancer.
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await db.selectFrom('clusters').select('id').limit(1).execute();
      return { ok: true };
    } catch (err) {
      const e = apiError('store_unavailable', { message: err instanceof Error ? err.message : 'store unavailable' });
      return reply.status(e.statusCode).send({ ok: false, ...e.body });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (opts.metricsToken !== undefined && !metricsTokenMatches(opts.metricsToken, req.headers.authorization)) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="metrics"')
        .send({ error: 'unauthenticated', message: '/metrics needs the metrics token: Authorization: Bearer <token>' });
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/api/v1/version', () => ({ version: WHEELHOUSE_VERSION }));
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());

  const clusters = new ClusterStore(db, opts.defaultPodSecurity);
  const inventory = new InventoryStore(db);
  const timeline = new TimelineStore(db);
  const live = new LiveBus();
  const replicas = new ReplicaRegistry(db, {
    peerUrl: opts.replica?.peerUrl ?? null,
    ...(opts.replica?.heartbeatMs !== undefined ? { heartbeatMs: opts.replica.heartbeatMs } : {}),
    ...(opts.replica?.staleMs !== undefined ? { staleMs: opts.replica.staleMs } : {}),
    onError: (err) => app.log.warn({ err }, 'replica heartbeat failed'),
  });
  await replicas.start();
  const commands = new CommandService({ db, audit, live, metrics, ttlMs: opts.commandTtlMs ?? 10 * 60_000 });
  // SSO users' IdP groups for agents that impersonate (sent along with each person's requests), read from the store.
  const idpGroups = new IdpGroups(db);
  const link = new AgentLink({
    idpGroups,
    clusters,
    inventory,
    timeline,
    commands,
    live,
    metrics,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    ...(opts.agentLink ? { limits: opts.agentLink } : {}),
    replicas,
    ingest: new IngestBatcher(
      db,
      opts.ingestBatch,
      (b) => {
        metrics.ingestBatchMessages.observe(b.messages);
        if (b.split) metrics.ingestBatchSplit.inc();
      },
      (runAll) => live.batch(runAll),
      { store: timeline, writer: timelineWriter(db) },
    ),
  });
  replicas.setLocalLinks({
    clusters: () => link.localClusters(),
    reclaimed: async (cluster) => {
      app.log.warn({ cluster }, 'the store had lost this replica’s agent link (outage?): recorded again');
      await db.updateTable('clusters').set({ connected: 1 }).where('id', '=', cluster).execute();
      const view = await clusters.get(cluster);
      if (view) live.publish({ type: 'cluster', cluster, view });
    },
  });
  // Start-up cleanup touches only what no live replica holds: on SQLite that is everything (one process);
  // on PostgreSQL a sibling's links and shells go on, and the leader's sweep clears a dead replica's.
  if (!replicas.shared) await clusters.resetConnections();
  const shellStore = new ShellStore(db, replicas.id);
  await shellStore.closeOrphans(Date.now(), await replicas.liveReplicaIds());
  const sockets = new SocketRegistry();
  // Replicas on one PostgreSQL store tell each other over LISTEN/NOTIFY (live feed, command wake-ups, link and
  // socket closes).
  const channel =
    isPostgres(db) && opts.store !== undefined
      ? new NotifyChannel({
          connect: () =>
            postgresClient({
              url: opts.store ?? '',
              ...(opts.storePassword !== undefined ? { password: opts.storePassword } : {}),
            }),
          origin: replicas.id,
          onError: (err) => app.log.warn({ err }, 'replica notify connection failed'),
        })
      : null;
  if (channel) {
    connectReplicas({ channel, link, live, sockets, log: app.log });
    await channel.start();
  }
  const tunnels = new PeerTunnels({ secret: opts.replica?.peerSecret, replicas, audit, log: app.log });
  link.setTunnels(tunnels);
  const shellRecords = new ShellRecords({
    db,
    store: shellStore,
    audit,
    timeline,
    live,
    ...(opts.shell?.refusalEventsPerMinute !== undefined
      ? { refusalEventsPerMinute: opts.shell.refusalEventsPerMinute }
      : {}),
  });
  const shell = new ShellRelay({
    store: shellStore,
    records: shellRecords,
    metrics,
    log: app.log,
    options: opts.shell ?? {},
  });
  shell.attach(link);
  link.setShellHandler(shell);
  const objects = new ObjectReader(opts.objectTimeoutMs);
  objects.attach(link);
  link.setObjectHandler(objects);
  const logs = new LogRelay({ metrics, audit, log: app.log, options: opts.logs ?? {} });
  logs.attach(link);
  link.setLogsHandler(logs);
  const workloadLogs = new WorkloadLogRelay({
    relay: logs,
    inventory,
    live,
    audit,
    log: app.log,
    options: opts.workloadLogs ?? {},
  });
  const portForwards = new PortForwardRelay({ metrics, audit, log: app.log, options: opts.portForward ?? {} });
  portForwards.attach(link);
  link.setPortForwardHandler(portForwards);
  const httpForwards = new HttpForwards(opts.httpForward ?? {});
  const insights = new InsightStore(db);
  link.setInsightHandler(new InsightIngest({ store: insights, live, metrics }));
  const usage = new UsageStore(db);
  link.setUsageHandler((cluster, m) => usage.add(cluster, m));

  const lifetimes = resolveLifetimes(opts.lifetimes);
  const oidc = opts.oidc
    ? new OidcService({
        db,
        audit,
        provider: new OidcProvider(opts.oidc),
        sessionTtlMs: lifetimes.sessionIdleMs,
        cliTokenDays: lifetimes.tokenDefaultDays,
        idpGroups,
      })
    : undefined;
  const ssoSessions = oidc
    ? new SsoSessions({
        db,
        audit,
        provider: oidc.provider,
        box: oidc.box,
        idpGroups,
        // The same rules as a JIT grant's end and a removed binding: shells the bindings left no longer
        // allow end, and the person's sockets reconnect under the new bindings.
        onAccessNarrowed: async (userId, username) => {
          const bindings = await listBindings(db, userId);
          const ended = shell.endWhereDenied(username, (cluster, namespace) =>
            can(bindings, 'pod:exec', { cluster, namespace }),
          );
          sockets.closeUser(userId, 'the identity provider no longer puts you in a group that granted access');
          return ended;
        },
        onSessionEnded: (sessionIdHash, reason) => sockets.closeSession(sessionIdHash, reason),
        onError: (err, msg) => app.log.warn({ err }, msg),
      })
    : undefined;
  registerAuth(app, { db, audit, lifetimes, ...(ssoSessions ? { ssoSessions, idpGroups } : {}) });
  const originDenials = registerWebSocketOriginCheck(app, {
    audit,
    allowedOrigins: opts.allowedOrigins ?? [],
    secureCookie: opts.secureCookie,
  });
  registerSocketRegistry(app, sockets, {
    alive: (s, t) => validCredentials(db, s, t),
    // Replicas: a socket close published while a replica's LISTEN connection was down is lost; checking
    // the bindings sockets were opened under closes them within a sweep anyway. One process needs no check.
    // A just-in-time grant that just ended counts 15 s more: its own sweeper (every 5 s) ends it with its
    // precise reasons (shells `denied`, sockets "the just-in-time access ... has ended") on every replica.
    ...(channel ? { bindings: (users: string[]) => grantingBindings(db, users, Date.now() - 15_000) } : {}),
  });
  const identity = new IdentityService({
    db,
    audit,
    sockets,
    lifetimes,
    // Replicas on one PostgreSQL store count failed sign-ins together; one SQLite hub counts in memory.
    loginThrottle: isPostgres(db)
      ? new StoreLoginThrottle(db, opts.login?.throttle)
      : new LoginThrottle(opts.login?.throttle),
    passwordChecks:
      opts.login?.passwordChecks instanceof PasswordCheckGate
        ? opts.login.passwordChecks
        : new PasswordCheckGate(opts.login?.passwordChecks),
    onError: (err, msg) => app.log.error({ err }, msg),
    ...(opts.localAccounts ? { localAccounts: opts.localAccounts } : {}),
  });
  // One rule for where a route lives: src/<feature>/<feature>-routes.ts, a
  // Fastify plugin whose paths are relative to the API prefix.
  const prefix = API_PREFIX;
  await app.register(identityRoutes, {
    prefix,
    identity,
    secureCookie: opts.secureCookie,
    ...(oidc ? { ssoView: (userId: string) => oidc.ssoView(userId) } : {}),
  });
  await app.register(oidcRoutes, {
    prefix,
    oidc,
    identity,
    localAccounts: opts.localAccounts,
    ...(opts.secureCookie !== undefined ? { secureCookie: opts.secureCookie } : {}),
  });
  const webhooks = new NotificationSender(opts.notifications);
  const notificationRules = new NotificationRuleStore(db, audit);
  const notifications = new NotificationDispatcher(
    { db, rules: notificationRules, sender: webhooks, metrics, log: app.log },
    opts.notifications,
  );
  const access = new AccessService({
    db,
    audit,
    shell,
    sockets,
    timeline,
    live,
    log: app.log,
    sender: webhooks,
    ...(opts.access ? { options: opts.access } : {}),
  });
  await app.register(accessRoutes, { prefix, access });
  await app.register(notificationsRoutes, { prefix, rules: notificationRules, dispatcher: notifications });
  await app.register(auditRoutes, { prefix, audit });
  await app.register(clustersRoutes, { prefix, clusters, link, audit });
  await app.register(inventoryRoutes, { prefix, clusters, inventory, objects, live });
  await app.register(timelineRoutes, { prefix, clusters, timeline });
  await app.register(insightsRoutes, { prefix, clusters, insights, timeline, inventory });
  await app.register(usageRoutes, { prefix, clusters, usage });
  await app.register(commandsRoutes, {
    prefix,
    clusters,
    commands,
    link,
    objects,
    inventory,
    ...(opts.debugImages ? { debugImages: opts.debugImages } : {}),
  });
  await app.register(overviewRoutes, {
    prefix,
    clusters,
    overview: new OverviewService({ inventory, commands, insights }),
  });
  await app.register(liveRoutes, { prefix, live, metrics });
  await app.register(shellRoutes, {
    prefix,
    audit,
    clusters,
    inventory,
    records: shellRecords,
    relay: shell,
    store: shellStore,
    link,
  });
  await app.register(nodeShellRoutes, { prefix, clusters, inventory, records: shellRecords, relay: shell, link });
  await app.register(logsRoutes, { prefix, audit, clusters, inventory, relay: logs, workloads: workloadLogs, link });
  await app.register(portForwardRoutes, {
    prefix,
    audit,
    clusters,
    inventory,
    relay: portForwards,
    link,
    httpForwards,
  });
  // At the root, not under /api/v1: a forwarded tab's content is the pod's, never the API's.
  await app.register(httpForwardRoutes, { forwards: httpForwards, relay: portForwards });
  link.register(app);
  tunnels.register(app);
  await registerWebUi(
    app,
    opts.webRoot === false ? undefined : (opts.webRoot ?? (webAppBuilt() ? webAppDir() : undefined)),
  );

  // Background work runs in one process of those sharing the store (always this one on SQLite).
  const leader = new LeaderElection(db, {
    ...(opts.leaderCheckMs !== undefined ? { checkMs: opts.leaderCheckMs } : {}),
    onChange: (isLeader) => {
      metrics.leader.set(isLeader ? 1 : 0);
      notifications.forgetCursor();
      app.log.info({ leader: isLeader }, isLeader ? 'runs background work (leader)' : 'background work runs elsewhere');
    },
    onError: (err) => app.log.warn({ err }, 'leader election connection failed'),
  });
  leader.start();
  const sweeper = setInterval(() => {
    // Every replica: pending commands of the links it holds (a wake-up lost while the store was away).
    link.dispatchAllPending().catch((err: unknown) => app.log.error({ err }, 'dispatching commands failed'));
    if (!leader.isLeader()) return;
    commands.expireDue().catch((err: unknown) => app.log.error({ err }, 'expiring commands failed'));
    sweepDeadReplicas().catch((err: unknown) => app.log.error({ err }, 'agent-gone detection failed'));
    access.expireDue().catch((err: unknown) => app.log.error({ err }, 'ending just-in-time grants failed'));
    access.lapseDue().catch((err: unknown) => app.log.error({ err }, 'lapsing unanswered access requests failed'));
    ssoSessions?.renewDue().catch((err: unknown) => app.log.error({ err }, 'renewing SSO sessions failed'));
  }, opts.sweepMs ?? 5_000);
  sweeper.unref();
  /** Agent-gone detection: links and shells of replicas whose heartbeat stopped (leader only). */
  async function sweepDeadReplicas(): Promise<void> {
    for (const cluster of await replicas.sweepDead()) {
      app.log.warn({ cluster }, 'agent link lost with its replica: marked disconnected');
      const view = await clusters.get(cluster);
      if (view) live.publish({ type: 'cluster', cluster, view });
    }
    await shellStore.closeOrphans(Date.now(), await replicas.liveReplicaIds());
  }

  // Notifications: the leader reads the timeline and sends (notification-dispatch.ts says why).
  const notifier = setInterval(() => {
    if (!leader.isLeader()) return;
    notifications.tick().catch((err: unknown) => app.log.error({ err }, 'notification pass failed'));
  }, opts.notifications?.intervalMs ?? 2_000);
  notifier.unref();

  const retention = new Retention(db, opts.retention ?? {});
  const retentionTimer =
    opts.retention && retentionEnabled(opts.retention)
      ? setInterval(() => {
          if (!leader.isLeader()) return;
          retention
            .run()
            .then((r) => {
              metrics.retentionDeleted.inc({ kind: 'timeline' }, r.timelineDeleted);
              metrics.retentionDeleted.inc({ kind: 'recording' }, r.recordingsDeleted);
              metrics.retentionLongestBatch.set(r.longestBatchMs / 1000);
              if (r.timelineDeleted || r.recordingsDeleted) app.log.info({ retention: r }, 'retention pass');
            })
            .catch((err: unknown) => app.log.error({ err }, 'retention pass failed'));
        }, opts.retention.intervalMs ?? 60_000)
      : undefined;
  retentionTimer?.unref();

  return {
    app,
    db,
    audit,
    anchoring,
    metrics,
    clusters,
    inventory,
    timeline,
    insights,
    usage,
    commands,
    link,
    live,
    shell,
    logs,
    workloadLogs,
    portForwards,
    httpForwards,
    objects,
    sockets,
    retention,
    leader,
    replicas,
    access,
    notificationRules,
    notifications,
    webhooks,
    close: async () => {
      clearInterval(sweeper);
      clearInterval(notifier);
      clearInterval(retentionTimer);
      await leader.stop();
      await retention.idle(); // a pass under way finishes before the store closes
      await notifications.idle(); // a pass under way finishes first
      await webhooks.close(); // queued messages are dropped, attempts in flight end
      await shell.closeAll();
      workloadLogs.closeAll();
      logs.closeAll();
      portForwards.closeAll();
      httpForwards.closeAll();
      link.closeAll();
      await tunnels.closeAll();
      await channel?.stop();
      await replicas.stop().catch((err: unknown) => app.log.warn({ err }, 'leaving the replica table failed'));
      await originDenials.close();
      await identity.close();
      await app.close();
      await anchoring.stop();
      if (!opts.db) await db.destroy();
    },
  };
}

/** The embedded store's timeline writer → metrics, and one log line if it falls back to the hub's connection. */
function watchTimelineWriter(db: HubDb, metrics: HubMetrics, log: FastifyBaseLogger): void {
  const writer = timelineWriter(db);
  if (!writer) return;
  writer.on('commit', (_jobs, rows, seconds) => {
    metrics.timelineWriterCommitRows.observe(rows);
    metrics.timelineWriterCommitSeconds.observe(seconds);
  });
  const fellBack = (reason: string) => {
    metrics.timelineWriterFallback.set(1);
    log.error({ reason }, "timeline writer thread gone: timeline events are stored on the hub's connection again");
  };
  if (writer.stats.fallback !== undefined) fellBack(writer.stats.fallback);
  else writer.once('fallback', fellBack);
}

/** The embedded store's WAL checkpointer → metrics, and one log line if it falls back to in-commit checkpoints. */
function watchWalCheckpoints(db: HubDb, metrics: HubMetrics, log: FastifyBaseLogger): void {
  const ckpt = walCheckpointer(db);
  if (!ckpt) return;
  metrics.walBytes = () => ckpt.walBytes();
  ckpt.on('checkpoint', (by, seconds) => {
    metrics.walCheckpoints.inc({ by });
    metrics.walCheckpointSeconds.observe({ by }, seconds);
  });
  ckpt.on('failure', () => metrics.walCheckpointFailures.inc());
  const fellBack = (reason: string) => {
    metrics.walCheckpointFallback.set(1);
    log.error({ reason }, 'WAL checkpoint worker gone: SQLite checkpoints inside commits again (durability unchanged)');
  };
  if (ckpt.stats.fallback !== undefined) fellBack(ckpt.stats.fallback);
  else ckpt.once('fallback', fellBack);
}
