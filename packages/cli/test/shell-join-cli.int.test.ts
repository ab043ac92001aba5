// `wheelhouse shell join` as a user runs it: someone opens a shell through the
// API (as the console does), the CLI joins it through the hub and agent to a
// real (kwok) pod. Commands print arithmetic ("$((40 + 2))") so that output
// proves the command ran, not only that the terminal echoed the keys.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type Agent } from '@wheelhouse/agent';
import { createHub, type Hub } from '@wheelhouse/hub';
import { createApiToken, createBinding, createUser } from '@wheelhouse/hub/identity';
import { shellPath } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';

const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

/** The owner's shell, opened through the API like the console's. */
class OwnerShell {
  output = '';
  controls: { type: string; [k: string]: unknown }[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.output += data.toString('utf8');
      else this.controls.push(JSON.parse(data.toString('utf8')) as { type: string });
    });
  }
  type(s: string): void {
    this.ws.send(Buffer.from(s), { binary: true });
  }
  async waitFor(what: string): Promise<void> {
    await eventually(`"${what}" in the owner's terminal (have ${JSON.stringify(this.output.slice(-300))})`, () =>
      Promise.resolve(this.output.includes(what)),
    );
  }
  /** The latest participants list, as "user:role". */
  participants(): string[] {
    const last = this.controls.filter((c) => c.type === 'participants').at(-1);
    return ((last?.participants ?? []) as { user: string; role: string }[]).map((p) => `${p.user}:${p.role}`);
  }
}

interface Joiner {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

describe('wheelhouse shell join', () => {
  let hub: Hub;
  let agent: Agent;
  let hubUrl = '';
  let ns = '';
  let moderatedNs = '';
  const tokens: Record<string, string> = {};
  const children: ChildProcess[] = [];
  const owners: OwnerShell[] = [];
  const CLUSTER = 'joiny';

  const envFor = (user: string): NodeJS.ProcessEnv => ({
    ...process.env,
    WHEELHOUSE_HUB_URL: hubUrl,
    WHEELHOUSE_API_TOKEN: tokens[user],
    XDG_CONFIG_HOME: '/nonexistent-wheelhouse-test',
  });

  async function openOwner(namespace: string): Promise<{ shell: OwnerShell; sessionId: string }> {
    const url = new URL(shellPath(CLUSTER, namespace, 'box'), hubUrl.replace('http', 'ws'));
    url.searchParams.set('command', 'sh');
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${tokens.owner}` } });
    const shell = new OwnerShell(ws);
    owners.push(shell);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const opened = await eventually('the owner shell opened', () =>
      Promise.resolve(shell.controls.find((c) => c.type === 'opened')),
    );
    return { shell, sessionId: opened.sessionId as string };
  }

  function join(user: string, args: string[]): Joiner {
    const child = spawn(process.execPath, [CLI, 'shell', 'join', ...args], { env: envFor(user) });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, stdout: () => out, stderr: () => err, exited };
  }
  async function waitText(j: Joiner, where: 'stdout' | 'stderr', what: string): Promise<void> {
    await eventually(`"${what}" on the CLI's ${where} (have ${JSON.stringify(j[where]().slice(-400))})`, () =>
      Promise.resolve(j[where]().includes(what)),
    );
  }

  function run(args: string[], user: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: envFor(user), timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: (err as { code?: number } | null)?.code ?? 0, stdout, stderr }),
      );
    });
  }

  beforeAll(async () => {
    ns = await testNamespace('cli-join');
    moderatedNs = await testNamespace('cli-joinmod');
    for (const namespace of [ns, moderatedNs])
      await core.createNamespacedPod({
        namespace,
        body: { metadata: { name: 'box' }, spec: { containers: [{ name: 'app', image: 'registry.local/box:1' }] } },
      });
    hub = await createHub({
      logger: false,
      shell: { clusters: { [CLUSTER]: { namespaces: { [moderatedNs]: { requireObserver: true } } } } },
    });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    hubUrl = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    for (const [name, role] of [
      ['owner', 'operator'],
      ['mate', 'operator'],
      ['watcher', 'viewer'],
    ] as const) {
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
      tokens[name] = (await createApiToken(hub.db, { userId: user.id, name: 'cli' })).token;
    }
    const created = await hub.clusters.create(CLUSTER, 'test');
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
      'the pods Running at the hub',
      async () => {
        const phases = await Promise.all(
          [ns, moderatedNs].map(async (n) => (await hub.inventory.get(CLUSTER, 'Pod', n, 'box'))?.summary.phase),
        );
        return phases.every((p) => p === 'Running') || undefined;
      },
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const o of owners) o.ws.terminate();
    await agent.stop();
    await hub.close();
  });

  it('an observer sees the output and who is in the session; what it types is not sent', async () => {
    const { shell, sessionId } = await openOwner(ns);
    const j = join('mate', [sessionId]);
    await waitText(j, 'stderr', `joined owner's shell in ${CLUSTER}/${ns}/box (app) as observer`);
    await waitText(j, 'stderr', 'what you type is not sent');
    await waitText(j, 'stderr', 'in the session: owner (owner), mate (observer)');
    await eventually('the owner told the observer joined', () =>
      Promise.resolve(shell.participants().includes('mate:observer')),
    );
    // The observer types: nothing may reach the pod.
    j.child.stdin?.write('echo $((100 + 11))\n');
    shell.type('echo $((40 + 2))\n');
    await waitText(j, 'stdout', '42');
    shell.type('echo synced-$((1 + 1))\n');
    await shell.waitFor('synced-2');
    await waitText(j, 'stdout', 'synced-2');
    expect(shell.output).not.toContain('111');
    expect(j.stdout()).not.toContain('111');
    // The CLI did not even send it (the hub would have answered an observer's input with an error).
    expect(j.stderr()).not.toContain('your input is not sent');
    // Leaving (Ctrl-C) is seen by the owner.
    j.child.kill('SIGINT');
    await j.exited;
    await eventually('the owner told the observer left', () =>
      Promise.resolve(shell.participants().join() === 'owner:owner' || undefined),
    );
  });

  it("a peer's typed command runs in the session; the session's end ends the CLI with 0", async () => {
    const { shell, sessionId } = await openOwner(ns);
    const watching = join('watcher', [sessionId]); // a viewer may not even watch (below); the peer is mate
    const j = join('mate', [`${hubUrl}/join/${sessionId}`, '--peer']);
    await waitText(j, 'stderr', 'as peer: what you type runs in the session');
    await waitText(j, 'stderr', 'in the session: owner (owner), mate (peer)');
    j.child.stdin?.write('echo $((300 + 33))\n');
    await shell.waitFor('333');
    await waitText(j, 'stdout', '333');
    // Refused while the session is live (once it has ended, a join is answered "not found": exit 3).
    expect(await watching.exited).toBe(4);
    shell.type('exit 5\n');
    expect(await j.exited).toBe(0);
    expect(j.stderr()).toContain("the session's command exited with code 5");
  });

  it('refusals exit with the CLI codes: no pod:exec 4, unknown session 3, not an id 2', async () => {
    const { sessionId } = await openOwner(ns);
    const denied = await run(['shell', 'join', sessionId], 'watcher');
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain(
      `error: watcher lacks permission 'pod:exec' on cluster '${CLUSTER}', namespace '${ns}'`,
    );
    const unknown = '0b5e1a52-7d5e-4c1e-9f3a-2f6c0e1d2a3b';
    const gone = await run(['shell', 'join', unknown, '--peer'], 'mate');
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain(`live shell session ${unknown}`);
    const bad = await run(['shell', 'join', 'not-a-session'], 'mate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('session-id "not-a-session" is neither a session id');
    const both = await run(['shell', 'join', unknown, '--peer', '--observer'], 'mate');
    expect(both.code).toBe(2);
    // Refusals are audited at the hub.
    const audit = await hub.audit.query({ action: 'shell.join', limit: 50 });
    expect(audit.items.some((e) => e.actor === 'watcher' && e.outcome === 'denied')).toBe(true);
  });

  it("in a moderated namespace a peer's input is dropped, and says so, until an observer joins", async () => {
    const { shell, sessionId } = await openOwner(moderatedNs);
    const peer = join('mate', [sessionId, '--peer']);
    await waitText(peer, 'stderr', 'as peer');
    // Told on joining, before typing: the hold was announced to the owner when the shell opened.
    await waitText(
      peer,
      'stderr',
      'this namespace requires an observer in the session: input is dropped until one joins',
    );
    peer.child.stdin?.write('echo $((500 + 55))\n');
    const observer = join('owner', [sessionId, '--observer']);
    await waitText(observer, 'stderr', 'as observer');
    await waitText(peer, 'stderr', 'owner is observing: input is accepted');
    peer.child.stdin?.write('echo $((600 + 66))\n');
    await shell.waitFor('666');
    await waitText(observer, 'stdout', '666');
    expect(shell.output).not.toContain('555');
  });
});
