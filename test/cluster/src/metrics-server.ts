// metrics-server on the local control plane: kwokctl runs the pinned binary
// (built by build.sh), points the aggregation layer at it (an APIService for
// metrics.k8s.io over an ExternalName Service; kube-apiserver's proxy client
// certificate and client CA are kwokctl's own PKI) and has kwok serve each
// node's /metrics/resource with simulated usage (ClusterResourceUsage below),
// so `kubectl top pods|nodes` and metrics.k8s.io work.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The API registration part of metrics-server's upstream components.yaml (no Deployment: it runs as a process). */
export const METRICS_SERVER_MANIFEST = `apiVersion: v1
kind: Service
metadata:
  name: metrics-server
  namespace: kube-system
  labels:
    k8s-app: metrics-server
spec:
  ports:
  - name: https
    port: 443
    protocol: TCP
    targetPort: https
  selector:
    k8s-app: metrics-server
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.metrics.k8s.io
  labels:
    k8s-app: metrics-server
spec:
  group: metrics.k8s.io
  groupPriorityMinimum: 100
  insecureSkipTLSVerify: true
  service:
    name: metrics-server
    namespace: kube-system
  version: v1beta1
  versionPriority: 100
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels:
    k8s-app: metrics-server
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-view: "true"
rules:
- apiGroups: ["metrics.k8s.io"]
  resources: ["pods", "nodes"]
  verbs: ["get", "list", "watch"]
`;

/**
 * Simulated usage (kwok's ClusterResourceUsage, CEL per container): the
 * annotations kwok.x-k8s.io/usage-cpu and kwok.x-k8s.io/usage-memory when a pod
 * sets them (per container); otherwise 3m CPU and 16Mi memory per container.
 */
export const RESOURCE_USAGE = {
  apiVersion: 'kwok.x-k8s.io/v1alpha1',
  kind: 'ClusterResourceUsage',
  metadata: { name: 'wheelhouse-usage' },
  spec: {
    usages: [
      {
        usage: {
          cpu: {
            expression:
              '"kwok.x-k8s.io/usage-cpu" in pod.metadata.annotations ? Quantity(pod.metadata.annotations["kwok.x-k8s.io/usage-cpu"]) : Quantity("3m")',
          },
          memory: {
            expression:
              '"kwok.x-k8s.io/usage-memory" in pod.metadata.annotations ? Quantity(pod.metadata.annotations["kwok.x-k8s.io/usage-memory"]) : Quantity("16Mi")',
          },
        },
      },
    ],
  },
};

/**
 * kwokctl reads a metrics-server manifest from its cache before fetching or
 * kustomizing it: we put ours there under a name derived from its content, so
 * nothing is downloaded and a changed manifest is a new entry.
 */
export async function ensureMetricsServerManifest(kwokCacheDir: string): Promise<string> {
  const source = `wheelhouse-metrics-server-${createHash('sha256').update(METRICS_SERVER_MANIFEST).digest('hex').slice(0, 16)}`;
  const cached = join(kwokCacheDir, 'manifest', `${createHash('sha256').update(source).digest('hex')}.yaml`);
  await mkdir(dirname(cached), { recursive: true });
  await writeFile(cached, METRICS_SERVER_MANIFEST);
  return source;
}
