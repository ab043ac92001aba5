// Impersonation on the real API server: RBAC granted to the mapped user
// applies (allowed in one namespace, 403 in another), through the typed
// requests (kubeRequest) and watches (kubeWatch), and the API server sees the mapped user.
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { DEFAULT_IMPERSONATION, impersonatingKubeConfig, kubeIdentityFor } from '../src/impersonation.js';
import { kubeRequest, kubeWatch } from '../src/kube-http.js';

const admin = kubeConfig();
const core = admin.makeApiClient(k8s.CoreV1Api);
const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);

describe('kubeIdentityFor', () => {
  it('maps a Wheelhouse user to wheelhouse:<name> in wheelhouse:users, or with a configured prefix and groups', () => {
    expect(kubeIdentityFor('alice')).toEqual({ user: 'wheelhouse:alice', groups: ['wheelhouse:users'] });
    expect(kubeIdentityFor('bob', { userPrefix: 'oidc:', groups: ['oncall', 'sre'] })).toEqual({
      user: 'oidc:bob',
      groups: ['oncall', 'sre'],
    });
    expect(DEFAULT_IMPERSONATION.userPrefix).toBe('wheelhouse:');
  });

  it("adds the person's IdP groups the mapping allows, never a system: group", () => {
    const mapping = { userPrefix: 'oidc:', groups: ['wheelhouse:users'], idpGroups: ['sre', 'system:masters'] };
    expect(kubeIdentityFor('sam', mapping, ['sre', 'developers', 'system:masters', 'wheelhouse:users'])).toEqual({
      user: 'oidc:sam',
      groups: ['wheelhouse:users', 'sre'],
    });
    // No allow-list: no IdP group is passed on.
    expect(kubeIdentityFor('sam', DEFAULT_IMPERSONATION, ['sre']).groups).toEqual(['wheelhouse:users']);
  });

  it('refuses an empty or system identity', () => {
    expect(() => kubeIdentityFor('')).toThrow(/cannot impersonate/);
    expect(() => kubeIdentityFor('system:admin', { userPrefix: '', groups: [] })).toThrow(/cannot impersonate/);
  });
});

describe('impersonatingKubeConfig on the local cluster', () => {
  let allowed = '';
  let other = '';
  const alice = impersonatingKubeConfig(
    admin,
    kubeIdentityFor('alice', { userPrefix: 'wheelhouse:', groups: ['wheelhouse:users', 'wheelhouse:oncall'] }),
  );

  beforeAll(async () => {
    allowed = await testNamespace('imp-ok');
    other = await testNamespace('imp-no');
    for (const namespace of [allowed, other])
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'cm' }, data: { a: '1' } } });
    // Namespaced Role and RoleBinding: removed with the namespace.
    await rbac.createNamespacedRole({
      namespace: allowed,
      body: {
        metadata: { name: 'cm-editor' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: allowed,
      body: {
        metadata: { name: 'alice-cm-editor' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-editor' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'wheelhouse:alice' }],
      },
    });
  });

  it('kubeRequest: the mapped user may patch where RBAC allows it and gets 403 elsewhere', async () => {
    const path = (ns: string) => `/api/v1/namespaces/${ns}/configmaps/cm`;
    const ok = await eventually('the RoleBinding to take effect', async () => {
      const r = await kubeRequest<{ data?: Record<string, string> }>(
        alice,
        'PATCH',
        path(allowed),
        { data: { via: 'kubeRequest' } },
        'application/merge-patch+json',
      );
      return r.status === 200 ? r : undefined;
    });
    expect(ok.body.data?.via).toBe('kubeRequest');
    const denied = await kubeRequest<{ message: string }>(
      alice,
      'PATCH',
      path(other),
      { data: { via: 'kubeRequest' } },
      'application/merge-patch+json',
    );
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('User "wheelhouse:alice"');
  });

  it('the API server sees wheelhouse:alice with every mapped group (SelfSubjectReview)', async () => {
    const raw = await kubeRequest<{ status: { userInfo: { username: string; groups: string[] } } }>(
      alice,
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
      },
    );
    expect(raw.status).toBe(201);
    expect(raw.body.status.userInfo.username).toBe('wheelhouse:alice');
    expect(raw.body.status.userInfo.groups).toEqual(expect.arrayContaining(['wheelhouse:users', 'wheelhouse:oncall']));
    // The base config is untouched: the admin is still the admin.
    const self = await admin.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    expect(self.status?.userInfo?.username).toBe('kwok-admin');
  });

  it('watches carry the identity too: the API server answers a watch as alice, allowed in her namespace only', async () => {
    const watchAs = (ns: string) =>
      new Promise<unknown>((resolve) => {
        const events: string[] = [];
        void kubeWatch(
          alice,
          `/api/v1/namespaces/${ns}/configmaps`,
          { timeoutSeconds: 1 },
          (phase) => events.push(phase),
          (err: unknown) => resolve(err ?? events),
        ).catch((err: unknown) => resolve(err));
      });
    expect(await watchAs(allowed)).toContain('ADDED');
    const denied = await watchAs(other);
    expect((denied as { statusCode?: number }).statusCode).toBe(403);
    expect(String(denied)).toContain('User "wheelhouse:alice"');
  });
});
