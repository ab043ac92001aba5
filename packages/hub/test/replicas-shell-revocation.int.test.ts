// A shell relayed by a replica other than the one where access is taken away
// ends too: three hub replicas on one PostgreSQL store, a real agent whose
// link lands on replica A, a person's pod shell opened on replica B (relayed
// through A); an administrator removes the person's operator binding through
// replica C: the shell closes with 4401 and the reason within a few seconds,
// and its record says `revoked` (read from C).
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellPath } from '@wheelhouse/protocol';
import { queryAs } from '@wheelhouse/test-postgres';
import type { TestProcess } from '@wheelhouse/test-cluster/processes';
import { startAgentProcess } from './support/agent-process.js';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { SOCKET_CLOSE_REVOKED } from '../src/http/socket-registry.js';
import { seedCluster, seedUser } from './support/replica-seed.js';
import { startReplicas, type Replicas } from './support/replicas.js';

const CLUSTER = 'revoke';

describe('a shell on another replica ends when access is removed', () => {
  let r: Replicas;
  let agent: TestProcess | undefined;
  let adminToken = '';
  let userToken = '';
  let operatorBinding = '';
  let agentToken = '';
  let ns = '';
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

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
  const get = async (url: string, path: string): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    ns = await testNamespace('replica-revoke');
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'one' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    });
    r = await startReplicas({
      count: 3,
      seed: async (db) => {
        adminToken = (await seedUser(db, 'root', ['account-admin'])).token;
        const oncall = await seedUser(db, 'oncall', ['viewer', 'operator']);
        userToken = oncall.token;
        operatorBinding = oncall.bindings.operator ?? '';
        agentToken = await seedCluster(db, CLUSTER);
      },
    });
    // The first URL is tried first: the link lands on replica 0.
    agent = startAgentProcess({ hubs: r.urls, token: agentToken, tiers: 'basic,podExec' });
    await eventually('the link on replica 0', async () => ((await holder()) === 0 ? true : undefined), {
      timeoutMs: 60_000,
    });
    await eventually(
      'the pod in the inventory (read on replica 1)',
      async () => {
        const res = await get(r.urls[1] ?? '', `/api/v1/clusters/${CLUSTER}/resources?kind=Pod&namespace=${ns}`);
        return res.status === 200 && res.body.includes('"phase":"Running"') ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
  });
  afterAll(async () => {
    await agent?.kill9();
    await r.stop();
  });

  it("removing the person's binding through C ends their shell relayed by B with 4401 and the reason; the record says revoked", async () => {
    const u = new URL(shellPath(CLUSTER, ns, 'one'), r.urls[1]?.replace('http', 'ws'));
    u.searchParams.set('command', 'sh');
    const ws = new WebSocket(u.toString(), { headers: { authorization: `Bearer ${userToken}` } });
    const text: { type: string; [k: string]: unknown }[] = [];
    let out = '';
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (binary) out += data.toString('utf8');
      else text.push(JSON.parse(data.toString('utf8')) as { type: string });
    });
    const closed = new Promise<{ at: number; code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ at: performance.now(), code, reason: reason.toString() })),
    );
    await eventually('opened', () => Promise.resolve(text.find((m) => m.type === 'opened')));
    const sessionId = text.find((m) => m.type === 'opened')?.sessionId as string;
    ws.send(Buffer.from('echo "before-$((40 + 2))"\r'), { binary: true });
    await eventually('the echo back', () => Promise.resolve(out.includes('before-42') || undefined));

    const t0 = performance.now();
    const res = await fetch(`${r.urls[2] ?? ''}/api/v1/bindings/${operatorBinding}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.status).toBe(204);
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 4_000).unref());
    const c = await Promise.race([closed, timeout]);
    expect(c).toMatchObject({ code: SOCKET_CLOSE_REVOKED, reason: 'a role binding was removed' });
    expect((c?.at ?? Infinity) - t0).toBeLessThan(4_000);

    const session = await eventually('the session record on replica 2', async () => {
      const list = await get(r.urls[2] ?? '', `/api/v1/sessions?cluster=${CLUSTER}`);
      const items = (
        JSON.parse(list.body) as { items: { id: string; reason: string | null; endedAt: number | null }[] }
      ).items;
      const s = items.find((i) => i.id === sessionId);
      return s?.endedAt ? s : undefined;
    });
    expect(session.reason).toBe('revoked');
  }, 60_000);
});
