// Kubernetes RBAC bound to an identity provider's group, for the impersonation
// tests: Group "sre" may scale Deployments in the namespace (and nobody else
// may), and a Deployment "web" to scale.
import * as k8s from '@kubernetes/client-node';

export async function sreMayScaleWeb(kc: k8s.KubeConfig, ns: string): Promise<void> {
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  await rbac.createNamespacedRole({
    namespace: ns,
    body: {
      metadata: { name: 'scaler' },
      rules: [
        {
          apiGroups: ['apps'],
          resources: ['deployments', 'replicasets'],
          verbs: ['get', 'list', 'watch', 'patch', 'update'],
        },
        { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch', 'update'] },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'sre-scaler' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'scaler' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'sre' }],
    },
  });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'registry.local/web:1' }] },
        },
      },
    },
  });
}
