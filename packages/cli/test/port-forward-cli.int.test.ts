// `wheelhouse port-forward` as a user runs it: local port → hub → agent → the
// portforward subresource of a real (kwok) pod, which kwok serves by dialing the
// address a PortForward object names: here an HTTP server this test runs.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '@wheelhouse/agent';
import { createHub, type Hub } from '@wheelhouse/hub';
import { createApiToken, createBinding, createUser } from '@wheelhouse/hub/identity';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';

const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const custom = kubeConfig().makeApiClient(k8s.CustomObjectsApi);
const BIG = 4 * 1024 * 1024;

/** GET over a fresh TCP connection (no keep-alive pool): each call is its own forwarded connection. */
function get(port: number, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('wheelhouse port-forward', () => {
  let hub: Hub;
  let agent: Agent;
  let web: Server;
  let hubUrl = '';
  let operatorEnv: NodeJS.ProcessEnv;
  let viewerEnv: NodeJS.ProcessEnv;
  let operatorToken = '';
  let ns = '';
  const children: ChildProcess[] = [];

  async function user(name: string, role: 'operator' | 'viewer'): Promise<string> {
    const { user } = await createUser(hub.db, {
      username: name,
      passwordHash: 'x',
      mustChangePassword: false,
      createdBy: 'test',
    });
    await createBinding(hub.db, {
      userId: user.id,
      role,
      clusterPattern: '*',
      namespacePattern: '*',
      createdBy: 'test',
    });
    return (await createApiToken(hub.db, { userId: user.id, name: 'cli' })).token;
  }
  const envFor = (token: string): NodeJS.ProcessEnv => ({
    ...process.env,
    WHEELHOUSE_HUB_URL: hubUrl,
    WHEELHOUSE_API_TOKEN: token,
    WHEELHOUSE_CLUSTER: 'fwd',
    XDG_CONFIG_HOME: '/nonexistent-wheelhouse-test',
  });

  /** Starts the CLI; resolves with the local port once it says "Forwarding from". */
  function forward(args: string[]): Promise<{ port: number; child: ChildProcess; stderr: () => string }> {
    const child = spawn(process.execPath, [CLI, 'port-forward', ...args], { env: operatorEnv });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    return new Promise((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+) -> \d+/.exec(out);
        if (m) resolve({ port: Number(m[1]), child, stderr: () => err });
      });
      child.on('exit', (code) => reject(new Error(`port-forward exited ${code}: ${err}`)));
    });
  }

  function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: (err as { code?: number } | null)?.code ?? 0, stdout, stderr }),
      );
    });
  }

  beforeAll(async () => {
    ns = await testNamespace('cli-portfwd');
    web = createServer((req, res) => {
      if (req.url === '/big') {
        res.end(Buffer.alloc(BIG, 'x'));
        return;
      }
      // Answer late, so concurrent requests overlap on the forwarded path.
      setTimeout(() => res.end(`hello from ${req.url ?? '?'}`), 200);
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const webPort = (web.address() as AddressInfo).port;
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'registry.local/web:1' }] } },
    });
    // kwok's kubelet side: port 80 of pod web is the test's HTTP server.
    await custom.createNamespacedCustomObject({
      group: 'kwok.x-k8s.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'portforwards',
      body: {
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'PortForward',
        metadata: { name: 'web', namespace: ns },
        spec: { forwards: [{ ports: [80], target: { address: '127.0.0.1', port: webPort } }] },
      },
    });
    hub = await createHub({ logger: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    hubUrl = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    operatorToken = await user('oncall', 'operator');
    operatorEnv = envFor(operatorToken);
    viewerEnv = envFor(await user('watcher', 'viewer'));
    const created = await hub.clusters.create('fwd', 'test');
    if (!created) throw new Error('cluster exists');
    agent = await startAgent({
      hubUrl,
      token: created.token,
      kubeConfig: kubeConfig(),
      capabilities: { basic: false, advanced: false, podExec: true },
      log: pino({ level: 'silent' }),
      flushMs: 50,
    });
    await eventually(
      'the pod Running at the hub',
      async () => (await hub.inventory.get('fwd', 'Pod', ns, 'web'))?.summary.phase === 'Running' || undefined,
    );
  }, 120_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await agent.stop();
    await hub.close();
    await new Promise((r) => web.close(r));
  });

  it('serves HTTP from the pod port on a local port, several connections at once, each audited', async () => {
    const { port } = await forward(['web', '-n', ns, ':80']);
    const paths = ['/a', '/b', '/c', '/d', '/e', '/f'];
    const answers = await Promise.all(paths.map((p) => get(port, p)));
    expect(answers.map((a) => `${a.status} ${a.body.toString()}`)).toEqual(paths.map((p) => `200 hello from ${p}`));
    // Each TCP connection was its own forwarded connection, audited with the port.
    const rows = await hub.db
      .selectFrom('audit_log')
      .select(['actor', 'outcome', 'params', 'target'])
      .where('action', '=', 'portforward.open')
      .where('outcome', '=', 'allowed')
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(paths.length);
    expect(rows[0]?.actor).toBe('oncall');
    expect(JSON.parse(String(rows[0]?.target))).toMatchObject({ kind: 'Pod', namespace: ns, name: 'web' });
    expect(JSON.parse(String(rows[0]?.params))).toEqual({ port: 80 });
    // Every connection closed at the hub and the agent once the answers were read.
    await eventually('no open forwarded connections', () =>
      Promise.resolve(hub.portForwards.stats().connections + agent.portForwards.stats().connections === 0 || undefined),
    );
  });

  it('carries a large answer whole (flow control, not dropping)', async () => {
    const { port } = await forward(['web', '-n', ns, ':80']);
    const r = await get(port, '/big');
    expect(r.body.length).toBe(BIG);
    expect(r.body.every((b) => b === 0x78)).toBe(true);
  });

  it('refuses a viewer before listening: 403 naming pod:port-forward, audited as denied', async () => {
    const r = await run(['port-forward', 'web', '-n', ns, ':80'], viewerEnv);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('Forwarding from');
    expect(r.stderr).toContain('pod:port-forward');
    const denied = await hub.db
      .selectFrom('audit_log')
      .select(['actor'])
      .where('action', '=', 'portforward.open')
      .where('outcome', '=', 'denied')
      .execute();
    expect(denied.map((d) => d.actor)).toContain('watcher');
  });

  it('says which port is wrong: the CLI before asking, the hub with 400 naming querystring.port', async () => {
    const bad = await run(['port-forward', 'web', '-n', ns, '8080:99999'], operatorEnv);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('remote port in "8080:99999" must be a number from 1 to 65535');
    const res = await fetch(`${hubUrl}/api/v1/clusters/fwd/pods/${ns}/web/portforward?port=0`, {
      headers: { authorization: `Bearer ${operatorToken}` },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('querystring.port');
  });

  it('refuses with tier_disabled on a cluster whose podExec tier is off', async () => {
    const flat = await hub.clusters.create('flat', 'test');
    if (!flat) throw new Error('cluster exists');
    await hub.clusters.markConnected('flat', {
      agentVersion: 'test',
      kubernetesVersion: 'v1.35.4',
      capabilities: { basic: true, advanced: true, podExec: false },
    });
    const res = await fetch(`${hubUrl}/api/v1/clusters/flat/pods/${ns}/web/portforward?port=80`, {
      headers: { authorization: `Bearer ${operatorToken}` },
    });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: string; tier: string; message: string };
    expect(body).toMatchObject({ error: 'tier_disabled', tier: 'podExec' });
    expect(body.message).toContain('port-forward');
  });

  it('says why when the pod has no such port (kwok has no forward for it)', async () => {
    const { port, stderr } = await forward(['web', '-n', ns, ':81']);
    await get(port, '/x').catch(() => undefined);
    await eventually('the error on stderr', () =>
      Promise.resolve((stderr().includes('81') && stderr().includes('error')) || undefined),
    );
  });
});
