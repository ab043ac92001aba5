// Impersonation with the person's identity-provider groups, on the real
// control plane and a real Dex: Kubernetes RBAC is bound to Group "sre" (a
// Dex group) and nothing else; sam (in sre) and dana (not) both hold operator
// in Wheelhouse through SSO group mapping. Through Wheelhouse, sam's scale is
// allowed by Kubernetes; dana's is refused by Kubernetes, naming her; the
// API server's audit log names each person and their IdP group.
import { readFile } from 'node:fs/promises';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dexPasswordLogin, startDex, type DexUser, type RunningDex } from '@wheelhouse/test-cluster/dex';
import { auditLogFile, eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { sreMayScaleWeb } from './support/group-scaler.js';
import { useFastPasswordHashing } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();

const PUBLIC_URL = 'http://hub.test';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/oidc/callback`;
const SAM: DexUser = { email: 'sam@example.com', username: 'sam', password: 'sam-password', groups: ['sre'] };
const DANA: DexUser = {
  email: 'dana@example.com',
  username: 'dana',
  password: 'dana-password',
  groups: ['developers'],
};
const admin = kubeConfig();
const apps = admin.makeApiClient(k8s.AppsV1Api);

const cookieOf = (setCookie: string | string[] | undefined, name: string): string => {
  for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const pair = c.split(';')[0] ?? '';
    if (pair.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  throw new Error(`no ${name} cookie`);
};

describe('impersonation passes the IdP groups: RBAC bound to Group "sre" decides', () => {
  let dex: RunningDex;
  let p: Pipeline;
  let ns = '';

  beforeAll(async () => {
    ns = await testNamespace('idp-groups');
    dex = await startDex({
      users: [SAM, DANA],
      clients: [{ id: 'wheelhouse', secret: 'wheelhouse-secret', redirectURIs: [CALLBACK] }],
    });
    p = await startPipeline({
      capabilities: { basic: true, advanced: false, podExec: false },
      hub: {
        oidc: {
          issuer: dex.issuer,
          clientId: 'wheelhouse',
          clientSecret: 'wheelhouse-secret',
          publicUrl: PUBLIC_URL,
          // Both are operators in Wheelhouse: only Kubernetes' own RBAC tells them apart.
          groupMappings: [
            { group: 'sre', role: 'operator', cluster: '*', namespace: '*' },
            { group: 'developers', role: 'operator', cluster: '*', namespace: '*' },
          ],
        },
      },
      agent: { impersonation: { userPrefix: 'oidc:', groups: [], idpGroups: ['sre', 'developers'] } },
    });
    await sreMayScaleWeb(admin, ns);
    await eventually('the deployment in the hub inventory', async () =>
      Boolean(await p.hub.inventory.get(p.cluster, 'Deployment', ns, 'web')),
    );
  }, 180_000);

  afterAll(async () => {
    await p.stop();
    await dex.stop();
  });

  /** Signs in through Dex's login page; returns the session cookie and its CSRF token. */
  async function signIn(user: DexUser): Promise<{ cookie: string; 'x-csrf-token': string }> {
    const start = await p.hub.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/login' });
    const back = await dexPasswordLogin(String(start.headers.location), { email: user.email, password: user.password });
    const u = new URL(back);
    const res = await p.hub.app.inject({
      method: 'GET',
      url: u.pathname + u.search,
      headers: { cookie: cookieOf(start.headers['set-cookie'], 'wh_oidc') },
    });
    expect(res.statusCode, res.body).toBe(303);
    const cookie = cookieOf(res.headers['set-cookie'], 'wh_session');
    const me = await p.hub.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    return { cookie, 'x-csrf-token': me.json<{ csrfToken: string }>().csrfToken };
  }

  async function scale(user: DexUser, replicas: number): Promise<{ state: string; message: string | null }> {
    const headers = await signIn(user);
    const res = await p.hub.app.inject({
      method: 'POST',
      url: `/api/v1/clusters/${p.cluster}/actions`,
      headers,
      payload: {
        action: 'scale',
        target: { kind: 'Deployment', namespace: ns, name: 'web' },
        params: { replicas },
        reason: `scaled by ${user.username}`,
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json<{ id: string }>().id;
    return eventually(`${user.username}'s scale to finish`, async () => {
      const c = await p.hub.commands.get(id);
      return c && ['succeeded', 'failed', 'rejected', 'expired'].includes(c.state) ? c : undefined;
    });
  }

  it('a person in the IdP group "sre" scales through Wheelhouse: Kubernetes allows oidc:sam@example.com in Group sre', async () => {
    const done = await scale(SAM, 3);
    expect(done.state, done.message ?? '').toBe('succeeded');
    expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas).toBe(3);
    // The cluster's own audit log: the agent made the request, as sam, in group sre.
    const event = await eventually('the scale in the kube-apiserver audit log', async () =>
      (await auditEvents()).find(
        (e) => e.objectRef?.namespace === ns && e.verb === 'patch' && e.responseStatus?.code === 200,
      ),
    );
    expect(event.impersonatedUser).toEqual({
      username: 'oidc:sam@example.com',
      groups: ['sre', 'system:authenticated'],
    });
    expect(event.user.username).toBe('kwok-admin'); // the agent's own identity, which impersonated him
  });

  interface AuditEvent {
    verb: string;
    user: { username: string };
    impersonatedUser?: { username: string; groups?: string[] };
    objectRef?: { namespace?: string; resource?: string; subresource?: string };
    responseStatus?: { code?: number };
  }
  const auditEvents = async (): Promise<AuditEvent[]> =>
    (await readFile(auditLogFile(), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);

  it('a person outside it is refused by Kubernetes, which names her', async () => {
    const done = await scale(DANA, 5);
    expect(done.state).toBe('failed');
    expect(done.message).toMatch(/User "oidc:dana@example.com" cannot (get|patch|update) resource "deployments"/);
    expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas).toBe(3);
    const refused = await eventually('the refusal in the kube-apiserver audit log', async () =>
      (await auditEvents()).find(
        (e) => e.objectRef?.namespace === ns && e.impersonatedUser?.username === 'oidc:dana@example.com',
      ),
    );
    expect(refused.impersonatedUser?.groups).toEqual(['developers', 'system:authenticated']);
    expect(refused.responseStatus?.code).toBe(403);
  });
});
