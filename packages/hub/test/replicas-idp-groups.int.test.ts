// IdP groups across replicas: three hub processes on one PostgreSQL store, a
// real Dex, a real agent in impersonation mode on the local control plane.
// The agent's link is on replica B; a person signs in through replica A and
// asks for an action through replica C; B sends the command to the agent. The
// kube-apiserver's audit log shows the request impersonating the person with
// their IdP group: every replica reads the groups from the store, none relies
// on having seen the sign-in itself.
import { readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryAs } from '@wheelhouse/test-postgres';
import { CookieJar, dexPasswordLogin, startDex, type DexUser, type RunningDex } from '@wheelhouse/test-cluster/dex';
import type { TestProcess } from '@wheelhouse/test-cluster/processes';
import { startAgentProcess } from './support/agent-process.js';
import { auditLogFile, eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { seedCluster } from './support/replica-seed.js';
import { sreMayScaleWeb } from './support/group-scaler.js';
import { startReplicas, type Replicas } from './support/replicas.js';

const CLUSTER = 'idp-replicas';
const PUBLIC_URL = 'http://hub.test';
const SAM: DexUser = { email: 'sam@example.com', username: 'sam', password: 'sam-password', groups: ['sre'] };
const admin = kubeConfig();
const apps = admin.makeApiClient(k8s.AppsV1Api);

interface AuditEvent {
  verb: string;
  user: { username: string };
  impersonatedUser?: { username: string; groups?: string[] };
  objectRef?: { namespace?: string; resource?: string };
  responseStatus?: { code?: number };
}

describe('IdP groups are read from the store on every replica', () => {
  let dex: RunningDex;
  let r: Replicas;
  let agent: TestProcess | undefined;
  let agentToken = '';
  let ns = '';
  const dir = mkdtempSync(join(tmpdir(), 'wh-idp-replicas-'));
  const [A, B, C] = [0, 1, 2];
  const url = (i: number): string => r.urls[i] ?? '';

  const holder = async (): Promise<number | undefined> => {
    const rows = await queryAs<{ peer_url: string }>(
      r.pg,
      r.database,
      `SELECT hub_replicas.peer_url FROM agent_links JOIN hub_replicas ON hub_replicas.id = agent_links.replica_id
       WHERE agent_links.cluster_id = $1`,
      [CLUSTER],
    );
    const i = r.urls.indexOf(rows[0]?.peer_url ?? '');
    return i >= 0 ? i : undefined;
  };

  beforeAll(async () => {
    ns = await testNamespace('idp-replicas');
    dex = await startDex({
      users: [SAM],
      clients: [
        { id: 'wheelhouse', secret: 'wheelhouse-secret', redirectURIs: [`${PUBLIC_URL}/api/v1/auth/oidc/callback`] },
      ],
    });
    writeFileSync(join(dir, 'client-secret'), 'wheelhouse-secret\n');
    writeFileSync(join(dir, 'mappings.json'), JSON.stringify([{ group: 'sre', role: 'operator' }]));
    r = await startReplicas({
      count: 3,
      args: [
        '--oidc-issuer',
        dex.issuer,
        '--oidc-client-id',
        'wheelhouse',
        '--oidc-client-secret-file',
        join(dir, 'client-secret'),
        '--oidc-group-mappings',
        join(dir, 'mappings.json'),
        '--public-url',
        PUBLIC_URL,
      ],
      seed: async (db) => {
        agentToken = await seedCluster(db, CLUSTER);
      },
    });
    // Kubernetes lets Group "sre" scale in the namespace, and nobody else.
    await sreMayScaleWeb(admin, ns);
    // The agent tries B first: its link lands there (not on A, where sam signs in, nor C, where she acts).
    agent = startAgentProcess({
      hubs: [url(B), url(A), url(C)],
      token: agentToken,
      tiers: 'basic',
      args: [
        '--impersonate',
        '--impersonate-user-prefix',
        'oidc:',
        '--impersonate-groups',
        '',
        '--impersonate-idp-groups',
        'sre',
      ],
    });
    await eventually('the link on replica B', async () => ((await holder()) === B ? true : undefined), {
      timeoutMs: 60_000,
    });
  }, 600_000);

  afterAll(async () => {
    await agent?.stop();
    await r.stop();
    await dex.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Signs in through Dex on replica i; the session cookie (a name=value pair). */
  async function signInVia(i: number, user: DexUser): Promise<string> {
    const jar = new CookieJar();
    const start = await fetch(`${url(i)}/api/v1/auth/oidc/login`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    jar.store(start);
    const back = new URL(
      await dexPasswordLogin(start.headers.get('location') ?? '', { email: user.email, password: user.password }),
    );
    const cb = await fetch(`${url(i)}${back.pathname}${back.search}`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    });
    expect(cb.status, await cb.clone().text()).toBe(303);
    jar.store(cb);
    const cookie = jar
      .header()
      .split('; ')
      .find((c) => c.startsWith('wh_session='));
    if (!cookie) throw new Error('no session cookie');
    return cookie;
  }

  it('signed in via A, acting via C, the link on B: Kubernetes sees the person with their IdP group', async () => {
    const cookie = await signInVia(A, SAM);
    const me = await fetch(`${url(C)}/api/v1/me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    const { csrfToken } = (await me.json()) as { csrfToken: string };
    const res = await fetch(`${url(C)}/api/v1/clusters/${CLUSTER}/actions`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({
        action: 'scale',
        target: { kind: 'Deployment', namespace: ns, name: 'web' },
        params: { replicas: 3 },
        reason: 'replicas and IdP groups',
      }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const done = await eventually('the scale to finish', async () => {
      const c = await fetch(`${url(A)}/api/v1/actions/${id}`, { headers: { cookie } });
      const body = (await c.json()) as { state: string; message: string | null };
      return ['succeeded', 'failed', 'rejected', 'expired'].includes(body.state) ? body : undefined;
    });
    expect(done.state, done.message ?? '').toBe('succeeded');
    expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas).toBe(3);
    const event = await eventually('the scale in the kube-apiserver audit log', async () =>
      (await readFile(auditLogFile(), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditEvent)
        .find((e) => e.objectRef?.namespace === ns && e.verb === 'patch' && e.responseStatus?.code === 200),
    );
    expect(event.impersonatedUser).toEqual({
      username: 'oidc:sam@example.com',
      groups: ['sre', 'system:authenticated'],
    });
  }, 120_000);
});
