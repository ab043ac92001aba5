// `wheelhouse exec-guard` flags and their environment variables, mapped to
// startExecGuard options (the start function is replaced; nothing listens).
import { describe, expect, it } from 'vitest';
import { execGuardCommand } from '../src/cli.js';
import type { ExecGuardHandle, ExecGuardOptions } from '../src/exec-guard.js';

async function parse(argv: string[], env: Record<string, string> = {}): Promise<ExecGuardOptions> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('EXEC_GUARD_')) Reflect.deleteProperty(process.env, k);
  Object.assign(process.env, env);
  try {
    let got: ExecGuardOptions | undefined;
    const cmd = execGuardCommand({
      start: (o) => {
        got = o;
        return Promise.resolve({} as ExecGuardHandle);
      },
      onStarted: () => undefined,
    }).exitOverride();
    await cmd.parseAsync(argv, { from: 'user' });
    if (!got) throw new Error('not started');
    return got;
  } finally {
    process.env = saved;
  }
}

describe('exec-guard command', () => {
  it('has the documented defaults', async () => {
    const o = await parse(['--self-signed']);
    expect(o).toMatchObject({
      port: 8443,
      ttlSeconds: 600,
      interactQueueSize: 500,
      extendQueueSize: 500,
      logLevel: 'info',
      host: '0.0.0.0',
      portForward: false,
      namespaceAllowlist: [],
    });
    expect(o.leaderElection).toMatchObject({
      enabled: true,
      name: 'wheelhouse-exec-guard',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    expect(o.evictionBackoffMs).toBe(1000);
    expect(o.dataDir).toMatch(/wheelhouse\/exec-guard$/);
  });

  it('maps every flag', async () => {
    const o = await parse([
      '--kubeconfig',
      '/k',
      '--api-server',
      'https://10.0.0.1:6443',
      '--cert-path',
      '/c',
      '--key-path',
      '/k2',
      '--port',
      '9443',
      '--ttl-seconds',
      '120',
      '--namespace-allowlist',
      'kube-system, ops',
      '--namespaces',
      'shop',
      '--port-forward',
      '--interact-queue-size',
      '50',
      '--extend-queue-size',
      '5',
      '--data-dir',
      '/d',
      '--log-level',
      'debug',
      '--no-leader-elect',
      '--lease-namespace',
      'wh',
      '--lease-name',
      'l',
      '--lease-duration',
      '30s',
      '--renew-deadline',
      '20s',
      '--retry-period',
      '5s',
      '--eviction-backoff',
      '2s',
      '--eviction-max-backoff',
      '5m',
    ]);
    expect(o).toMatchObject({
      kubeconfigPath: '/k',
      apiServer: 'https://10.0.0.1:6443',
      certPath: '/c',
      keyPath: '/k2',
      port: 9443,
      ttlSeconds: 120,
      namespaceAllowlist: ['kube-system', 'ops'],
      namespaces: ['shop'],
      portForward: true,
      interactQueueSize: 50,
      extendQueueSize: 5,
      dataDir: '/d',
      logLevel: 'debug',
      evictionBackoffMs: 2000,
      evictionMaxBackoffMs: 300_000,
    });
    expect(o.leaderElection).toEqual({
      enabled: false,
      namespace: 'wh',
      name: 'l',
      leaseDurationMs: 30_000,
      renewDeadlineMs: 20_000,
      retryPeriodMs: 5000,
    });
  });

  it('reads the same settings from environment variables', async () => {
    const o = await parse([], {
      EXEC_GUARD_CERT_PATH: '/c',
      EXEC_GUARD_KEY_PATH: '/k',
      EXEC_GUARD_PORT: '7443',
      EXEC_GUARD_TTL_SECONDS: '30',
      EXEC_GUARD_NAMESPACE_ALLOWLIST: 'a,b',
      EXEC_GUARD_LOG_LEVEL: 'warn',
      EXEC_GUARD_INTERACT_QUEUE_SIZE: '9',
      EXEC_GUARD_DATA_DIR: '/var/lib/eg',
      EXEC_GUARD_API_SERVER: 'https://api:6443',
      EXEC_GUARD_LEASE_DURATION: '1m',
    });
    expect(o).toMatchObject({
      certPath: '/c',
      keyPath: '/k',
      port: 7443,
      ttlSeconds: 30,
      namespaceAllowlist: ['a', 'b'],
      logLevel: 'warn',
      interactQueueSize: 9,
      dataDir: '/var/lib/eg',
      apiServer: 'https://api:6443',
    });
    expect(o.leaderElection?.leaseDurationMs).toBe(60_000);
  });

  it('rejects bad values with a message naming the flag', async () => {
    await expect(parse(['--ttl-seconds', 'ten'])).rejects.toThrow(/--ttl-seconds.*expected an integer >= 1, got "ten"/);
    await expect(parse(['--log-level', 'loud'])).rejects.toThrow(/--log-level.*loud/);
    await expect(parse(['--lease-duration', '15 seconds'])).rejects.toThrow(/invalid duration "15 seconds"/);
  });
});
