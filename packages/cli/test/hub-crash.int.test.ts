// kill -9 of the hub with 200 commands queued: after a restart every command
// reaches a terminal state exactly once, and none is applied twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import BetterSqlite3 from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '@wheelhouse/agent';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';

const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Starts `wheelhouse hub` and resolves with its output once it listens. */
function startHubProcess(dataDir: string, port: number): Promise<{ child: ChildProcess; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI, 'hub', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--log-level', 'warn', '--heartbeat', '2s'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const onData = (c: Buffer): void => {
      output += c.toString();
      if (output.includes('wheelhouse hub listening on')) resolve({ child, output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`hub exited with ${String(code)}:\n${output}`)));
  });
}

describe('hub crash with queued commands', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wh-hub-crash-'));
  let hub: ChildProcess | undefined;
  let agent: Agent | undefined;
  let url = '';
  let port = 0;
  let token = '';
  let ns = '';

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

  beforeAll(async () => {
    ns = await testNamespace('crash');
    for (let i = 0; i < 10; i++)
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `cm-${i}` } } });
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const first = await startHubProcess(dataDir, port);
    hub = first.child;
    const password = /one-time password: (\S+)/.exec(first.output)?.[1];
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
      body: JSON.stringify({ name: 'crash-test' }),
    });
    token = ((await tok.json()) as { token: string }).token;
    const created = await api('POST', '/api/v1/clusters', { name: 'crashy' });
    expect(created.status).toBe(201);
    agent = await startAgent({
      hubUrl: url,
      token: created.json.token as string,
      kubeConfig: kubeConfig(),
      capabilities: { basic: true, advanced: true, podExec: true },
      log: pino({ level: 'silent' }),
      flushMs: 50,
      heartbeatMs: 2000,
    });
    await eventually('agent connected', async () =>
      (await api('GET', '/api/v1/clusters/crashy')).json.connected === true ? true : undefined,
    );
  });

  afterAll(async () => {
    await agent?.stop();
    hub?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes all 200 commands exactly once after kill -9 and restart', async () => {
    const ids: { id: string; cm: string; key: string }[] = [];
    for (let i = 0; i < 200; i++) {
      const cm = `cm-${i % 10}`;
      const key = `example.com/k${i}`;
      const r = await api('POST', '/api/v1/clusters/crashy/actions', {
        action: 'annotate',
        target: { kind: 'ConfigMap', namespace: ns, name: cm },
        params: { key, value: String(i) },
        reason: 'crash test',
      });
      expect(r.status).toBe(202);
      ids.push({ id: r.json.id as string, cm, key });
    }
    // Acknowledged means durable: kill the hub without warning while commands are in flight.
    hub?.kill('SIGKILL');
    await new Promise((r) => hub?.once('exit', r));
    // What the dead hub had durably recorded: all 200, most of them not finished yet.
    const db = new BetterSqlite3(join(dataDir, 'hub.db'), { readonly: true });
    const counts = db
      .prepare(
        "SELECT count(*) AS n, sum(state NOT IN ('succeeded','failed','rejected','expired')) AS open FROM commands",
      )
      .get() as { n: number; open: number };
    db.close();
    expect(counts.n).toBe(200);
    expect(counts.open).toBeGreaterThan(0);
    hub = (await startHubProcess(dataDir, port)).child;

    const final = await eventually(
      'all 200 commands terminal',
      async () => {
        const states = await Promise.all(ids.map(async ({ id }) => (await api('GET', `/api/v1/actions/${id}`)).json));
        return states.every((s) => ['succeeded', 'failed', 'rejected', 'expired'].includes(s.state as string))
          ? states
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    for (const s of final) {
      expect(s.state).toBe('succeeded');
      const transitions = s.transitions as { state: string }[];
      expect(transitions.filter((t) => ['succeeded', 'failed', 'rejected', 'expired'].includes(t.state))).toHaveLength(
        1,
      );
    }
    // Never applied twice: the agent ran each at most once, and each object records each id once.
    for (const { id } of ids) expect(agent?.executed.get(id) ?? 0).toBeLessThanOrEqual(1);
    for (let i = 0; i < 10; i++) {
      const cm = await core.readNamespacedConfigMap({ namespace: ns, name: `cm-${i}` });
      const recorded = (cm.metadata?.annotations?.['wheelhouse.dev/commands'] ?? '').split(',');
      const mine = ids.filter((x) => x.cm === `cm-${i}`);
      for (const { id, key } of mine) {
        expect(recorded.filter((r) => r === id)).toHaveLength(1);
        expect(cm.metadata?.annotations?.[key]).toBeDefined();
      }
    }
    const verify = await api('GET', '/api/v1/audit/verify');
    expect(verify.json.ok).toBe(true);
  });
});
