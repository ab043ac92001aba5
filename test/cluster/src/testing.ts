// Helpers for integration tests against the local control plane. Each test
// file works in namespaces of its own, removed when the file is done.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    kubernetesVersion: string;
    admissionClientCa: string;
  }
}

export function kubeconfigFile(): string {
  return inject('kubeconfig');
}

/** PEM file of the CA that signed the API server's admission client certificate (see admission.ts). */
export function admissionClientCaFile(): string {
  return inject('admissionClientCa');
}

/**
 * The local API server's audit log (JSON lines, policy in audit.ts): beside
 * the cluster's other files, found from its kubeconfig
 * (<kwok>/clusters/<name>/kubeconfig.yaml → <kwok>/data/<name>/audit.log).
 */
export function auditLogFile(): string {
  const clusterDir = dirname(kubeconfigFile());
  return join(dirname(dirname(clusterDir)), 'data', basename(clusterDir), 'audit.log');
}

export function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigFile());
  return kc;
}

const created = new Set<string>();

// Registered when a test file imports this module (each file gets its own copy
// of the module): a hook registered from inside beforeAll — where most tests
// create their namespaces — would never run, and the namespaces (with their
// crash-looping pods) would load the cluster for the rest of the run.
afterAll(async () => {
  if (created.size === 0) return;
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  await Promise.all([...created].map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
  created.clear();
});

/** Creates a fresh namespace now and deletes it after the test file. */
export async function testNamespace(prefix = 'test'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`.slice(0, 63);
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { 'wheelhouse.dev/test': 'true' } } } });
  created.add(name);
  return name;
}

/**
 * A Deployment's rollout is done at `replicas`: the controller has seen the latest spec (right after a
 * patch the status still shows the previous rollout's counts) and reports the new ReplicaSet available.
 */
export function rolledOut(d: k8s.V1Deployment, replicas: number): boolean {
  const s = d.status;
  return (
    s?.observedGeneration === d.metadata?.generation &&
    s?.updatedReplicas === replicas &&
    s.readyReplicas === replicas &&
    s.replicas === replicas &&
    (s.conditions ?? []).some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable')
  );
}

/** Polls until check returns a value that is not undefined/false, or fails with what it waited for. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Serves `server` (HTTPS, its certificate `certPem`) on a free loopback port and sends CONNECT
 * pods/exec in `namespace` to it at /validate; returns what removes the configuration and closes the server.
 */
export async function serveExecWebhook(
  server: Server,
  o: { name: string; certPem: string; namespace: string; failurePolicy: 'Fail' | 'Ignore' },
): Promise<() => Promise<void>> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const admission = kubeConfig().makeApiClient(k8s.AdmissionregistrationV1Api);
  await admission.createValidatingWebhookConfiguration({
    body: {
      metadata: { name: o.name },
      webhooks: [
        {
          name: o.name,
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: o.failurePolicy,
          timeoutSeconds: 5,
          clientConfig: {
            url: `https://127.0.0.1:${port}/validate`,
            caBundle: Buffer.from(o.certPem).toString('base64'),
          },
          rules: [{ operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/exec'] }],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': o.namespace } },
        },
      ],
    },
  });
  return async () => {
    await admission.deleteValidatingWebhookConfiguration({ name: o.name }).catch(() => undefined);
    await new Promise((r) => server.close(r));
  };
}
