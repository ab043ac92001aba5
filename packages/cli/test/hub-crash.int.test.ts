// kill -9 of the hub AND its agent (both real processes) while 200 acknowledged
// commands are in flight — some of them caught dispatched or running — then a
// restart of both: every command reaches a terminal state exactly once, and
// Kubernetes shows each applied exactly once. Counted from Kubernetes' side
// (one Job per trigger-job command, each annotation's value) and from the
// hub's database (one requested and one terminal audit record per command),
// never from the agent's memory (which the kill wipes).
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as k8s from '@kubernetes/client-node';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WHEELHOUSE_CLI, freePort, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { eventually, kubeConfig, kubeconfigFile, testNamespace } from '@wheelhouse/test-cluster/testing';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const batch = kc.makeApiClient(k8s.BatchV1Api);

const TERMINAL = ['succeeded', 'failed', 'rejected', 'expired'];
const N = 200;
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

describe('hub and agent killed with commands in flight', () => {
  // The data dir inside a temporary one: the hub keeps its audit key and anchor beside it.
  const tmp = mkdtempSync(join(tmpdir(), 'wh-hub-crash-'));
  const dataDir = join(tmp, 'hub');
  let hub: TestProcess | undefined;
  let agent: TestProcess | undefined;
  let url = '';
  let port = 0;
  let token = '';
  let agentToken = '';
  let ns = '';

  const startHub = async (): Promise<TestProcess> => {
    const p = startProcess(
      [
        WHEELHOUSE_CLI,
        'hub',
        '--listen',
        `127.0.0.1:${port}`,
        '--data-dir',
        dataDir,
        '--log-level',
        'warn',
        '--heartbeat',
        '2s',
      ],
      { label: 'hub' },
    );
    await p.waitForOutput(/wheelhouse hub listening on/);
    return p;
  };
  const startAgentProcess = (): TestProcess =>
    startProcess(
      [
        WHEELHOUSE_CLI,
        'agent',
        '--hub',
        url,
        '--token',
        agentToken,
        '--kubeconfig',
        kubeconfigFile(),
        '--tiers',
        'basic,advanced',
        '--log-level',
        'warn',
      ],
      { label: 'agent' },
    );

  const api = async (
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
  const openDb = (): BetterSqlite3.Database => new BetterSqlite3(join(dataDir, 'hub.db'), { readonly: true });

  beforeAll(async () => {
    ns = await testNamespace('crash');
    for (let i = 0; i < 10; i++)
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `cm-${i}` } } });
    // Suspended sources: only the triggered copies (suspend dropped) run.
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
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    hub = await startHub();
    const password = /one-time password: (\S+)/.exec(hub.output())?.[1];
    expect(password, 'the first start prints a one-time admin password').toBeTruthy();
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    // The one-time password must be replaced before anything else is allowed.
    const changed = await fetch(`${url}/api/v1/auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({ current: password, next: 'crash-test-password-1' }),
    });
    expect(changed.status).toBe(204);
    const tok = await fetch(`${url}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({ name: 'crash-test', password: 'crash-test-password-1' }),
    });
    token = ((await tok.json()) as { token: string }).token;
    const created = await api('POST', '/api/v1/clusters', { name: 'crashy' });
    expect(created.status).toBe(201);
    agentToken = created.json.token as string;
    agent = startAgentProcess();
    await eventually(
      'agent connected',
      async () => ((await api('GET', '/api/v1/clusters/crashy')).json.connected === true ? true : undefined),
      { timeoutMs: 60_000 },
    );
  });

  afterAll(async () => {
    await agent?.kill9();
    await hub?.kill9();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('applies each of 200 commands exactly once after kill -9 of hub and agent mid-work', async () => {
    const sent: Sent[] = [];
    // Ten at a time, so the agent is busy while the rest arrive.
    for (let i = 0; i < N; i += 10) {
      const batchOf = await Promise.all(
        Array.from({ length: 10 }, async (_, j): Promise<Sent> => {
          const n = i + j;
          const cm = `cm-${n % 10}`;
          const key = `example.com/k${n}`;
          const trigger = isTrigger(n);
          const r = await api('POST', '/api/v1/clusters/crashy/actions', {
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
            reason: 'crash test',
          });
          expect(r.status).toBe(202);
          return { id: r.json.id as string, i: n, kind: trigger ? 'trigger' : 'annotate', cm, key };
        }),
      );
      sent.push(...batchOf);
    }

    // Kill in the middle of the work: once the hub has handed commands to the agent that are not finished.
    const db = openDb();
    await eventually(
      'commands dispatched or running at the hub',
      () =>
        Promise.resolve(
          (
            db.prepare("SELECT count(*) AS n FROM commands WHERE state IN ('dispatched','running')").get() as {
              n: number;
            }
          ).n > 0,
        ),
      { timeoutMs: 30_000, intervalMs: 10 },
    );
    db.close();
    await Promise.all([hub?.kill9(), agent?.kill9()]);

    // What the dead hub had durably recorded: all 200, some caught mid-way, some not started.
    const dead = openDb();
    const counts = dead
      .prepare(
        `SELECT count(*) AS n,
                coalesce(sum(state IN ('dispatched','running')), 0) AS inFlight,
                coalesce(sum(state = 'pending'), 0) AS pending,
                coalesce(sum(state NOT IN ('pending','dispatched','running')), 0) AS done
         FROM commands`,
      )
      .get() as { n: number; inFlight: number; pending: number; done: number };
    dead.close();
    if (process.env.WHEELHOUSE_TEST_LOG) console.log('at the kill', counts);
    expect(counts.n).toBe(N);
    expect(counts.inFlight, 'commands caught dispatched/running at the kill').toBeGreaterThan(0);

    hub = await startHub();
    agent = startAgentProcess();

    const final = await eventually(
      'all 200 commands terminal',
      async () => {
        const states = await Promise.all(sent.map(async ({ id }) => (await api('GET', `/api/v1/actions/${id}`)).json));
        return states.every((s) => TERMINAL.includes(s.state as string)) ? states : undefined;
      },
      // Generous: on a loaded 2-core machine (load 18 seen) 200 commands take minutes; alone, about 20 s.
      { timeoutMs: 180_000, intervalMs: 1000 },
    ).catch(async (err: unknown) => {
      const states = await Promise.all(sent.map(async ({ id }) => (await api('GET', `/api/v1/actions/${id}`)).json));
      const open = states.filter((s) => !TERMINAL.includes(s.state as string));
      throw new Error(
        `${(err as Error).message}; not terminal: ${JSON.stringify(open.slice(0, 5).map((s) => ({ id: s.id, action: s.action, state: s.state, message: s.message })))} (${open.length})\nagent output:\n${agent?.output().slice(-4000) ?? ''}`,
      );
    });
    for (const s of final) {
      expect(s.state, `${String(s.id)}: ${String(s.message)}`).toBe('succeeded');
      const transitions = s.transitions as { state: string }[];
      expect(transitions.filter((t) => TERMINAL.includes(t.state))).toHaveLength(1);
    }

    // Kubernetes' side. Annotations: each key has its own command's value, each id is recorded once.
    for (let c = 0; c < 10; c++) {
      const cm = await core.readNamespacedConfigMap({ namespace: ns, name: `cm-${c}` });
      const annotations = cm.metadata?.annotations ?? {};
      const recorded = (annotations['wheelhouse.dev/commands'] ?? '').split(',');
      for (const x of sent.filter((s) => s.kind === 'annotate' && s.cm === `cm-${c}`)) {
        expect(recorded.filter((r) => r === x.id)).toHaveLength(1);
        expect(annotations[x.key], x.key).toBe(`v${x.i}`);
      }
    }
    // Jobs: exactly one per trigger-job command, none extra.
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

    // The database's side: one requested and one terminal audit record per command, chain intact.
    const after = openDb();
    const audit = after
      .prepare("SELECT outcome, json_extract(detail, '$.commandId') AS id FROM audit_log WHERE action LIKE 'action:%'")
      .all() as { outcome: string; id: string }[];
    after.close();
    for (const { id } of sent) {
      const mine = audit.filter((a) => a.id === id);
      expect(
        mine.filter((a) => a.outcome === 'requested'),
        `requested records of ${id}`,
      ).toHaveLength(1);
      expect(
        mine.filter((a) => TERMINAL.includes(a.outcome)),
        `terminal records of ${id}`,
      ).toHaveLength(1);
    }
    const verify = await api('GET', '/api/v1/audit/verify');
    expect(verify.json.ok).toBe(true);
  }, 360_000);
});
