// `wheelhouse hub`: the hub server with its store (embedded SQLite, or PostgreSQL).
import { Command, Option } from 'commander';
import { parseDuration } from '@wheelhouse/protocol';
import { parseListen, stopOnSignals } from './util.js';
import { addIdentityOptions, ssoSettings, type SsoFlags } from './hub-identity-options.js';

function wholeDays(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive whole number of days (got "${v}")`);
  return n;
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive whole number (got "${v}")`);
  return n;
}

const splitList = (v: string): string[] =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

export function hubCommand(): Command {
  const cmd = new Command('hub')
    .description('run the hub: API, agent link and UI, with its store in a data directory or PostgreSQL')
    .addOption(
      new Option('--listen <host:port>', 'address to listen on').env('WHEELHOUSE_LISTEN').default('127.0.0.1:8080'),
    )
    .addOption(
      new Option('--data-dir <dir>', 'where hub.db lives (the embedded SQLite store, the default)')
        .env('WHEELHOUSE_DATA_DIR')
        .default('.wheelhouse/hub'),
    )
    .addOption(
      new Option(
        '--store <url>',
        'store in PostgreSQL instead of hub.db: postgres://user@host:5432/db (password: --store-password-file)',
      ).env('WHEELHOUSE_STORE'),
    )
    .addOption(
      new Option('--store-password-file <file>', "file holding the PostgreSQL user's password (a mounted Secret)").env(
        'WHEELHOUSE_STORE_PASSWORD_FILE',
      ),
    )
    .addOption(
      new Option('--command-ttl <duration>', 'how long a command waits for its agent before it expires')
        .env('WHEELHOUSE_COMMAND_TTL')
        .default('10m'),
    )
    .addOption(new Option('--heartbeat <duration>', 'agent link heartbeat interval').default('15s'))
    .addOption(
      new Option('--retention-interval <duration>', 'how often retention runs when a limit is set')
        .env('WHEELHOUSE_RETENTION_INTERVAL')
        .default('1m'),
    )
    .addOption(
      new Option('--timeline-max-age <duration>', 'delete timeline events older than this, e.g. 720h (0: keep)')
        .env('WHEELHOUSE_TIMELINE_MAX_AGE')
        .default('0'),
    )
    .addOption(
      new Option(
        '--timeline-max-bytes <size>',
        'keep the newest timeline events within this size, e.g. 5GiB (0: no cap)',
      )
        .env('WHEELHOUSE_TIMELINE_MAX_BYTES')
        .default('0'),
    )
    .addOption(
      new Option('--recordings-max-age <duration>', 'delete shell recordings of sessions ended longer ago (0: keep)')
        .env('WHEELHOUSE_RECORDINGS_MAX_AGE')
        .default('0'),
    )
    .addOption(
      new Option('--recordings-max-bytes <size>', 'keep the newest shell recordings within this size (0: no cap)')
        .env('WHEELHOUSE_RECORDINGS_MAX_BYTES')
        .default('0'),
    )
    .addOption(
      new Option(
        '--metrics-token <token>',
        'require "Authorization: Bearer <token>" on /metrics (default: open, for Prometheus on the pod network)',
      ).env('WHEELHOUSE_METRICS_TOKEN'),
    )
    .addOption(
      new Option(
        '--trusted-proxies <list>',
        'comma-separated addresses/CIDRs (or loopback, linklocal, uniquelocal) of the proxies whose X-Forwarded-For/-Proto/-Host the hub believes (default: none)',
      ).env('WHEELHOUSE_TRUSTED_PROXIES'),
    )
    .addOption(
      new Option(
        '--secure-cookie <mode>',
        "the session cookie's Secure flag and HSTS: true, false, or auto (when the request came over https, directly or per a trusted proxy)",
      )
        .choices(['auto', 'true', 'false'])
        .env('WHEELHOUSE_SECURE_COOKIE')
        .default('auto'),
    )
    .addOption(
      new Option(
        '--allowed-origins <list>',
        "comma-separated origins (https://console.example.org) besides the hub's own whose pages may open WebSockets",
      ).env('WHEELHOUSE_ALLOWED_ORIGINS'),
    )
    .addOption(
      new Option('--session-idle <duration>', 'a browser session unused this long ends (sliding)')
        .env('WHEELHOUSE_SESSION_IDLE')
        .default('8h'),
    )
    .addOption(
      new Option(
        '--session-max-age <duration>',
        'a browser session ends this long after sign-in, however much it is used',
      )
        .env('WHEELHOUSE_SESSION_MAX_AGE')
        .default('12h'),
    )
    .addOption(
      new Option('--token-default-days <n>', 'API tokens expire after this many days unless their creator chooses')
        .env('WHEELHOUSE_TOKEN_DEFAULT_DAYS')
        .default('90'),
    )
    .addOption(
      new Option('--token-max-days <n>', 'the longest lifetime an API token may be given, in days')
        .env('WHEELHOUSE_TOKEN_MAX_DAYS')
        .default('365'),
    )
    .addOption(
      new Option(
        '--one-time-password-ttl <duration>',
        'a generated or admin-set one-time password stops working this long after it was issued',
      )
        .env('WHEELHOUSE_ONE_TIME_PASSWORD_TTL')
        .default('24h'),
    )
    .addOption(
      new Option(
        '--default-pod-security <level>',
        'Pod Security Standards level of newly registered clusters for what actions create (admins change it per cluster)',
      )
        .choices(['privileged', 'baseline', 'restricted'])
        .env('WHEELHOUSE_DEFAULT_POD_SECURITY')
        .default('baseline'),
    )
    .addOption(
      new Option(
        '--audit-key-file <path>',
        'HMAC key file of the audit chain, created 0600 when absent (default: <data-dir>.audit.key, beside the data directory)',
      ).env('WHEELHOUSE_AUDIT_KEY_FILE'),
    )
    .addOption(
      new Option(
        '--audit-anchor-file <path>',
        'where the latest anchor of the audit chain is kept (default: <data-dir>.audit-anchor.json)',
      ).env('WHEELHOUSE_AUDIT_ANCHOR_FILE'),
    )
    .addOption(
      new Option('--audit-anchor-webhook <url>', 'also POST every anchor to this URL').env(
        'WHEELHOUSE_AUDIT_ANCHOR_WEBHOOK',
      ),
    )
    .addOption(
      new Option('--audit-anchor-interval <duration>', 'how often the chain head is anchored when it moved')
        .env('WHEELHOUSE_AUDIT_ANCHOR_INTERVAL')
        .default('1m'),
    )
    .addOption(
      new Option('--log-streams-per-user <n>', 'open pod log streams one user may have at once (429 above)')
        .env('WHEELHOUSE_LOG_STREAMS_PER_USER')
        .default('10'),
    )
    .addOption(
      new Option(
        '--workload-log-streams-per-user <n>',
        "whole-workload (all pods') log streams one user may have at once (429 above)",
      )
        .env('WHEELHOUSE_WORKLOAD_LOG_STREAMS_PER_USER')
        .default('3'),
    )
    .addOption(
      new Option(
        '--shell-moderated-namespaces <list>',
        'comma-separated CLUSTER/NAMESPACE pairs whose shells accept input only while someone observes them',
      ).env('WHEELHOUSE_SHELL_MODERATED_NAMESPACES'),
    )
    .addOption(
      new Option('--workload-log-max-containers <n>', 'containers one whole-workload log stream follows at once')
        .env('WHEELHOUSE_WORKLOAD_LOG_MAX_CONTAINERS')
        .default('20'),
    )
    .addOption(
      new Option(
        '--debug-images <list>',
        'comma-separated images the debug-container action may use (default busybox:1.37, alpine:3.22, nicolaka/netshoot:v0.14)',
      ).env('WHEELHOUSE_DEBUG_IMAGES'),
    )
    .addOption(
      new Option(
        '--peer-url <url>',
        "this replica's own URL as its sibling replicas reach it (replicas on one PostgreSQL store; default: none)",
      ).env('WHEELHOUSE_PEER_URL'),
    )
    .addOption(
      new Option(
        '--peer-secret-file <file>',
        "file holding the replicas' shared peer secret (a mounted Secret): shells, logs and object reads reach the replica holding the agent link",
      ).env('WHEELHOUSE_PEER_SECRET_FILE'),
    )
    .addOption(
      new Option(
        '--replica-heartbeat <duration>',
        'replicas on one PostgreSQL store: how often each writes its heartbeat; 5 missed = dead, its agent links are marked disconnected',
      )
        .env('WHEELHOUSE_REPLICA_HEARTBEAT')
        .default('2s'),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .env('WHEELHOUSE_LOG_LEVEL')
        .default('info'),
    );
  return addIdentityOptions(cmd).action(
    async (
      o: SsoFlags & {
        listen: string;
        dataDir: string;
        store?: string;
        storePasswordFile?: string;
        retentionInterval: string;
        timelineMaxAge: string;
        timelineMaxBytes: string;
        recordingsMaxAge: string;
        recordingsMaxBytes: string;
        commandTtl: string;
        heartbeat: string;
        logLevel: string;
        metricsToken?: string;
        trustedProxies?: string;
        secureCookie: string;
        allowedOrigins?: string;
        sessionIdle: string;
        sessionMaxAge: string;
        tokenDefaultDays: string;
        tokenMaxDays: string;
        oneTimePasswordTtl: string;
        auditKeyFile?: string;
        auditAnchorFile?: string;
        auditAnchorWebhook?: string;
        auditAnchorInterval: string;
        defaultPodSecurity: 'privileged' | 'baseline' | 'restricted';
        logStreamsPerUser: string;
        workloadLogStreamsPerUser: string;
        workloadLogMaxContainers: string;
        shellModeratedNamespaces?: string;
        debugImages?: string;
        peerUrl?: string;
        peerSecretFile?: string;
        replicaHeartbeat: string;
      },
    ) => {
      const { host, port } = parseListen(o.listen);
      const sso = await ssoSettings(o, `http://${host}:${port}`);
      // Loaded on use: every other subcommand starts faster without the hub's dependencies.
      const { createHub, readPasswordFile, redactUrl, parseByteSize } = await import('@wheelhouse/hub');
      const { ensureAdmin } = await import('@wheelhouse/hub/auth');
      if (o.storePasswordFile && !o.store) throw new Error('--store-password-file needs --store postgres://…');
      const hub = await createHub({
        dataDir: o.dataDir,
        ...(o.store ? { store: o.store } : {}),
        ...(o.storePasswordFile ? { storePassword: readPasswordFile(o.storePasswordFile) } : {}),
        logger: true,
        commandTtlMs: parseDuration(o.commandTtl),
        heartbeatMs: parseDuration(o.heartbeat),
        defaultPodSecurity: o.defaultPodSecurity,
        retention: {
          intervalMs: parseDuration(o.retentionInterval),
          timelineMaxAgeMs: parseDuration(o.timelineMaxAge),
          timelineMaxBytes: parseByteSize(o.timelineMaxBytes),
          recordingsMaxAgeMs: parseDuration(o.recordingsMaxAge),
          recordingsMaxBytes: parseByteSize(o.recordingsMaxBytes),
        },
        ...(o.metricsToken ? { metricsToken: o.metricsToken } : {}),
        ...(o.trustedProxies ? { trustedProxies: splitList(o.trustedProxies) } : {}),
        ...(o.secureCookie !== 'auto' ? { secureCookie: o.secureCookie === 'true' } : {}),
        ...(o.allowedOrigins ? { allowedOrigins: splitList(o.allowedOrigins) } : {}),
        ...(o.debugImages ? { debugImages: splitList(o.debugImages) } : {}),
        ...sso,
        replica: {
          heartbeatMs: parseDuration(o.replicaHeartbeat),
          ...(o.peerUrl ? { peerUrl: o.peerUrl } : {}),
          ...(o.peerSecretFile ? { peerSecret: readPasswordFile(o.peerSecretFile) } : {}),
        },
        logs: { maxStreamsPerUser: positiveInt('--log-streams-per-user', o.logStreamsPerUser) },
        ...(o.shellModeratedNamespaces
          ? { shell: { clusters: moderatedShells(splitList(o.shellModeratedNamespaces)) } }
          : {}),
        workloadLogs: {
          maxStreamsPerUser: positiveInt('--workload-log-streams-per-user', o.workloadLogStreamsPerUser),
          maxContainers: positiveInt('--workload-log-max-containers', o.workloadLogMaxContainers),
        },
        lifetimes: {
          sessionIdleMs: parseDuration(o.sessionIdle),
          sessionMaxAgeMs: parseDuration(o.sessionMaxAge),
          tokenDefaultDays: wholeDays('--token-default-days', o.tokenDefaultDays),
          tokenMaxDays: wholeDays('--token-max-days', o.tokenMaxDays),
          oneTimePasswordMs: parseDuration(o.oneTimePasswordTtl),
        },
        audit: {
          anchorIntervalMs: parseDuration(o.auditAnchorInterval),
          ...(o.auditKeyFile ? { keyFile: o.auditKeyFile } : {}),
          ...(o.auditAnchorFile ? { anchorFile: o.auditAnchorFile } : {}),
          ...(o.auditAnchorWebhook ? { anchorWebhook: o.auditAnchorWebhook } : {}),
        },
        access: {
          maxDurationMs: parseDuration(o.accessMaxDuration),
          pendingTtlMs: parseDuration(o.accessPendingTtl),
          ...(o.accessWebhookUrl ? { webhookUrl: o.accessWebhookUrl } : {}),
        },
      });
      hub.app.log.level = o.logLevel;
      const admin = await ensureAdmin(hub.db, process.env.WHEELHOUSE_INITIAL_ADMIN_PASSWORD, {
        oneTimePasswordMs: parseDuration(o.oneTimePasswordTtl),
      });
      await hub.app.listen({ host, port });
      const address = hub.app.server.address();
      const url = typeof address === 'object' && address ? `http://${host}:${address.port}` : o.listen;
      // First start, or every hub-wide admin's one-time password expired unused: a (new) way in.
      const what = admin?.renewed
        ? `Every administrator's one-time password expired unused: gave user "${admin.username}" a new one`
        : `First start: created user "${admin?.username ?? ''}"`;
      if (admin && process.env.WHEELHOUSE_INITIAL_ADMIN_PASSWORD) {
        process.stdout.write(
          `\n${what} with the password from WHEELHOUSE_INITIAL_ADMIN_PASSWORD (one-time: change it at first sign-in, within ${o.oneTimePasswordTtl}).\n\n`,
        );
      } else if (admin) {
        process.stdout.write(
          `\n${what} with one-time password: ${admin.password}\n` +
            `Sign in and change it within ${o.oneTimePasswordTtl} (POST /api/v1/auth/password). It is not shown again.\n\n`,
        );
      }
      const where = o.store ? `store: ${redactUrl(o.store)}` : `data: ${o.dataDir}`;
      process.stdout.write(`wheelhouse hub listening on ${url} (${where})\n`);
      if (sso.oidc)
        process.stdout.write(`single sign-on: ${sso.oidc.issuer} (local accounts: ${sso.localAccounts.mode})\n`);
      stopOnSignals(() => hub.close());
    },
  );
}

/** `--shell-moderated-namespaces a/b,c/d` as the hub's per-namespace shell policy (requireObserver). */
export function moderatedShells(
  pairs: readonly string[],
): Record<string, { namespaces: Record<string, { requireObserver: true }> }> {
  const out: Record<string, { namespaces: Record<string, { requireObserver: true }> }> = {};
  for (const pair of pairs) {
    const [cluster, namespace, ...rest] = pair.split('/');
    if (!cluster || !namespace || rest.length > 0)
      throw new Error(`--shell-moderated-namespaces: "${pair}" is not CLUSTER/NAMESPACE`);
    (out[cluster] ??= { namespaces: {} }).namespaces[namespace] = { requireObserver: true };
  }
  return out;
}
