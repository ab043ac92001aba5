// startExecGuard(): the webhook, the journal worker and (on the leader) the
// eviction controller in one handle, so `wheelhouse exec-guard` runs it as a
// process and the Wheelhouse agent can embed it and forward its events.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { unwatchFile, watchFile } from 'node:fs';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { Applier } from './applier.js';
import { loadCert, loadClientCa, selfSignedCert, type ServingCert } from './certs.js';
import type { ExecGuardEvents } from './events.js';
import { Evictor } from './evictor.js';
import { DEFAULT_MAX_PENDING_BYTES, Journal, lockDataDir, type JournalEntry } from './journal.js';
import { EventRecorder } from './kube.js';
import { errorText } from './kube-errors.js';
import { COMPONENT } from './labels.js';
import { LeaderElector } from './lease.js';
import { createMetrics, type Metrics } from './metrics.js';
import { POLICY_DEFAULTS, buildServer } from './server.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface ExecGuardOptions {
  /** A ready KubeConfig (embedding); otherwise kubeconfigPath, else KUBECONFIG / ~/.kube/config / in-cluster. */
  kubeConfig?: k8s.KubeConfig;
  kubeconfigPath?: string;
  /** Overrides the API server URL of the kubeconfig's current cluster. */
  apiServer?: string;
  /** Serving certificate and key (PEM files). Required unless selfSigned. */
  certPath?: string;
  keyPath?: string;
  /** Dev mode: generate a self-signed pair for these hosts (127.0.0.1 and localhost always); the handle carries the caBundle. */
  selfSigned?: boolean;
  selfSignedHosts?: string[];
  host?: string;
  /** HTTPS port (8443); 0 picks a free one (see handle.port). */
  port?: number;
  ttlSeconds?: number;
  /** Namespaces whose interactions are ignored. */
  namespaceAllowlist?: string[];
  /** Manage pods only in these namespaces (default: the whole cluster). */
  namespaces?: string[];
  /** Also record `kubectl port-forward` (CONNECT pods/portforward). */
  portForward?: boolean;
  interactQueueSize?: number;
  extendQueueSize?: number;
  /** Where the journal lives (an emptyDir in the Helm chart). */
  dataDir: string;
  logLevel?: LogLevel;
  logger?: Logger;
  leaderElection?: {
    enabled?: boolean;
    namespace?: string;
    name?: string;
    identity?: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  evictionBackoffMs?: number;
  evictionMaxBackoffMs?: number;
  applyBackoffMs?: number;
  applyMaxBackoffMs?: number;
  /** On stop, how long to wait for queued entries to be applied (the journal keeps the rest). */
  drainTimeoutMs?: number;
  /** Seconds between checks of the certificate files for rotation (0: never). */
  certReloadSeconds?: number;
  /**
   * PEM file of the CA that signed the API server's admission client certificate
   * (kube-apiserver --admission-control-config-file). Hooks then answer only callers
   * presenting a certificate it signed. Required with certPath/keyPath unless
   * allowUnauthenticatedCallers is set.
   */
  clientCaPath?: string;
  /** Accept only client certificates with one of these common names (default: any the CA signed). */
  clientNames?: string[];
  /** Serve the hooks to any caller (managed control planes that cannot present a client certificate). */
  allowUnauthenticatedCallers?: boolean;
  /** Record ephemeral containers added by kubectl debug (default true). */
  debugContainers?: boolean;
  /** Longest single extension (ms, default 2h) and most all extensions may add to a pod's TTL (ms, default 24h). */
  maxExtensionMs?: number;
  maxTotalExtensionMs?: number;
  /** Journaled requests per user and second, and the burst allowed (defaults 5 and 50). */
  ratePerSecond?: number;
  rateBurst?: number;
  /** Most bytes of journal entries waiting to be applied (default 16 MiB); beyond it hooks answer 503. */
  journalMaxBytes?: number;
}

export interface ExecGuardHandle {
  port: number;
  /** Base URL of the webhook, e.g. https://127.0.0.1:8443 */
  url: string;
  /** base64 PEM CA bundle in self-signed mode. */
  caBundle?: string;
  events: EventEmitter<ExecGuardEvents>;
  metrics: Metrics;
  identity: string;
  isLeader(): boolean;
  /** Resolves when every entry queued so far has been applied to the cluster. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

export const DEFAULTS = {
  port: 8443,
  ttlSeconds: 600,
  interactQueueSize: 500,
  extendQueueSize: 500,
  leaseName: 'wheelhouse-exec-guard',
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  evictionBackoffMs: 1_000,
  evictionMaxBackoffMs: 60_000,
  maxExtensionMs: POLICY_DEFAULTS.maxExtensionMs,
  maxTotalExtensionMs: POLICY_DEFAULTS.maxTotalExtensionMs,
  ratePerSecond: POLICY_DEFAULTS.ratePerSecond,
  rateBurst: POLICY_DEFAULTS.rateBurst,
  journalMaxBytes: DEFAULT_MAX_PENDING_BYTES,
} as const;

export function loadKube(o: Pick<ExecGuardOptions, 'kubeConfig' | 'kubeconfigPath' | 'apiServer'>): k8s.KubeConfig {
  let kc = o.kubeConfig;
  if (!kc) {
    kc = new k8s.KubeConfig();
    if (o.kubeconfigPath !== undefined && o.kubeconfigPath !== '') kc.loadFromFile(o.kubeconfigPath);
    else kc.loadFromDefault();
  }
  if (o.apiServer !== undefined && o.apiServer !== '') {
    const current = kc.getCurrentCluster();
    const override = new k8s.KubeConfig();
    override.loadFromOptions({
      clusters: kc.clusters.map((c) => (c.name === current?.name ? { ...c, server: o.apiServer } : c)),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    kc = override;
  }
  return kc;
}

function validate(o: ExecGuardOptions): void {
  const positiveInt = (name: string, v: number | undefined, min = 1): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min))
      throw new Error(`${name} must be an integer >= ${min}, got ${v}`);
  };
  positiveInt('ttl-seconds', o.ttlSeconds);
  positiveInt('port', o.port, 0);
  if (o.port !== undefined && o.port > 65535) throw new Error(`port must be at most 65535, got ${o.port}`);
  positiveInt('interact-queue-size', o.interactQueueSize);
  positiveInt('extend-queue-size', o.extendQueueSize);
  if (!o.selfSigned && (o.certPath === undefined || o.keyPath === undefined)) {
    throw new Error('exec guard needs --cert-path and --key-path (or --self-signed for development)');
  }
  if (!o.selfSigned && (o.clientCaPath ?? '') === '' && o.allowUnauthenticatedCallers !== true) {
    throw new Error(
      "exec guard needs --client-ca: the CA of the API server's admission client certificate, so that only the API server " +
        'can call its hooks (see docs/exec-guard.md); --allow-unauthenticated-callers accepts any caller instead',
    );
  }
  if (o.clientCaPath !== undefined && o.clientCaPath !== '' && o.allowUnauthenticatedCallers === true) {
    throw new Error('--client-ca and --allow-unauthenticated-callers contradict each other; give one');
  }
  const positiveMs = (name: string, v: number | undefined): void => {
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new Error(`${name} must be longer than 0s`);
  };
  positiveMs('max-extension', o.maxExtensionMs);
  positiveMs('max-total-extension', o.maxTotalExtensionMs);
  if (o.maxExtensionMs !== undefined && o.maxTotalExtensionMs !== undefined && o.maxExtensionMs > o.maxTotalExtensionMs)
    throw new Error('max-extension must not be longer than max-total-extension');
  if (o.ratePerSecond !== undefined && !(o.ratePerSecond > 0))
    throw new Error(`rate-per-user must be above 0, got ${o.ratePerSecond}`);
  positiveInt('rate-burst', o.rateBurst);
  positiveInt('journal-max-bytes', o.journalMaxBytes, 4096);
  if (o.dataDir === '') throw new Error('exec guard needs a --data-dir for its journal');
}

export async function startExecGuard(options: ExecGuardOptions): Promise<ExecGuardHandle> {
  validate(options);
  const log = options.logger ?? pino({ level: options.logLevel ?? 'info', base: { component: COMPONENT } });
  const kc = loadKube(options);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const ttlMs = (options.ttlSeconds ?? DEFAULTS.ttlSeconds) * 1000;
  const allowlist = new Set(options.namespaceAllowlist ?? []);
  const identity = options.leaderElection?.identity ?? `${hostname()}_${randomUUID().slice(0, 8)}`;
  const metrics = createMetrics(true);
  const events = new EventEmitter<ExecGuardEvents>();
  const recorder = new EventRecorder(core, identity);

  const serving: ServingCert = options.selfSigned
    ? await selfSignedCert(options.selfSignedHosts ?? [])
    : await loadCert(options.certPath ?? '', options.keyPath ?? '');
  const clientCaPath =
    options.clientCaPath !== undefined && options.clientCaPath !== '' ? options.clientCaPath : undefined;
  const clientCa = clientCaPath !== undefined ? await loadClientCa(clientCaPath) : undefined;
  if (clientCa === undefined)
    log.warn(
      'exec guard does not authenticate its callers (no client CA): anyone who reaches its port can send AdmissionReviews',
    );

  const unlock = await lockDataDir(options.dataDir);
  let journal: Journal;
  let pending: JournalEntry[];
  try {
    ({ journal, pending } = await Journal.open({
      dir: options.dataDir,
      maxPendingBytes: options.journalMaxBytes ?? DEFAULTS.journalMaxBytes,
    }));
  } catch (err) {
    await unlock();
    throw err;
  }
  if (pending.length > 0)
    log.info({ pending: pending.length }, 'recovered journal entries not yet applied; applying them');

  const applier = new Applier({
    core,
    journal,
    ttlMs,
    interactQueueSize: options.interactQueueSize ?? DEFAULTS.interactQueueSize,
    extendQueueSize: options.extendQueueSize ?? DEFAULTS.extendQueueSize,
    backoffMs: options.applyBackoffMs,
    maxBackoffMs: options.applyMaxBackoffMs,
    metrics,
    log,
    events,
    recorder,
  });
  applier.load(pending);
  applier.start();

  // Who am I? Exec guard's own updates may change its protected annotations; nobody else's may.
  let selfUsernames: ReadonlySet<string> | undefined;
  let stopped = false;
  const whoAmI = async (): Promise<void> => {
    const auth = kc.makeApiClient(k8s.AuthenticationV1Api);
    for (let delay = 500; !stopped && selfUsernames === undefined; delay = Math.min(delay * 2, 30_000)) {
      try {
        const r = await auth.createSelfSubjectReview({
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        });
        const name = r.status?.userInfo?.username;
        if (name !== undefined) selfUsernames = new Set([name]);
      } catch (err) {
        log.warn({ err: errorText(err) }, "could not learn exec guard's own identity (SelfSubjectReview); retrying");
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  };
  const whoAmIDone = whoAmI();

  let ready = false;
  const app = await buildServer({
    key: serving.key,
    cert: serving.cert,
    allowlist,
    portForward: options.portForward ?? false,
    metrics,
    log,
    selfUsernames: () => selfUsernames,
    ready: () => ready,
    ...(clientCa !== undefined ? { clientCa } : {}),
    ...(options.clientNames && options.clientNames.length > 0 ? { clientNames: new Set(options.clientNames) } : {}),
    debugContainers: options.debugContainers ?? true,
    policy: {
      ttlMs,
      maxExtensionMs: options.maxExtensionMs ?? DEFAULTS.maxExtensionMs,
      maxTotalExtensionMs: options.maxTotalExtensionMs ?? DEFAULTS.maxTotalExtensionMs,
    },
    rateLimit: {
      perSecond: options.ratePerSecond ?? DEFAULTS.ratePerSecond,
      burst: options.rateBurst ?? DEFAULTS.rateBurst,
    },
    record: async (entry) => {
      await journal.append(entry);
      applier.enqueue(entry);
    },
  });
  await app.listen({ host: options.host ?? '0.0.0.0', port: options.port ?? DEFAULTS.port });
  const port = (app.server.address() as AddressInfo).port;

  // Certificate rotation (cert-manager renews the Secret; the kubelet updates the mounted files).
  const reloadSeconds = options.certReloadSeconds ?? 60;
  const certFiles = [
    ...(!options.selfSigned && reloadSeconds > 0 ? [options.certPath ?? '', options.keyPath ?? ''] : []),
    ...(clientCaPath !== undefined && reloadSeconds > 0 ? [clientCaPath] : []),
  ];
  const reloadCert = (): void => {
    Promise.all([
      options.selfSigned ? Promise.resolve(serving) : loadCert(options.certPath ?? '', options.keyPath ?? ''),
      clientCaPath !== undefined ? loadClientCa(clientCaPath) : Promise.resolve(undefined),
    ])
      .then(([c, ca]) => {
        (app.server as import('node:https').Server).setSecureContext({
          key: c.key,
          cert: c.cert,
          ...(ca !== undefined ? { ca } : {}),
        });
        log.info('reloaded the serving certificate and client CA');
      })
      .catch((err: unknown) => log.warn({ err: errorText(err) }, 'could not reload the serving certificate'));
  };
  for (const f of certFiles) watchFile(f, { interval: reloadSeconds * 1000, persistent: false }, reloadCert);

  const evictor = new Evictor({
    kc,
    core,
    namespaces: options.namespaces && options.namespaces.length > 0 ? options.namespaces : undefined,
    allowlist,
    ttlMs,
    backoffMs: options.evictionBackoffMs ?? DEFAULTS.evictionBackoffMs,
    maxBackoffMs: options.evictionMaxBackoffMs ?? DEFAULTS.evictionMaxBackoffMs,
    log,
    metrics,
    events,
    recorder,
  });
  let leading = false;
  let evictorChange: Promise<void> = Promise.resolve();
  const onLeading = (v: boolean): void => {
    leading = v;
    metrics.leader.set(v ? 1 : 0);
    events.emit('leader', v);
    evictorChange = evictorChange.then(() =>
      (v ? evictor.start() : evictor.stop()).catch((err: unknown) =>
        log.error({ err: errorText(err) }, 'eviction controller failed to (re)start'),
      ),
    );
  };
  const le = options.leaderElection ?? {};
  let elector: LeaderElector | undefined;
  if (le.enabled === false) {
    onLeading(true);
  } else {
    elector = new LeaderElector({
      coordination: kc.makeApiClient(k8s.CoordinationV1Api),
      namespace:
        le.namespace ?? process.env.POD_NAMESPACE ?? kc.getContextObject(kc.currentContext)?.namespace ?? 'default',
      name: le.name ?? DEFAULTS.leaseName,
      identity,
      leaseDurationMs: le.leaseDurationMs ?? DEFAULTS.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs ?? DEFAULTS.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs ?? DEFAULTS.retryPeriodMs,
      log,
      onChange: onLeading,
    });
    elector.start();
  }
  ready = true;
  log.info(
    { port, ttl: ttlMs / 1000, allowlist: [...allowlist], identity, dataDir: options.dataDir },
    'exec guard is serving',
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      stopped = true;
      for (const f of certFiles) unwatchFile(f, reloadCert);
      await app.close();
      await elector?.stop();
      if (!elector) onLeading(false);
      await evictorChange;
      await evictor.stop();
      const drainMs = options.drainTimeoutMs ?? 10_000;
      let t: NodeJS.Timeout | undefined;
      await Promise.race([applier.drained(), new Promise((r) => (t = setTimeout(r, drainMs)))]);
      clearTimeout(t);
      await applier.stop();
      await whoAmIDone;
      await journal.close();
      await unlock();
      log.info('exec guard stopped');
    })();
    return stopping;
  };

  const url = `https://${options.host === undefined || options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  const handle: ExecGuardHandle = {
    port,
    url,
    events,
    metrics,
    identity,
    isLeader: () => leading,
    drained: () => applier.drained(),
    stop,
  };
  if (serving.caBundle !== undefined) handle.caBundle = serving.caBundle;
  return handle;
}
