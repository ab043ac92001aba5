// The agent as the agent chart deploys it: its ServiceAccount and exactly the
// RBAC the chart renders (podExec on, impersonation off), applied to the real
// API server, and a KubeConfig with that ServiceAccount's token. Shared by the
// hub's and the console's exec-guard-names-the-person tests (issue #20 item 6).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { binaryPaths, kubectl } from '@wheelhouse/test-cluster';
import { kubeConfig } from '@wheelhouse/test-cluster/testing';

const run = promisify(execFile);
const CHART = fileURLToPath(new URL('../../../../deploy/helm/wheelhouse-agent', import.meta.url));

/** A KubeConfig for the test cluster's API server with a ServiceAccount's token. */
export async function tokenConfig(namespace: string, name: string): Promise<k8s.KubeConfig> {
  const admin = kubeConfig();
  const t = await admin.makeApiClient(k8s.CoreV1Api).createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster();
  if (!cluster || !t.status?.token) throw new Error('no cluster or token');
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name, token: t.status.token }],
    contexts: [{ name, cluster: cluster.name, user: name }],
    currentContext: name,
  });
  return kc;
}

export interface AgentChartIdentity {
  /** The ServiceAccount's name in `namespace`. */
  serviceAccount: string;
  /** Its Kubernetes user name, system:serviceaccount:<ns>:<sa>. */
  user: string;
  kubeConfig: k8s.KubeConfig;
  /** The ClusterRoles/ClusterRoleBindings the chart rendered (kind, name). */
  clusterScoped: { kind: string; name: string }[];
  /** Deletes the cluster-scoped objects (the namespaced ones go with the test namespace). */
  remove(): Promise<void>;
}

/** `helm template`s the agent chart as `release` in `namespace` and applies everything but the Deployment. */
export async function applyAgentChartIdentity(release: string, namespace: string): Promise<AgentChartIdentity> {
  const { helm } = await binaryPaths();
  const { stdout } = await run(helm, [
    'template',
    release,
    CHART,
    '--namespace',
    namespace,
    ...['--set', 'hub.url=https://hub.example', '--set', 'hub.token=x'],
    ...['--set', 'actions.basic=true', '--set', 'actions.podExec=true'],
  ]);
  const docs = parseAllDocuments(stdout)
    .map((d) => d.toJS() as { kind: string; metadata: { name: string } } | null)
    .filter((d): d is { kind: string; metadata: { name: string } } => d !== null && d.kind !== 'Deployment');
  const kinds = new Set(docs.map((d) => d.kind));
  for (const k of ['Role', 'RoleBinding', 'ServiceAccount'])
    if (!kinds.has(k)) throw new Error(`the agent chart rendered no ${k}`);
  const clusterScoped = docs
    .filter((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding')
    .map((d) => ({ kind: d.kind, name: d.metadata.name }));
  const dir = mkdtempSync(join(tmpdir(), 'wh-agent-rbac-'));
  try {
    const file = join(dir, 'rbac.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }));
    await kubectl(['apply', '-n', namespace, '-f', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const serviceAccount = `${release}-wheelhouse-agent`;
  const rbac = kubeConfig().makeApiClient(k8s.RbacAuthorizationV1Api);
  return {
    serviceAccount,
    user: `system:serviceaccount:${namespace}:${serviceAccount}`,
    kubeConfig: await tokenConfig(namespace, serviceAccount),
    clusterScoped,
    async remove() {
      for (const o of clusterScoped) {
        if (o.kind === 'ClusterRole') await rbac.deleteClusterRole({ name: o.name }).catch(() => undefined);
        else await rbac.deleteClusterRoleBinding({ name: o.name }).catch(() => undefined);
      }
    },
  };
}
