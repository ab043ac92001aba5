// Shared shells end to end against the real local cluster (kwok runs the
// command on this machine): others join a live session as observer or peer,
// everyone is told who is in it, an observer's input never reaches the pod,
// joins are audited, and a moderated namespace drops input until an observer
// watches. Commands print arithmetic ("$((40 + 2))") so that output proves the
// command ran, not only that the terminal echoed the keys.
import { randomUUID } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellJoinPath, shellPath, type ShellJoinMode } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();

interface Control {
  type: string;
  [k: string]: unknown;
}

class Client {
  output = '';
  readonly controls: Control[] = [];
  readonly closed: Promise<number>;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.output += data.toString('utf8');
      else this.controls.push(JSON.parse(data.toString('utf8')) as Control);
    });
    this.closed = new Promise((r) => ws.on('close', (code) => r(code)));
  }
  type(s: string): void {
    this.ws.send(Buffer.from(s), { binary: true });
  }
  all(type: string): Control[] {
    return this.controls.filter((c) => c.type === type);
  }
  async waitFor(what: string): Promise<void> {
    await eventually(`"${what}" (have ${JSON.stringify(this.output.slice(-200))})`, () =>
      Promise.resolve(this.output.includes(what)),
    );
  }
  async waitControl(type: string, test: (c: Control) => boolean = () => true): Promise<Control> {
    return eventually(`a ${type} message (have ${JSON.stringify(this.controls)})`, () =>
      Promise.resolve(this.controls.find((c) => c.type === type && test(c))),
    );
  }
}

type Opened = { client: Client } | { status: number; body: Record<string, unknown> };

function connect(url: URL, token: string): Promise<Opened> {
  const ws = new WebSocket(url, { headers: bearer(token) });
  return new Promise((resolve, reject) => {
    const client = new Client(ws);
    ws.once('open', () => resolve({ client }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }));
    });
    ws.once('error', reject);
  });
}

describe('shared shells', () => {
  let p: Pipeline;
  let ns: string;
  let moderatedNs: string;
  let owner: TestUser;
  let watcher: TestUser;
  let peer: TestUser;
  let viewer: TestUser;

  async function openShell(user: TestUser, namespace = ns): Promise<{ client: Client; sessionId: string }> {
    const u = new URL(shellPath(p.cluster, namespace, 'one'), p.url.replace('http', 'ws'));
    u.searchParams.set('command', 'sh');
    const r = await connect(u, user.token);
    if (!('client' in r)) throw new Error(`shell refused: ${r.status} ${JSON.stringify(r.body)}`);
    const opened = await r.client.waitControl('opened');
    return { client: r.client, sessionId: opened.sessionId as string };
  }
  function join(user: TestUser, sessionId: string, mode: ShellJoinMode): Promise<Opened> {
    return connect(new URL(shellJoinPath(sessionId, mode), p.url.replace('http', 'ws')), user.token);
  }
  async function joinOk(user: TestUser, sessionId: string, mode: ShellJoinMode): Promise<Client> {
    const r = await join(user, sessionId, mode);
    if (!('client' in r)) throw new Error(`join refused: ${r.status} ${JSON.stringify(r.body)}`);
    await r.client.waitControl('joined');
    return r.client;
  }
  const roles = (c: Control | undefined): string[] =>
    ((c?.participants ?? []) as { user: string; role: string }[]).map((x) => `${x.user}:${x.role}`);

  beforeAll(async () => {
    ns = await testNamespace('shshare');
    moderatedNs = await testNamespace('shmod');
    const cluster = `share-${Math.random().toString(36).slice(2, 8)}`;
    p = await startPipeline({
      cluster,
      // The moderated namespace also has a short reattach grace period (the detach test below).
      hub: {
        shell: {
          clusters: { [cluster]: { namespaces: { [moderatedNs]: { requireObserver: true, detachGraceMs: 1500 } } } },
        },
      },
    });
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    for (const namespace of [ns, moderatedNs])
      await core.createNamespacedPod({
        namespace,
        body: { metadata: { name: 'one' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
      });
    owner = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    watcher = await addUser(p.hub, {
      bindings: [
        { role: 'operator', namespace: ns },
        { role: 'operator', namespace: moderatedNs },
      ],
    });
    peer = await addUser(p.hub, { bindings: [{ role: 'operator', namespace: ns }] });
    viewer = await addUser(p.hub, { bindings: [{ role: 'viewer' }] });
    await eventually(
      'pods running in the hub inventory',
      async () => {
        const phases = await Promise.all(
          [ns, moderatedNs].map(async (n) => (await p.hub.inventory.get(p.cluster, 'Pod', n, 'one'))?.summary.phase),
        );
        return phases.every((x) => x === 'Running');
      },
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(() => p.stop());

  it('an observer sees the output and who is watching; its input never reaches the pod; a peer types as the owner', async () => {
    const { client: a, sessionId } = await openShell(owner);
    const b = await joinOk(watcher, sessionId, 'observer');
    expect(b.controls[0]).toMatchObject({
      type: 'joined',
      sessionId,
      role: 'observer',
      owner: owner.username,
      namespace: ns,
      pod: 'one',
      container: 'app',
    });
    // Everyone is told who is in the session.
    const both = [`${owner.username}:owner`, `${watcher.username}:observer`];
    await a.waitControl('participants', (c) => roles(c).join() === both.join());
    await b.waitControl('participants', (c) => roles(c).join() === both.join());

    a.type('echo "owner-$((40 + 2))"\r');
    await b.waitFor('owner-42');

    // The observer types: refused, and nothing runs.
    b.type('echo "observer-$((1 + 1))"\r');
    await b.waitControl('error', (c) => String(c.message).includes('observer'));
    a.type('echo "after-$((2 + 3))"\r');
    await a.waitFor('after-5');
    await b.waitFor('after-5');
    expect(a.output).not.toContain('observer-');
    expect(b.output).not.toContain('observer-2');

    // A peer's input runs in the owner's shell; everyone sees it.
    const c = await joinOk(peer, sessionId, 'peer');
    const three = [...both, `${peer.username}:peer`];
    await a.waitControl('participants', (x) => roles(x).join() === three.join());
    const marker = randomUUID().slice(0, 8);
    c.type(`echo "peer-${marker}-$((3 + 4))"\r`);
    for (const x of [a, b, c]) await x.waitFor(`peer-${marker}-7`);

    // The participants route says the same.
    const list = await p.hub.app.inject({
      url: `/api/v1/sessions/${sessionId}/participants`,
      headers: bearer(watcher.token),
    });
    expect(list.statusCode).toBe(200);
    expect(roles(list.json<Control>())).toEqual(three);

    // Leaving is seen by the others; the owner's exit closes everyone.
    b.ws.close();
    await a.waitControl('participants', (x) => roles(x).join() === [three[0], three[2]].join());
    a.type('exit 3\r');
    expect(await c.waitControl('exit')).toEqual({ type: 'exit', code: 3 });
    expect(await c.waitControl('closed')).toMatchObject({ reason: 'closed' });
    await c.closed;

    // Each join is audited: who, how, whose session.
    for (const [u, mode] of [
      [watcher, 'observer'],
      [peer, 'peer'],
    ] as const) {
      const rows = await p.hub.audit.query({ action: 'shell.join', actor: u.username, limit: 5 });
      expect(rows.items[0]).toMatchObject({
        outcome: 'allowed',
        target: { kind: 'Pod', namespace: ns, name: 'one' },
        detail: { sessionId, mode, owner: owner.username },
      });
    }
  }, 60_000);

  // A page reload closes the owner's socket with 1001, a lost network with 1006 (terminate() here).
  it("the owner's reload detaches the session: joiners stay and follow it, the reattach replays the scrollback to the owner only", async () => {
    const { client: a, sessionId } = await openShell(owner);
    const b = await joinOk(watcher, sessionId, 'observer');
    const c = await joinOk(peer, sessionId, 'peer');
    a.type('X=kept-$((6 * 7)); echo "set-$X"\r');
    for (const x of [a, b, c]) await x.waitFor('set-kept-42');
    a.ws.terminate();
    await a.closed;

    // The owner is away: the peer still types into the same shell and the observer still sees it.
    c.type('echo "meanwhile-$X-$((8 + 1))"\r');
    await b.waitFor('meanwhile-kept-42-9');
    await c.waitFor('meanwhile-kept-42-9');
    expect(b.all('closed')).toEqual([]);
    expect(c.all('closed')).toEqual([]);

    const u = new URL(shellPath(p.cluster, ns, 'one'), p.url.replace('http', 'ws'));
    u.searchParams.set('session', sessionId);
    const r = await connect(u, owner.token);
    if (!('client' in r)) throw new Error(`reattach refused: ${r.status} ${JSON.stringify(r.body)}`);
    const back = r.client;
    expect(await back.waitControl('reattached')).toMatchObject({ sessionId });
    // The scrollback holds what ran while the owner was away.
    await back.waitFor('meanwhile-kept-42-9');
    const observerBefore = b.output;
    back.type('echo "back-$X-$((9 + 1))"\r');
    for (const x of [back, b, c]) await x.waitFor('back-kept-42-10');
    // The replay went to the owner only: the observer saw each line once, live.
    expect(b.output.split('set-kept-42').length - 1).toBe(observerBefore.split('set-kept-42').length - 1);
    expect(b.output.split('meanwhile-kept-42-9').length - 1).toBe(
      observerBefore.split('meanwhile-kept-42-9').length - 1,
    );
    expect(b.all('reattached')).toEqual([]);

    back.type('exit\r');
    for (const x of [b, c]) expect(await x.waitControl('closed')).toMatchObject({ reason: 'closed' });
    await Promise.all([back.closed, b.closed, c.closed]);
  }, 60_000);

  // The moderated namespace's grace period is 1.5 s (see startPipeline above).
  it('an observer leaving never detaches; when a detached owner does not come back, every joiner ends with "detached"', async () => {
    const { client: a, sessionId } = await openShell(owner, moderatedNs);
    const b = await joinOk(watcher, sessionId, 'observer');
    const c = await joinOk(watcher, sessionId, 'observer');
    c.ws.terminate(); // a joiner's lost network: it just leaves
    await c.closed;
    await a.waitControl('participants', (x) => roles(x).length === 2);
    a.type('echo "still-$((4 + 4))"\r');
    await a.waitFor('still-8');
    expect(a.all('closed')).toEqual([]);

    a.ws.terminate();
    const t0 = Date.now();
    await a.closed;
    expect(await b.waitControl('closed')).toMatchObject({ reason: 'detached' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500 - 100);
    expect(await b.closed).toBe(1000);
    const row = await eventually('the session end to be stored', async () =>
      p.hub.db
        .selectFrom('shell_sessions')
        .select(['end_reason'])
        .where('id', '=', sessionId)
        .where('end_reason', 'is not', null)
        .executeTakeFirst(),
    );
    expect(row).toEqual({ end_reason: 'detached' });
  }, 60_000);

  it('refuses a join without pod:exec there (403, audited), a session that is not live (404), a bad mode (400)', async () => {
    const { client: a, sessionId } = await openShell(owner);
    expect(await join(viewer, sessionId, 'observer')).toMatchObject({
      status: 403,
      body: { error: 'forbidden', permission: 'pod:exec', scope: { cluster: p.cluster, namespace: ns } },
    });
    const denied = await p.hub.audit.query({ action: 'shell.join', actor: viewer.username, limit: 5 });
    expect(denied.items[0]).toMatchObject({ outcome: 'denied', target: { kind: 'Pod', namespace: ns, name: 'one' } });
    // An operator of another namespace cannot join either.
    const elsewhere = await addUser(p.hub, { bindings: [{ role: 'operator', namespace: 'somewhere-else' }] });
    expect(await join(elsewhere, sessionId, 'peer')).toMatchObject({ status: 403 });
    expect(await join(watcher, randomUUID(), 'observer')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const bad = await p.hub.app.inject({
      url: `/api/v1/sessions/${sessionId}/join?mode=driver`,
      headers: bearer(watcher.token),
    });
    expect(bad.statusCode).toBe(400);
    a.type('exit\r');
    await a.closed;
    expect(await join(watcher, sessionId, 'observer')).toMatchObject({ status: 404 });
  }, 60_000);

  it('a moderated namespace drops input until an observer joins, and again when the last one leaves', async () => {
    const { client: a, sessionId } = await openShell(owner, moderatedNs);
    await a.waitControl('moderation', (c) => c.held === true);
    a.type('echo "unwatched-$((5 + 5))"\r');
    await eventually('the drop to be said', () => Promise.resolve(a.all('moderation').length >= 1));
    const b = await joinOk(watcher, sessionId, 'observer');
    await a.waitControl('moderation', (c) => c.held === false);
    a.type('echo "watched-$((6 + 6))"\r');
    await b.waitFor('watched-12');
    expect(a.output).not.toContain('unwatched-10');
    b.ws.close();
    await a.waitControl('moderation', (c) => c.held === true && String(c.message).includes('no observer'));
    a.type('echo "alone-$((7 + 7))"\r');
    a.type('echo "probe"\r');
    // Nothing typed now runs; give the pod a moment to prove it.
    await new Promise((r) => setTimeout(r, 1000));
    expect(a.output).not.toContain('alone-14');
    a.ws.close();
    await a.closed;
  }, 60_000);
});
