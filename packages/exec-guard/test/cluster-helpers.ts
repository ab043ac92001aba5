// Shared set-up for exec guard's integration tests: pods on kwok nodes, a
// webhook configuration scoped to the test's namespaces, exec through the
// pinned kubectl (so it travels kubectl → API server → admission → exec guard).
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { kubectl } from '@wheelhouse/test-cluster';
import { eventually, kubeConfig } from '@wheelhouse/test-cluster/testing';
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
