// Three hub replicas (real processes) on one PostgreSQL store, a real agent
// process whose link lands on replica A, clients on replica B:
//   - a live object read, a log stream and a pod shell asked of B work end to
//     end (B → tunnel → A → agent → Kubernetes and back);
//   - kill -9 of A (the replica relaying the shell) in the middle of it: the
//     client is told (error message, then `closed` with reason agent-lost);
//     the session's record and its recording up to then are read from C;
//   - the agent flapping between replicas (their holders killed in turn)
//     leaves one link row naming a live replica and no duplicate inventory.
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsPath, shellPath, type LogsServerMessage } from '@wheelhouse/protocol';
import { queryAs } from '@wheelhouse/test-postgres';
import type { TestProcess } from '@wheelhouse/test-cluster/processes';
import { startAgentProcess } from './support/agent-process.js';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { seedAdminAndCluster } from './support/replica-seed.js';
import { startReplicas, type Replicas } from './support/replicas.js';

const CLUSTER = 'streams';

interface Control {
  type: string;
  [k: string]: unknown;
}

/** Opens a WebSocket with the token; resolves once open, with its text and binary messages collected. */
function connect(url: string, token: string): Promise<{ ws: WebSocket; text: Control[]; bytes: () => string }> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const text: Control[] = [];
  let out = Buffer.alloc(0);
  ws.on('message', (data: Buffer, binary: boolean) => {
    if (binary) out = Buffer.concat([out, data]);
    else text.push(JSON.parse(data.toString('utf8')) as Control);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, text, bytes: () => out.toString('utf8') }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode ?? 0}`)));
    ws.once('error', reject);
  });
}

describe('streams asked of a replica without the agent link', () => {
  let r: Replicas;
  let agent: TestProcess | undefined;
  let token = '';
  let agentToken = '';
  let ns = '';
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

  const sql = <R extends Record<string, unknown>>(q: string, params?: unknown[]): Promise<R[]> =>
    queryAs<R>(r.pg, r.database, q, params);
  const holder = async (): Promise<number | undefined> => {
    const rows = await sql<{ peer_url: string }>(
      `SELECT hub_replicas.peer_url FROM agent_links JOIN hub_replicas ON hub_replicas.id = agent_links.replica_id
       WHERE agent_links.cluster_id = $1`,
      [CLUSTER],
    );
    const i = r.urls.indexOf(rows[0]?.peer_url ?? '');
    return i >= 0 ? i : undefined;
  };
  const get = async (url: string, path: string): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    ns = await testNamespace('replica-streams');
    for (const name of ['one', 'two'])
      await core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
      });
    r = await startReplicas({
      count: 3,
      seed: async (db) => {
        ({ token, agentToken } = await seedAdminAndCluster(db, 'oncall', CLUSTER));
      },
    });
    // The first URL is tried first: the link lands on replica 0.
    agent = startAgentProcess({ hubs: r.urls, token: agentToken, tiers: 'basic,podExec' });
    await eventually('the link on replica 0', async () => ((await holder()) === 0 ? true : undefined), {
      timeoutMs: 60_000,
    });
    await eventually(
      'pods in the inventory (read on replica 1)',
      async () => {
        const res = await get(r.urls[1] ?? '', `/api/v1/clusters/${CLUSTER}/resources?kind=Pod&namespace=${ns}`);
        return res.status === 200 && (res.body.match(/"phase":"Running"/g) ?? []).length === 2 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
  });
  afterAll(async () => {
    await agent?.kill9();
    await r.stop();
  });

  it('a live object read on replica 1 is answered through replica 0', async () => {
    const res = await get(r.urls[1] ?? '', `/api/v1/clusters/${CLUSTER}/objects?kind=Pod&namespace=${ns}&name=one`);
    expect(res.status, res.body).toBe(200);
    expect(res.body).toContain('name: one');
  });

  it('a log stream on replica 1 is relayed through replica 0', async () => {
    const u = new URL(logsPath(CLUSTER, ns, 'one'), r.urls[1]?.replace('http', 'ws'));
    u.searchParams.set('tailLines', '2');
    const c = await connect(u.toString(), token);
    const end = await eventually('the end of the log', () =>
      Promise.resolve(c.text.find((m) => m.type === 'end') as Extract<LogsServerMessage, { type: 'end' }> | undefined),
    );
    expect(end.reason).toBe('eof');
    const lines = c.text
      .filter((m) => m.type === 'data')
      .map((m) => m.text as string)
      .join('')
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(2);
  });

  it('a shell on replica 1 relayed through replica 0; kill -9 of replica 0 mid-session: told, record and recording survive', async () => {
    const u = new URL(shellPath(CLUSTER, ns, 'one'), r.urls[1]?.replace('http', 'ws'));
    u.searchParams.set('command', 'sh');
    const c = await connect(u.toString(), token);
    await eventually('opened', () => Promise.resolve(c.text.find((m) => m.type === 'opened')));
    const sessionId = c.text.find((m) => m.type === 'opened')?.sessionId as string;
    c.ws.send(Buffer.from('echo "before-$((40 + 2))"\r'), { binary: true });
    await eventually('the echo back', () => Promise.resolve(c.bytes().includes('before-42') || undefined));
    // The recording flushes within a second; then the relaying replica dies.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const closed = new Promise<number>((resolve) => c.ws.on('close', (code) => resolve(code)));
    await r.kill(0);
    const end = await eventually('closed', () => Promise.resolve(c.text.find((m) => m.type === 'closed')));
    expect(end).toMatchObject({ type: 'closed', reason: 'agent-lost' });
    const error = c.text.find((m) => m.type === 'error');
    expect(String(error?.message)).toMatch(/lost the agent of cluster "streams"/);
    await closed;

    // From replica 2: the session's record (ended, agent-lost) and its recording up to the kill.
    const session = await eventually('the session record on replica 2', async () => {
      const res = await get(r.urls[2] ?? '', `/api/v1/sessions?cluster=${CLUSTER}`);
      const items = (JSON.parse(res.body) as { items: { id: string; reason: string | null; endedAt: number | null }[] })
        .items;
      const s = items.find((i) => i.id === sessionId);
      return s?.endedAt ? s : undefined;
    });
    expect(session.reason).toBe('agent-lost');
    const rec = await get(r.urls[2] ?? '', `/api/v1/sessions/${sessionId}/recording`);
    expect(rec.status).toBe(200);
    expect(rec.body).toContain('before-42');
  });

  it('an agent flapping between replicas leaves one link on a live replica and no duplicate inventory', async () => {
    // Replica 0 is dead (above): the agent moved on. Kill whichever holds it next, twice, restarting the dead.
    await r.restart(0);
    for (let round = 0; round < 2; round++) {
      const from = await eventually('a holder', holder, { timeoutMs: 60_000 });
      await r.kill(from);
      await eventually(
        'the agent on another replica',
        async () => {
          const h = await holder();
          return h !== undefined && h !== from ? h : undefined;
        },
        { timeoutMs: 60_000 },
      );
      await r.restart(from);
    }
    const final = await eventually('a holder', holder);
    // The store's side: one link row, naming a replica with a fresh heartbeat; the cluster connected.
    const links = await sql<{ replica_id: string; fresh: boolean }>(
      `SELECT agent_links.replica_id, hub_replicas.heartbeat_at > $2 AS fresh
       FROM agent_links JOIN hub_replicas ON hub_replicas.id = agent_links.replica_id WHERE agent_links.cluster_id = $1`,
      [CLUSTER, Date.now() - 5000],
    );
    expect(links).toEqual([{ replica_id: expect.any(String) as unknown, fresh: true }]);
    expect(await sql('SELECT 1 FROM agent_links')).toHaveLength(1);
    const cluster = await get(r.urls[final] ?? '', `/api/v1/clusters/${CLUSTER}`);
    expect(JSON.parse(cluster.body)).toMatchObject({ connected: true });
    // No duplicate inventory: one row per object, and as many pods as Kubernetes has in the namespace.
    const dupes = await sql(
      'SELECT kind, uid, count(*) FROM resources GROUP BY cluster_id, kind, uid HAVING count(*) > 1',
    );
    expect(dupes).toEqual([]);
    const pods = await sql<{ n: string }>(
      "SELECT count(*) AS n FROM resources WHERE cluster_id = $1 AND kind = 'Pod' AND namespace = $2",
      [CLUSTER, ns],
    );
    expect(Number(pods[0]?.n)).toBe((await core.listNamespacedPod({ namespace: ns })).items.length);
  }, 300_000);
});
