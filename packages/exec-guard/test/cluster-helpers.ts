// Shared set-up for exec guard's integration tests: pods on kwok nodes, a
// webhook configuration scoped to the test's namespaces, exec through the
// pinned kubectl (so it travels kubectl → API server → admission → exec guard).
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { kubectl } from '@wheelhouse/test-cluster';
import { admissionClientCaFile, eventually, kubeConfig, kubeconfigFile } from '@wheelhouse/test-cluster/testing';
import { parse, stringify } from 'yaml';
import { startExecGuard, type ExecGuardHandle, type ExecGuardOptions } from '../src/exec-guard.js';
import { webhookConfiguration } from '../src/webhook-config.js';
import type { Metrics } from '../src/metrics.js';

export const kc = kubeConfig();
export const core = kc.makeApiClient(k8s.CoreV1Api);
export const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export async function tempDir(prefix = 'exec-guard-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Creates bare pods (no controller) and waits until all are Running. */
export async function createPods(
  ns: string,
  names: string[],
  labels: Record<string, string> = {},
): Promise<Map<string, k8s.V1Pod>> {
  await Promise.all(
    names.map((name) =>
      core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, labels: { app: name, ...labels } },
          spec: { containers: [{ name: 'app', image: 'registry.local/demo:1.0' }], terminationGracePeriodSeconds: 0 },
        },
      }),
    ),
  );
  return eventually(
    `pods ${names.join(', ')} Running`,
    async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns })).items.filter((p) =>
        names.includes(p.metadata?.name ?? ''),
      );
      const running = pods.filter((p) => p.status?.phase === 'Running');
      return running.length === names.length ? new Map(running.map((p) => [p.metadata?.name ?? '', p])) : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

/** Registers exec guard's webhooks for these namespaces only; returns a cleanup. */
export async function registerWebhooks(
  url: string,
  caBundle: string,
  namespaces: string[],
  failurePolicy: 'Fail' | 'Ignore' = 'Fail',
): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = uniqueName('exec-guard-test');
  await admission.createValidatingWebhookConfiguration({
    body: webhookConfiguration({
      name,
      url,
      caBundle,
      failurePolicy: { connect: failurePolicy, update: failurePolicy },
      namespaceSelector: {
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }],
      },
    }),
  });
  return {
    name,
    remove: async () => {
      await admission.deleteValidatingWebhookConfiguration({ name }).catch(() => undefined);
    },
  };
}

export async function execIn(
  ns: string,
  pod: string,
  command: string[] = ['true'],
  kubeconfig?: string,
): Promise<string> {
  const args = ['exec', '-n', ns, pod, '--', ...command];
  const { stdout } = await kubectl(kubeconfig === undefined ? args : ['--kubeconfig', kubeconfig, ...args]);
  return stdout;
}

export async function counterValue(
  metrics: Metrics,
  name: 'interactions' | 'evictions' | 'extensions',
  labels: Record<string, string>,
): Promise<number> {
  const v = await metrics[name].get();
  return v.values
    .filter((x) => Object.entries(labels).every(([k, val]) => (x.labels as Record<string, unknown>)[k] === val))
    .reduce((a, x) => a + x.value, 0);
}

/** The API server picks up new webhook configurations asynchronously: exec into a probe pod until a recorded interaction shows up. */
export async function waitForWebhook(ns: string, probePod: string, recorded: () => Promise<number>): Promise<void> {
  await eventually(
    'the API server to call exec guard on exec',
    async () => {
      await execIn(ns, probePod, ['true']);
      return (await recorded()) > 0;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

export async function podEvents(ns: string, pod: string): Promise<k8s.CoreV1Event[]> {
  const list = await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${pod}` });
  return list.items.filter((e) => e.reason === 'PodInteraction');
}

export async function readPod(ns: string, name: string): Promise<k8s.V1Pod | undefined> {
  try {
    return await core.readNamespacedPod({ namespace: ns, name });
  } catch (err) {
    if (err instanceof k8s.ApiException && (err as k8s.ApiException<unknown>).code === 404) return undefined;
    throw err;
  }
}

/** true once the pod is gone or terminating. */
export async function podGoneOrTerminating(ns: string, name: string, uid: string | undefined): Promise<boolean> {
  const p = await readPod(ns, name);
  return p === undefined || p.metadata?.uid !== uid || p.metadata?.deletionTimestamp !== undefined;
}

/**
 * exec guard in this process, as most tests run it: self-signed on a free loopback port, accepting
 * reviews only from the API server (the admission client CA), a lease of the test's own in `ns`.
 * `over` replaces any of these.
 */
export function startTestGuard(
  ns: string,
  dataDir: string,
  over: Partial<ExecGuardOptions> = {},
): Promise<ExecGuardHandle> {
  return startExecGuard({
    kubeConfig: kc,
    selfSigned: true,
    host: '127.0.0.1',
    port: 0,
    ttlSeconds: 600,
    namespaces: [ns],
    clientCaPath: admissionClientCaFile(),
    dataDir,
    logLevel: 'silent',
    leaderElection: { namespace: ns, name: uniqueName('lease') },
    ...over,
  });
}

/**
 * Registers the guard's webhooks for `namespaces`, creates `pods` (among them `probe`) in `podNamespace`
 * and waits until an exec into the probe reaches the guard through the API server.
 */
export async function routeExecsTo(
  guard: ExecGuardHandle,
  namespaces: string[],
  podNamespace: string,
  pods: string[],
): Promise<{ removeWebhooks: () => Promise<void>; pods: Map<string, k8s.V1Pod> }> {
  const { remove } = await registerWebhooks(guard.url, guard.caBundle ?? '', namespaces);
  const created = await createPods(podNamespace, pods);
  await waitForWebhook(podNamespace, 'probe', () =>
    counterValue(guard.metrics, 'interactions', { outcome: 'recorded' }),
  );
  return { removeWebhooks: remove, pods: created };
}

/** The afterAll of a test that started a guard: webhooks first (so the API server stops calling it), then the guard, then its files. */
export async function stopTestGuard(
  removeWebhooks: () => Promise<void>,
  guard: ExecGuardHandle,
  dir: string,
): Promise<void> {
  await removeWebhooks();
  await guard.stop();
  await rm(dir, { recursive: true, force: true });
}

/**
 * A ServiceAccount in `ns` bound to a Role that allows `verbs` on pods and nothing else; returns a
 * token for it (undefined only if the API server sent none).
 */
export async function serviceAccountToken(
  ns: string,
  o: { account: string; role: string; verbs: string[]; expirationSeconds: number },
): Promise<string | undefined> {
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: o.account } } });
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace: ns,
    body: {
      metadata: { name: o.role },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: o.verbs }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: o.account },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: o.role },
      subjects: [{ kind: 'ServiceAccount', name: o.account, namespace: ns }],
    },
  });
  const tr = await core.createNamespacedServiceAccountToken({
    namespace: ns,
    name: o.account,
    body: { spec: { audiences: [], expirationSeconds: o.expirationSeconds } },
  });
  return tr.status?.token;
}

/**
 * A ServiceAccount `dev` in `ns` that may use `verbs` on pods and nothing of exec guard's, and a
 * kubeconfig (dir/dev.kubeconfig, from the test cluster's) that acts as it; returns its path.
 */
export async function devKubeconfig(
  ns: string,
  dir: string,
  verbs: string[],
  expirationSeconds: number,
): Promise<string> {
  const token = await serviceAccountToken(ns, { account: 'dev', role: 'pod-editor', verbs, expirationSeconds });
  const cfg = parse(await readFile(kubeconfigFile(), 'utf8')) as { clusters: { name: string }[] };
  const devCfg = join(dir, 'dev.kubeconfig');
  await writeFile(
    devCfg,
    stringify({
      ...cfg,
      users: [{ name: 'dev', user: { token } }],
      contexts: [{ name: 'dev', context: { cluster: cfg.clusters[0]?.name, user: 'dev', namespace: ns } }],
      'current-context': 'dev',
    }),
  );
  return devCfg;
}

/** GETs an exec guard endpoint over HTTPS, trusting `ca`; resolves with the body. */
export function scrape(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

/**
 * The command line of an exec guard process (dist/src/main.js) for the test cluster, as in production:
 * serving certificate files, only the API server (its admission client certificate) may call the hooks,
 * a lease in `ns`. Lease timings and further flags are the caller's.
 */
export function guardProcessArgs(o: {
  certPath: string;
  keyPath: string;
  port: number;
  ttlSeconds: number;
  ns: string;
  dataDir: string;
  lease: string;
}): string[] {
  return [
    '--kubeconfig',
    kubeconfigFile(),
    '--cert-path',
    o.certPath,
    '--key-path',
    o.keyPath,
    '--client-ca',
    admissionClientCaFile(),
    '--host',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--ttl-seconds',
    String(o.ttlSeconds),
    '--namespaces',
    o.ns,
    '--data-dir',
    o.dataDir,
    '--lease-namespace',
    o.ns,
    '--lease-name',
    o.lease,
  ];
}
