// Demo workloads that make the product worth looking at on a fresh local
// cluster: a Deployment with a few revisions, a crash-looping one, a CronJob,
// a StatefulSet with PVCs, a Deployment protected by a PDB. Idempotent: what
// exists is left alone.
import { recordOf } from '@wheelhouse/protocol';
import * as k8s from '@kubernetes/client-node';

export const DEMO_NAMESPACE = 'demo';

const labels = (app: string): Record<string, string> => ({ app, 'app.kubernetes.io/part-of': 'wheelhouse-demo' });

function deployment(
  name: string,
  image: string,
  replicas: number,
  extra: Partial<k8s.V1PodTemplateSpec['metadata']> = {},
): k8s.V1Deployment {
  return {
    metadata: { name, labels: labels(name) },
    spec: {
      replicas,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels: { ...labels(name), ...(extra.labels ?? {}) },
          ...(extra.annotations ? { annotations: extra.annotations } : {}),
        },
        spec: { containers: [{ name: 'app', image, resources: { requests: { cpu: '50m', memory: '64Mi' } } }] },
      },
    },
  };
}

const ignoreExists = (err: unknown): void => {
  if (recordOf(err).code !== 409) throw err;
};

export async function seedDemo(
  kc: k8s.KubeConfig,
  log: (s: string) => void,
  ns: string = DEMO_NAMESPACE,
): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const policy = kc.makeApiClient(k8s.PolicyV1Api);
  await core
    .createNamespace({ body: { metadata: { name: ns, labels: { 'app.kubernetes.io/part-of': 'wheelhouse-demo' } } } })
    .catch(ignoreExists);

  // A healthy service with three revisions to roll back through.
  const created = await apps
    .createNamespacedDeployment({ namespace: ns, body: deployment('storefront', 'registry.local/storefront:1.0', 3) })
    .then(
      () => true,
      (e: unknown) => (ignoreExists(e), false),
    );
  if (created) {
    for (const version of ['1.1', '1.2']) {
      await new Promise((r) => setTimeout(r, 1500));
      await apps.patchNamespacedDeployment({
        namespace: ns,
        name: 'storefront',
        body: [
          {
            op: 'replace',
            path: '/spec/template/spec/containers/0/image',
            value: `registry.local/storefront:${version}`,
          },
          { op: 'add', path: '/metadata/annotations', value: { 'kubernetes.io/change-cause': `release ${version}` } },
        ],
      });
    }
  }
  // One that crash-loops (the local cluster's crash-loop stage): OOMKilled, restarted after the kubelet's back-off.
  await apps
    .createNamespacedDeployment({
      namespace: ns,
      body: deployment('payments-worker', 'registry.local/payments-worker:2.3', 1, {
        labels: { 'wheelhouse.dev/simulate': 'crashloop' },
        annotations: { 'wheelhouse.dev/exit-code': '137', 'wheelhouse.dev/reason': 'OOMKilled' },
      }),
    })
    .catch(ignoreExists);
  // A service protected by a PodDisruptionBudget (drains must respect it).
  await apps
    .createNamespacedDeployment({ namespace: ns, body: deployment('checkout', 'registry.local/checkout:4.2', 2) })
    .catch(ignoreExists);
  await policy
    .createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: {
        metadata: { name: 'checkout' },
        spec: { minAvailable: 2, selector: { matchLabels: { app: 'checkout' } } },
      },
    })
    .catch(ignoreExists);
  // A StatefulSet with volume claims.
  await apps
    .createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'ledger-db', labels: labels('ledger-db') },
        spec: {
          serviceName: 'ledger-db',
          replicas: 2,
          selector: { matchLabels: { app: 'ledger-db' } },
          template: {
            metadata: { labels: labels('ledger-db') },
            spec: {
              containers: [
                {
                  name: 'db',
                  image: 'registry.local/postgres:16',
                  volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql' }],
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          ],
        },
      },
    })
    .catch(ignoreExists);
  await core
    .createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'storefront', labels: labels('storefront') },
        spec: { selector: { app: 'storefront' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    })
    .catch(ignoreExists);
  // A nightly job.
  await batch
    .createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'nightly-report', labels: labels('nightly-report') },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: {
              template: {
                metadata: { labels: labels('nightly-report') },
                spec: {
                  restartPolicy: 'OnFailure',
                  containers: [{ name: 'report', image: 'registry.local/report:1.0' }],
                },
              },
            },
          },
        },
      },
    })
    .catch(ignoreExists);
  log(
    `demo workloads ready in namespace "${ns}" (storefront, payments-worker, checkout + PDB, ledger-db, nightly-report)`,
  );
}
