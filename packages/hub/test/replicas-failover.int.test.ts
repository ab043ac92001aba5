// Three hub replicas (real processes) on one PostgreSQL store and a real agent
// process given all three URLs. 200 commands are queued through the two
// replicas that do NOT hold the agent link, and the holder is killed with
// SIGKILL while they are in flight: the agent reconnects to a survivor, every
// command reaches a terminal state exactly once, and Kubernetes shows each
// applied exactly once — counted from Kubernetes' side (one Job per
// trigger-job command, each command id recorded once on its ConfigMap) and
// from the store's (one terminal transition, one requested and one terminal
// audit record per command); `wheelhouse audit --verify` passes.
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { queryAs } from '@wheelhouse/test-postgres';
import { WHEELHOUSE_CLI, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { startAgentProcess } from './support/agent-process.js';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAdminAndCluster } from './support/replica-seed.js';
import { startReplicas, type Replicas } from './support/replicas.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const batch = kc.makeApiClient(k8s.BatchV1Api);
const run = promisify(execFile);

const TERMINAL = ['succeeded', 'failed', 'rejected', 'expired'];
const N = 200;
const CLUSTER = 'failover';
/** Every tenth command re-runs a Job: a second apply would leave a second Job behind. */
const isTrigger = (i: number): boolean => i % 10 === 0;
const SOURCES = ['src-0', 'src-1', 'src-2', 'src-3'];

interface Sent {
  id: string;
  i: number;
  kind: 'annotate' | 'trigger';
  cm: string;
  key: string;
}

describe('replica holding the agent link killed with 200 commands queued through the others', () => {
  let r: Replicas;
  let agent: TestProcess | undefined;
  let token = '';
  let agentToken = '';
  let ns = '';

  const api = async (
    url: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const sql = <R extends Record<string, unknown>>(q: string, params?: unknown[]): Promise<R[]> =>
    queryAs<R>(r.pg, r.database, q, params);
  /** The replica index whose id the store names as the link's holder. */
  const holder = async (): Promise<number | undefined> => {
    const rows = await sql<{ peer_url: string }>(
      `SELECT hub_replicas.peer_url FROM agent_links JOIN hub_replicas ON hub_replicas.id = agent_links.replica_id
       WHERE agent_links.cluster_id = $1`,
      [CLUSTER],
    );
    const i = r.urls.indexOf(rows[0]?.peer_url ?? '');
    return i >= 0 ? i : undefined;
  };

  beforeAll(async () => {
    ns = await testNamespace('replicas');
    for (let i = 0; i < 10; i++)
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `cm-${i}` } } });
    for (const name of SOURCES)
      await batch.createNamespacedJob({
        namespace: ns,
        body: {
          metadata: { name },
          spec: {
            suspend: true,
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'run', image: 'registry.local/job:1' }] },
            },
          },
        },
      });
    r = await startReplicas({
      count: 3,
      seed: async (db) => {
        ({ token, agentToken } = await seedAdminAndCluster(db, 'operator', CLUSTER));
      },
    });
    agent = startAgentProcess({ hubs: r.urls, token: agentToken, tiers: 'basic,advanced' });
    // Every replica sees the cluster connected (its link is on one of them).
    for (const url of r.urls)
      await eventually(
        'agent connected',
        async () => ((await api(url, 'GET', `/api/v1/clusters/${CLUSTER}`)).json.connected === true ? true : undefined),
        { timeoutMs: 60_000 },
      );
  });

  afterAll(async () => {
    await agent?.kill9();
    await r.stop();
  });

  it('every command reaches a terminal state once, each applied once, the agent moves to a survivor', async () => {
    const first = await eventually('a holder of the link in the store', holder);
    const others = r.urls.filter((_, i) => i !== first);
    const sent: Sent[] = [];
    // Ten at a time, alternating between the two replicas without the link.
    for (let i = 0; i < N; i += 10) {
      const batchOf = await Promise.all(
        Array.from({ length: 10 }, async (_, j): Promise<Sent> => {
          const n = i + j;
          const cm = `cm-${n % 10}`;
          const key = `example.com/k${n}`;
          const trigger = isTrigger(n);
          const res = await api(others[n % 2] ?? '', 'POST', `/api/v1/clusters/${CLUSTER}/actions`, {
            ...(trigger
              ? {
                  action: 'trigger-job',
                  target: { kind: 'Job', namespace: ns, name: SOURCES[(n / 10) % SOURCES.length] },
                  params: {},
                }
              : {
                  action: 'annotate',
                  target: { kind: 'ConfigMap', namespace: ns, name: cm },
                  params: { key, value: `v${n}` },
                }),
            reason: 'replica failover test',
          });
          expect(res.status, JSON.stringify(res.json)).toBe(202);
          return { id: res.json.id as string, i: n, kind: trigger ? 'trigger' : 'annotate', cm, key };
        }),
      );
      sent.push(...batchOf);
      // Kill the holder once the agent, woken through it, is working on commands queued elsewhere.
      if (i === 50) {
        await eventually(
          'commands dispatched by the holder',
          async () =>
            Number(
              (
                await sql<{ n: string }>("SELECT count(*) AS n FROM commands WHERE state IN ('dispatched','running')")
              )[0]?.n,
            ) > 0 || undefined,
          { timeoutMs: 30_000, intervalMs: 10 },
        );
        await r.kill(first);
      }
    }

    // The agent reconnected to a survivor, which the store names as the holder.
    const second = await eventually('a new holder', async () => {
      const h = await holder();
      return h !== undefined && h !== first ? h : undefined;
    });
    expect(second).not.toBe(first);
    const survivor = r.urls[second] ?? '';

    const final = await eventually(
      'all 200 commands terminal',
      async () => {
        const rows = await sql<{ state: string }>(
          `SELECT state FROM commands WHERE state IN ('pending','dispatched','running')`,
        );
        return rows.length === 0 ? true : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1000 },
    )
      .then(() => Promise.all(sent.map(async ({ id }) => (await api(survivor, 'GET', `/api/v1/actions/${id}`)).json)))
      .catch(async (err: unknown) => {
        const open = await sql(`SELECT id, action, state, message FROM commands WHERE state NOT IN ('succeeded')`);
        throw new Error(
          `${(err as Error).message}; not succeeded: ${JSON.stringify(open.slice(0, 5))} (${open.length})\nagent:\n${agent?.output().slice(-3000) ?? ''}`,
        );
      });
    expect(final).toHaveLength(N);
    for (const s of final) {
      expect(s.state, `${String(s.id)}: ${String(s.message)}`).toBe('succeeded');
      const transitions = s.transitions as { state: string }[];
      expect(transitions.filter((t) => TERMINAL.includes(t.state))).toHaveLength(1);
    }

    // Kubernetes' side: each key has its command's value, each id recorded once; one Job per trigger command.
    for (let c = 0; c < 10; c++) {
      const cm = await core.readNamespacedConfigMap({ namespace: ns, name: `cm-${c}` });
      const annotations = cm.metadata?.annotations ?? {};
      const recorded = (annotations['wheelhouse.dev/commands'] ?? '').split(',');
      for (const x of sent.filter((s) => s.kind === 'annotate' && s.cm === `cm-${c}`)) {
        expect(recorded.filter((id) => id === x.id)).toHaveLength(1);
        expect(annotations[x.key], x.key).toBe(`v${x.i}`);
      }
    }
    const triggers = sent.filter((s) => s.kind === 'trigger');
    const jobs = (await batch.listNamespacedJob({ namespace: ns, labelSelector: 'wheelhouse.dev/triggered-from' }))
      .items;
    const byCommand = new Map<string, number>();
    for (const j of jobs) {
      const id = j.metadata?.annotations?.['wheelhouse.dev/commands'] ?? '';
      byCommand.set(id, (byCommand.get(id) ?? 0) + 1);
    }
    expect(jobs).toHaveLength(triggers.length);
    for (const t of triggers) expect(byCommand.get(t.id) ?? 0, `Jobs of command ${t.id}`).toBe(1);

    // The store's side: one requested and one terminal audit record per command.
    const audit = await sql<{ outcome: string; id: string }>(
      "SELECT outcome, (detail::json)->>'commandId' AS id FROM audit_log WHERE action LIKE 'action:%'",
    );
    for (const { id } of sent) {
      const mine = audit.filter((a) => a.id === id);
      expect(mine.filter((a) => a.outcome === 'requested')).toHaveLength(1);
      expect(mine.filter((a) => TERMINAL.includes(a.outcome))).toHaveLength(1);
    }
    // The chain verifies, as the CLI checks it, from each survivor.
    for (const url of r.urls.filter((_, i) => i !== first)) {
      const { stdout } = await run(process.execPath, [WHEELHOUSE_CLI, 'audit', '--verify'], {
        env: { ...process.env, WHEELHOUSE_HUB_URL: url, WHEELHOUSE_API_TOKEN: token },
      });
      expect(stdout).toMatch(/^audit chain OK: \d+ records/);
    }
    // The dead replica's link is gone from the store; the cluster is connected through the survivor.
    const links = await sql<{ replica_id: string }>('SELECT replica_id FROM agent_links WHERE cluster_id = $1', [
      CLUSTER,
    ]);
    expect(links).toHaveLength(1);
  }, 420_000);
});
