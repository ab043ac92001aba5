// The public API over a live pipeline: queries with filters and cursors, the
// live feed a browser subscribes to, and agent token revocation.
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '@wheelhouse/agent';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

describe('public API on a live cluster', () => {
  let p: Pipeline;
  let ns: string;
  let auth: Record<string, string>;
  let token = '';

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the body shape it expects
  const get = async <T>(url: string): Promise<{ status: number; body: T }> => {
    const res = await p.hub.app.inject({ url, headers: auth });
    return { status: res.statusCode, body: res.json<T>() };
  };

  beforeAll(async () => {
    ns = await testNamespace('api');
    for (let i = 0; i < 7; i++)
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: `cm-${i}`, labels: { n: String(i) } } },
      });
    p = await startPipeline();
    const admin = await addUser(p.hub, { bindings: [{ role: 'account-admin' }] });
    token = admin.token;
    auth = bearer(token);
    await p.agent.synced;
  });
  afterAll(() => p.stop());

  it('lists inventory by kind and namespace, page by page', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    await eventually(
      '7 ConfigMaps at the hub',
      async () =>
        (
          await get<{ items: unknown[] }>(
            `/api/v1/clusters/${p.cluster}/resources?kind=ConfigMap&namespace=${ns}&limit=100`,
          )
        ).body.items.length >= 8,
    );
    do {
      const q: string = `/api/v1/clusters/${p.cluster}/resources?kind=ConfigMap&namespace=${ns}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const { body } = await get<{ items: { name: string; kind: string }[]; nextCursor: string | null }>(q);
      names.push(...body.items.map((i) => i.name));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    // kube-root-ca.crt is created in every namespace by the controller manager.
    expect(names).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6', 'kube-root-ca.crt']);
    expect(pages).toBe(3);
    const one = await get<{ items: { name: string; labels: Record<string, string> }[] }>(
      `/api/v1/clusters/${p.cluster}/resources?kind=ConfigMap&namespace=${ns}&name=cm-4`,
    );
    expect(one.body.items).toMatchObject([{ name: 'cm-4', labels: { n: '4' } }]);
  });

  it('filters the timeline by type and time and pages newest first', async () => {
    const since = Date.now() - 60_000;
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'cm-6' });
    const deleted = await eventually('a deleted event', async () => {
      const r = await get<{ items: { type: string; name: string; time: number }[] }>(
        `/api/v1/clusters/${p.cluster}/timeline?namespace=${ns}&type=deleted&from=${since}`,
      );
      return r.body.items.find((e) => e.name === 'cm-6');
    });
    expect(deleted.type).toBe('deleted');
    const none = await get<{ items: unknown[] }>(
      `/api/v1/clusters/${p.cluster}/timeline?namespace=${ns}&type=deleted&to=${since}`,
    );
    expect(none.body.items).toEqual([]);
    const bad = await get<{ error: string; issues: { path: string }[] }>(
      `/api/v1/clusters/${p.cluster}/timeline?type=nonsense`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]?.path).toMatch(/^querystring\.type/);
  });

  it('pushes changes live to a subscribed browser', async () => {
    const url = `${p.url.replace('http', 'ws')}/api/v1/live?cluster=${p.cluster}`;
    const ws = new WebSocket(url, { headers: auth });
    const messages: { type: string; event?: { name: string; type: string }; upserts?: { name: string }[] }[] = [];
    ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as (typeof messages)[number]));
    await eventually('subscribed', () => Promise.resolve(messages.some((m) => m.type === 'subscribed')));
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'live-one' } } });
    await eventually('the new ConfigMap live', () =>
      Promise.resolve(messages.some((m) => m.type === 'inventory' && m.upserts?.some((u) => u.name === 'live-one'))),
    );
    await eventually('its created event live', () =>
      Promise.resolve(
        messages.some((m) => m.type === 'timeline' && m.event?.name === 'live-one' && m.event.type === 'created'),
      ),
    );
    ws.close();
    // Without credentials the upgrade is refused.
    const anon = new WebSocket(url);
    const status = await new Promise<number>((resolve) =>
      anon.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
  });

  it('disconnects an agent at once when its token is revoked, and refuses it afterwards', async () => {
    const created = await p.hub.app.inject({
      method: 'POST',
      url: '/api/v1/clusters',
      payload: { name: `rev-${Date.now().toString(36)}` },
      headers: auth,
    });
    expect(created.statusCode).toBe(201);
    const { cluster, token: agentToken } = created.json<{ cluster: { name: string }; token: string }>();
    let revokedReason = '';
    const agent = await startAgent({
      hubUrl: p.url,
      token: agentToken,
      kubeConfig: kubeConfig(),
      capabilities: { basic: false, advanced: false, podExec: false },
      log: pino({ level: 'silent' }),
      kinds: ['Namespace'],
      onRevoked: (r) => (revokedReason = r),
    });
    try {
      await eventually(
        'agent connected',
        async () => (await get<{ connected: boolean }>(`/api/v1/clusters/${cluster.name}`)).body.connected,
      );
      const t0 = Date.now();
      const revoke = await p.hub.app.inject({
        method: 'POST',
        url: `/api/v1/clusters/${cluster.name}/token/revoke`,
        headers: auth,
      });
      expect(revoke.statusCode).toBe(200);
      await eventually('agent told it is revoked', () => Promise.resolve(revokedReason !== '' ? true : undefined), {
        timeoutMs: 5000,
      });
      expect(Date.now() - t0).toBeLessThan(2000);
      expect((await get<{ connected: boolean }>(`/api/v1/clusters/${cluster.name}`)).body.connected).toBe(false);
      // A reconnect with the old token is refused before the upgrade.
      const again = new WebSocket(`${p.url.replace('http', 'ws')}/api/v1/agent/connect`, {
        headers: { authorization: `Bearer ${agentToken}` },
      });
      const status = await new Promise<number>((resolve) =>
        again.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
      );
      expect(status).toBe(401);
    } finally {
      await agent.stop();
    }
  });
});
