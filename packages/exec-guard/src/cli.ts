// `wheelhouse exec-guard` (and the standalone entry main.ts): flags, each with
// an environment variable, mapped onto startExecGuard().
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '@wheelhouse/protocol';
import { DEFAULTS, startExecGuard, type ExecGuardHandle, type ExecGuardOptions, type LogLevel } from './exec-guard.js';

const int =
  (min: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`expected an integer >= ${min}, got "${v}"`);
    return n;
  };
const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
const duration = (v: string): number => {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

export function defaultDataDir(): string {
  return join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'wheelhouse', 'exec-guard');
}

interface Flags {
  kubeconfig?: string;
  apiServer?: string;
  certPath?: string;
  keyPath?: string;
  selfSigned?: boolean;
  selfSignedHosts?: string[];
  caBundleOut?: string;
  host: string;
  port: number;
  ttlSeconds: number;
  namespaceAllowlist?: string[];
  namespaces?: string[];
  portForward?: boolean;
  interactQueueSize: number;
  extendQueueSize: number;
  dataDir: string;
  logLevel: LogLevel;
  leaderElect: boolean;
  leaseNamespace?: string;
  leaseName: string;
  leaseDuration: number;
  renewDeadline: number;
  retryPeriod: number;
  evictionBackoff: number;
  evictionMaxBackoff: number;
  clientCa?: string;
  clientNames?: string[];
  allowUnauthenticatedCallers?: boolean;
  debugContainers: boolean;
  maxExtension: number;
  maxTotalExtension: number;
  ratePerUser: number;
  rateBurst: number;
  journalMaxBytes: number;
}

/** Maps parsed flags to startExecGuard options. */
export function optionsFromFlags(f: Flags): ExecGuardOptions {
  const o: ExecGuardOptions = {
    host: f.host,
    port: f.port,
    ttlSeconds: f.ttlSeconds,
    namespaceAllowlist: f.namespaceAllowlist ?? [],
    namespaces: f.namespaces ?? [],
    portForward: f.portForward === true,
    interactQueueSize: f.interactQueueSize,
    extendQueueSize: f.extendQueueSize,
    dataDir: f.dataDir,
    logLevel: f.logLevel,
    selfSigned: f.selfSigned === true,
    selfSignedHosts: f.selfSignedHosts ?? [],
    leaderElection: {
      enabled: f.leaderElect,
      name: f.leaseName,
      leaseDurationMs: f.leaseDuration,
      renewDeadlineMs: f.renewDeadline,
      retryPeriodMs: f.retryPeriod,
    },
    evictionBackoffMs: f.evictionBackoff,
    evictionMaxBackoffMs: f.evictionMaxBackoff,
    debugContainers: f.debugContainers,
    maxExtensionMs: f.maxExtension,
    maxTotalExtensionMs: f.maxTotalExtension,
    ratePerSecond: f.ratePerUser,
    rateBurst: f.rateBurst,
    journalMaxBytes: f.journalMaxBytes,
    allowUnauthenticatedCallers: f.allowUnauthenticatedCallers === true,
  };
  if (f.clientCa !== undefined) o.clientCaPath = f.clientCa;
  if (f.clientNames !== undefined) o.clientNames = f.clientNames;
  if (f.leaseNamespace !== undefined && o.leaderElection) o.leaderElection.namespace = f.leaseNamespace;
  if (f.kubeconfig !== undefined) o.kubeconfigPath = f.kubeconfig;
  if (f.apiServer !== undefined) o.apiServer = f.apiServer;
  if (f.certPath !== undefined) o.certPath = f.certPath;
  if (f.keyPath !== undefined) o.keyPath = f.keyPath;
  return o;
}

export interface ExecGuardCommandDeps {
  start?: (o: ExecGuardOptions) => Promise<ExecGuardHandle>;
  /** Called once running (tests); the default waits for SIGTERM/SIGINT and stops. */
  onStarted?: (h: ExecGuardHandle) => void;
}

export function execGuardCommand(deps: ExecGuardCommandDeps = {}): Command {
  const start = deps.start ?? startExecGuard;
  const opt = (flags: string, description: string, env: string): Option => new Option(flags, description).env(env);
  return new Command('exec-guard')
    .description(
      'Run exec guard: the admission webhook that records kubectl exec/attach, labels and announces it, and evicts the pod after a TTL',
    )
    .addOption(
      opt('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config or in-cluster)', 'KUBECONFIG'),
    )
    .addOption(opt('--api-server <url>', 'override the API server URL of the kubeconfig', 'EXEC_GUARD_API_SERVER'))
    .addOption(opt('--cert-path <path>', 'serving certificate (PEM)', 'EXEC_GUARD_CERT_PATH'))
    .addOption(opt('--key-path <path>', 'serving key (PEM)', 'EXEC_GUARD_KEY_PATH'))
    .addOption(
      opt(
        '--self-signed',
        'dev mode: generate a self-signed certificate and print its caBundle',
        'EXEC_GUARD_SELF_SIGNED',
      ),
    )
    .addOption(
      opt(
        '--self-signed-hosts <list>',
        'extra IPs/DNS names for the self-signed certificate (comma separated)',
        'EXEC_GUARD_SELF_SIGNED_HOSTS',
      ).argParser(list),
    )
    .addOption(
      opt(
        '--ca-bundle-out <path>',
        'dev mode: write the caBundle (base64 PEM) to this file',
        'EXEC_GUARD_CA_BUNDLE_OUT',
      ),
    )
    .addOption(
      opt(
        '--client-ca <path>',
        "CA (PEM) of the API server's admission client certificate: only callers presenting a certificate it signed may use the hooks",
        'EXEC_GUARD_CLIENT_CA',
      ),
    )
    .addOption(
      opt(
        '--client-names <list>',
        'accept only client certificates with one of these common names (comma separated; default: any the CA signed)',
        'EXEC_GUARD_CLIENT_NAMES',
      ).argParser(list),
    )
    .addOption(
      opt(
        '--allow-unauthenticated-callers',
        'serve the hooks to any caller (only where the API server cannot present a client certificate; rely on the NetworkPolicy)',
        'EXEC_GUARD_ALLOW_UNAUTHENTICATED_CALLERS',
      ),
    )
    .addOption(opt('--host <address>', 'address to listen on', 'EXEC_GUARD_HOST').default('0.0.0.0'))
    .addOption(
      opt('--port <port>', 'HTTPS port of the webhook, probes and metrics', 'EXEC_GUARD_PORT')
        .argParser(int(0))
        .default(DEFAULTS.port),
    )
    .addOption(
      opt('--ttl-seconds <seconds>', 'how long a pod lives after its first exec/attach', 'EXEC_GUARD_TTL_SECONDS')
        .argParser(int(1))
        .default(DEFAULTS.ttlSeconds),
    )
    .addOption(
      opt(
        '--namespace-allowlist <list>',
        'namespaces whose interactions are ignored (comma separated)',
        'EXEC_GUARD_NAMESPACE_ALLOWLIST',
      ).argParser(list),
    )
    .addOption(
      opt(
        '--namespaces <list>',
        'manage only pods in these namespaces (comma separated; default: all)',
        'EXEC_GUARD_NAMESPACES',
      ).argParser(list),
    )
    .addOption(opt('--port-forward', 'also record kubectl port-forward', 'EXEC_GUARD_PORT_FORWARD'))
    .addOption(
      opt(
        '--no-debug-containers',
        'do not record ephemeral containers added with kubectl debug',
        'EXEC_GUARD_NO_DEBUG_CONTAINERS',
      ),
    )
    .addOption(
      opt('--max-extension <duration>', 'longest single extension request', 'EXEC_GUARD_MAX_EXTENSION')
        .argParser(duration)
        .default(DEFAULTS.maxExtensionMs, '2h'),
    )
    .addOption(
      opt(
        '--max-total-extension <duration>',
        "most all extensions together may add to a pod's TTL",
        'EXEC_GUARD_MAX_TOTAL_EXTENSION',
      )
        .argParser(duration)
        .default(DEFAULTS.maxTotalExtensionMs, '24h'),
    )
    .addOption(
      opt(
        '--rate-per-user <n>',
        'exec/attach/debug and extension requests recorded per user and second (beyond the burst)',
        'EXEC_GUARD_RATE_PER_USER',
      )
        .argParser(int(1))
        .default(DEFAULTS.ratePerSecond),
    )
    .addOption(
      opt('--rate-burst <n>', 'requests a user may make at once before the rate applies', 'EXEC_GUARD_RATE_BURST')
        .argParser(int(1))
        .default(DEFAULTS.rateBurst),
    )
    .addOption(
      opt(
        '--journal-max-bytes <n>',
        'most bytes of recorded requests waiting to be applied; beyond it the hooks answer 503 (failurePolicy decides)',
        'EXEC_GUARD_JOURNAL_MAX_BYTES',
      )
        .argParser(int(4096))
        .default(DEFAULTS.journalMaxBytes),
    )
    .addOption(
      opt(
        '--interact-queue-size <n>',
        'bound of the in-memory interaction queue (the journal holds the overflow)',
        'EXEC_GUARD_INTERACT_QUEUE_SIZE',
      )
        .argParser(int(1))
        .default(DEFAULTS.interactQueueSize),
    )
    .addOption(
      opt('--extend-queue-size <n>', 'bound of the in-memory extension queue', 'EXEC_GUARD_EXTEND_QUEUE_SIZE')
        .argParser(int(1))
        .default(DEFAULTS.extendQueueSize),
    )
    .addOption(
      opt('--data-dir <path>', 'directory of the durable interaction journal', 'EXEC_GUARD_DATA_DIR').default(
        defaultDataDir(),
      ),
    )
    .addOption(
      opt('--log-level <level>', 'log level', 'EXEC_GUARD_LOG_LEVEL')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .addOption(opt('--no-leader-elect', 'evict without a Lease (a single replica only)', 'EXEC_GUARD_NO_LEADER_ELECT'))
    .addOption(
      opt(
        '--lease-namespace <ns>',
        'namespace of the leader Lease (default: POD_NAMESPACE or the kubeconfig namespace)',
        'EXEC_GUARD_LEASE_NAMESPACE',
      ),
    )
    .addOption(
      opt('--lease-name <name>', 'name of the leader Lease', 'EXEC_GUARD_LEASE_NAME').default(DEFAULTS.leaseName),
    )
    .addOption(
      opt('--lease-duration <duration>', 'leader Lease duration', 'EXEC_GUARD_LEASE_DURATION')
        .argParser(duration)
        .default(DEFAULTS.leaseDurationMs, '15s'),
    )
    .addOption(
      opt(
        '--renew-deadline <duration>',
        'how long a leader retries renewing before it stops leading',
        'EXEC_GUARD_RENEW_DEADLINE',
      )
        .argParser(duration)
        .default(DEFAULTS.renewDeadlineMs, '10s'),
    )
    .addOption(
      opt('--retry-period <duration>', 'interval of leader election attempts', 'EXEC_GUARD_RETRY_PERIOD')
        .argParser(duration)
        .default(DEFAULTS.retryPeriodMs, '2s'),
    )
    .addOption(
      opt(
        '--eviction-backoff <duration>',
        'first retry delay when a PodDisruptionBudget blocks an eviction',
        'EXEC_GUARD_EVICTION_BACKOFF',
      )
        .argParser(duration)
        .default(DEFAULTS.evictionBackoffMs, '1s'),
    )
    .addOption(
      opt(
        '--eviction-max-backoff <duration>',
        'longest retry delay for a blocked eviction',
        'EXEC_GUARD_EVICTION_MAX_BACKOFF',
      )
        .argParser(duration)
        .default(DEFAULTS.evictionMaxBackoffMs, '1m0s'),
    )
    .action(async (flags: Flags) => {
      const handle = await start(optionsFromFlags(flags));
      if (handle.caBundle !== undefined) {
        if (flags.caBundleOut !== undefined) await writeFile(flags.caBundleOut, handle.caBundle);
        else process.stderr.write(`exec guard caBundle (self-signed): ${handle.caBundle}\n`);
      }
      if (deps.onStarted) {
        deps.onStarted(handle);
        return;
      }
      await new Promise<void>((resolve) => {
        const onSignal = (): void => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          handle.stop().then(resolve, resolve);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });
}
