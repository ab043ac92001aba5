// The agent's permission self-check against the real API server's RBAC: a
// ServiceAccount given all, then only part, of the rules the catalog needs.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionList, type ActionDeclaration } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { agentPermissions, describePermission, rulesOf, type Permission } from '@wheelhouse/protocol/rbac';
import { checkActionPermissions } from '../src/permissions.js';

const ALL = { basic: true, advanced: true, podExec: true };
const admin = kubeConfig();
const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
const core = admin.makeApiClient(k8s.CoreV1Api);

async function serviceAccountKubeConfig(namespace: string, name: string): Promise<k8s.KubeConfig> {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const tr = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...admin.getCurrentCluster(), name: 'local' } as k8s.Cluster],
    users: [{ name, token: tr.status?.token ?? '' }],
    contexts: [{ name, cluster: 'local', user: name }],
    currentContext: name,
  });
  return kc;
}

describe('checkActionPermissions', () => {
  const roleName = `wh-selfcheck-${randomBytes(4).toString('hex')}`;
  let ns = '';
  let agentKc: k8s.KubeConfig;

  const grant = async (perms: Permission[]): Promise<void> => {
    const body: k8s.V1ClusterRole = { metadata: { name: roleName }, rules: rulesOf(perms) };
    await rbac.replaceClusterRole({ name: roleName, body });
  };

  beforeAll(async () => {
    ns = await testNamespace('selfcheck');
    agentKc = await serviceAccountKubeConfig(ns, 'agent');
    await rbac.createClusterRole({ body: { metadata: { name: roleName }, rules: [] } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: roleName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
        subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: ns }],
      },
    });
  });

  afterAll(async () => {
    await rbac.deleteClusterRoleBinding({ name: roleName }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: roleName }).catch(() => undefined);
  });

  it('reports nothing missing when the agent has every rule its tiers need', async () => {
    await grant(agentPermissions(ALL));
    const missing = await eventually('RBAC to allow every declared permission', async () => {
      const m = await checkActionPermissions(agentKc, ALL);
      return Object.keys(m).length === 0 ? m : undefined;
    });
    expect(missing).toEqual({});
  });

  it('names exactly the missing permissions, per action, when some rules are absent', async () => {
    const all = agentPermissions(ALL);
    // Take away one permission of each tier that several actions share or one alone needs.
    const removed = new Set(['patch nodes', 'create pods/eviction', 'patch apps/deployments/scale']);
    expect(all.map(describePermission)).toEqual(expect.arrayContaining([...removed]));
    await grant(all.filter((p) => !removed.has(describePermission(p))));
    const expected: Record<string, string[]> = {};
    for (const a of actionList()) {
      const lacking = [
        ...new Set(
          a.permissions.flatMap((p) =>
            p.verbs.map((verb) => describePermission({ apiGroup: p.apiGroup, resource: p.resource, verb })),
          ),
        ),
      ]
        .filter((p) => removed.has(p))
        .sort();
      if (lacking.length) expected[a.id] = lacking;
    }
    expect(expected.drain).toEqual(['create pods/eviction', 'patch nodes']);
    expect(expected.scale).toEqual(['patch apps/deployments/scale']);
    const missing = await eventually('RBAC to drop the removed rules', async () => {
      const m = await checkActionPermissions(agentKc, ALL);
      return JSON.stringify(m) === JSON.stringify(expected) ? m : undefined;
    });
    expect(missing).toEqual(expected);
    // Tiers that are off are not checked at all.
    const basicOnly = await checkActionPermissions(agentKc, { basic: true, advanced: false, podExec: false });
    expect(basicOnly).toEqual({ scale: ['patch apps/deployments/scale'] });
  });

  it('reads subresources and groups from the declaration, for actions outside the catalog too', async () => {
    const probe = (
      id: string,
      tier: ActionDeclaration['tier'],
      permissions: ActionDeclaration['permissions'],
    ): ActionDeclaration => ({
      id,
      title: id,
      description: '',
      tier,
      targetKinds: ['Deployment'],
      params: actionList()[0]?.params ?? (undefined as never),
      permissions,
    });
    const actions = [
      probe('widgets', 'basic', [{ apiGroup: 'example.com', resource: 'widgets/status', verbs: ['update', 'patch'] }]),
      probe('read-secrets', 'advanced', [{ apiGroup: '', resource: 'secrets', verbs: ['get'] }]),
      probe('granted', 'basic', [{ apiGroup: 'apps', resource: 'deployments', verbs: ['patch'] }]),
    ];
    expect(await checkActionPermissions(agentKc, ALL, actions)).toEqual({
      widgets: ['patch example.com/widgets/status', 'update example.com/widgets/status'],
      'read-secrets': ['get secrets'],
    });
  });
});
