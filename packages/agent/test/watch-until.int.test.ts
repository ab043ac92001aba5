// watchUntil on the real API server: a change is seen through the watch; an
// identity that may get but not watch still gets its answer (by polling); the
// timeout names what was awaited and what was last seen.
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { impersonatingKubeConfig } from '../src/impersonation.js';
import { kubeRequest } from '../src/kube-http.js';
import type { KubeObject } from '../src/projections.js';
import { watchUntil } from '../src/actions/util.js';

const admin = kubeConfig();
const core = admin.makeApiClient(k8s.CoreV1Api);
const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);

const valueIs =
  (want: string) =>
  (o: KubeObject): { done: string } | { seen: string } => {
    const v = (o.data as Record<string, string> | undefined)?.n ?? '';
    return v === want ? { done: v } : { seen: `n=${v}` };
  };

describe('watchUntil', () => {
  let ns = '';
  const path = (name: string): string => `/api/v1/namespaces/${ns}/configmaps/${name}`;
  const setN = (name: string, n: string): Promise<unknown> =>
    core.patchNamespacedConfigMap(
      { namespace: ns, name, body: { data: { n } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );

  beforeAll(async () => {
    ns = await testNamespace('watch-until');
    for (const name of ['a', 'b', 'c'])
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { n: '1' } } });
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'cm-get' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'getter-cm-get' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-get' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'wheelhouse:getter' }],
      },
    });
  });

  it('answers when the change lands', async () => {
    const waiting = watchUntil(admin, path('a'), 'n to be 2', 30_000, valueIs('2'));
    setTimeout(() => void setN('a', '2'), 300);
    expect(await waiting).toBe('2');
  });

  it('answers at once when the object already shows it', async () => {
    expect(await watchUntil(admin, path('b'), 'n to be 1', 5_000, valueIs('1'))).toBe('1');
  });

  it('still answers for an identity that may get the object but not watch it', async () => {
    const getter = impersonatingKubeConfig(admin, { user: 'wheelhouse:getter', groups: ['wheelhouse:users'] });
    await eventually('the RoleBinding to take effect', async () => {
      const res = await kubeRequest(getter, 'GET', path('c'));
      return res.status === 200 ? true : undefined;
    });
    const waiting = watchUntil(getter, path('c'), 'n to be 2', 30_000, valueIs('2'));
    setTimeout(() => void setN('c', '2'), 300);
    expect(await waiting).toBe('2');
  });

  it('times out naming what it waited for and what it last saw', async () => {
    const err: unknown = await watchUntil(admin, path('b'), 'n to be 9', 1_500, valueIs('9')).catch((e: unknown) => e);
    expect(String(err)).toMatch(/timed out .*n to be 9.*last seen: n=1/);
  });
});
