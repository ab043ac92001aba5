// Pod logs end to end: a WebSocket client → hub → agent link (logs.open) →
// agent → Kubernetes Log API (kwok serves the local cluster's CRI log file) and
// back as logs.data, against the real local control plane.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsPath, type LogsServerMessage } from '@wheelhouse/protocol';
import { appendContainerLog, kubectl } from '@wheelhouse/test-cluster';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { addUser, bearer, login, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();

/** A test log client: collects the hub's messages. */
class LogClient {
  readonly messages: LogsServerMessage[] = [];
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) this.messages.push(JSON.parse(data.toString('utf8')) as LogsServerMessage);
    });
    this.closed = new Promise((r) => ws.on('close', (code) => r(code)));
  }

  get text(): string {
    return this.messages.map((m) => (m.type === 'data' ? m.text : '')).join('');
  }

  get end(): Extract<LogsServerMessage, { type: 'end' }> | undefined {
    return this.messages.find((m): m is Extract<LogsServerMessage, { type: 'end' }> => m.type === 'end');
  }

  async waitFor(what: string, timeoutMs = 15_000): Promise<void> {
    await eventually(
      `"${what}" in the log (have ${JSON.stringify(this.text.slice(-300))})`,
      () => Promise.resolve(this.text.includes(what)),
      { timeoutMs, intervalMs: 25 },
    );
  }

  async waitEnd(timeoutMs = 15_000): Promise<Extract<LogsServerMessage, { type: 'end' }>> {
    return eventually(
      `the end of the log (have ${JSON.stringify(this.messages.slice(-3))})`,
      () => Promise.resolve(this.end),
      { timeoutMs, intervalMs: 25 },
    );
  }
}

type OpenResult = { client: LogClient } | { status: number; body: Record<string, unknown> };

const STREAMS_PER_USER = 3;

describe('pod logs relay', () => {
  let p: Pipeline;
  let ns: string;
  let viewer: TestUser;
  let otherViewer: TestUser;

  function open(
    auth: Record<string, string>,
    pod: string,
    query: Record<string, string> = {},
    cluster = p.cluster,
  ): Promise<OpenResult> {
    const u = new URL(logsPath(cluster, ns, pod), p.url.replace('http', 'ws'));
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    const ws = new WebSocket(u, { headers: auth });
    return new Promise((resolve, reject) => {
      const client = new LogClient(ws);
      ws.once('open', () => resolve({ client }));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }),
        );
      });
      ws.once('error', reject);
    });
  }

  async function openOk(
    pod: string,
    query: Record<string, string> = {},
    auth = bearer(viewer.token),
  ): Promise<LogClient> {
    const r = await open(auth, pod, query);
    if (!('client' in r)) throw new Error(`logs refused: ${r.status} ${JSON.stringify(r.body)}`);
    return r.client;
  }

  /** The whole log of a non-follow stream. */
  async function readAll(
    pod: string,
    query: Record<string, string>,
  ): Promise<{ text: string; end: Extract<LogsServerMessage, { type: 'end' }> }> {
    const c = await openOk(pod, query);
    const end = await c.waitEnd();
    await c.closed;
    return { text: c.text, end };
  }

  const agentStreams = (): number => p.agent.logs.stats().streams;

  beforeAll(async () => {
    ns = await testNamespace('logs');
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const pod = (name: string, containers: string[]) =>
      core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name }, spec: { containers: containers.map((c) => ({ name: c, image: 'busybox' })) } },
      });
    await pod('one', ['app']);
    await pod('two', ['app', 'sidecar']);
    p = await startPipeline({ hub: { logs: { maxStreamsPerUser: STREAMS_PER_USER } } });
    viewer = await addUser(p.hub, { bindings: [{ role: 'viewer', namespace: ns }] });
    otherViewer = await addUser(p.hub, { bindings: [{ role: 'viewer', namespace: 'somewhere-else' }] });
    await eventually(
      'pods in the hub inventory',
      async () => {
        const phases = await Promise.all(
          ['one', 'two'].map(async (name) => {
            const phase = (await p.hub.inventory.get(p.cluster, 'Pod', ns, name))?.summary.phase;
            return typeof phase === 'string' ? phase : '?';
          }),
        );
        return phases.join(',') === 'Running,Running';
      },
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(() => p.stop());

  it('sends the last N lines, the same as kubectl logs --tail N, then ends (eof)', async () => {
    for (const n of [1, 5]) {
      const { text, end } = await readAll('one', { tailLines: String(n) });
      const expected = (await kubectl(['-n', ns, 'logs', 'one', '--tail', String(n)])).stdout;
      expect(text).toBe(expected);
      expect(text.trimEnd().split('\n')).toHaveLength(n);
      expect(end).toEqual({ type: 'end', reason: 'eof' });
    }
    // Without tailLines: the last 500 lines (the local log has fewer, so all of it).
    const all = await readAll('one', {});
    expect(all.text).toBe((await kubectl(['-n', ns, 'logs', 'one', '--tail', '500'])).stdout);
    await eventually('agent streams to end', () => Promise.resolve(agentStreams() === 0));
  });

  it('passes previous, timestamps and sinceSeconds through', async () => {
    const previous = await readAll('one', { previous: 'true' });
    expect(previous.text).toBe((await kubectl(['-n', ns, 'logs', 'one', '--previous'])).stdout);
    expect(previous.text).toContain('previous container instance');

    const stamped = await readAll('one', { timestamps: 'true', tailLines: '2' });
    expect(stamped.text).toBe((await kubectl(['-n', ns, 'logs', 'one', '--timestamps', '--tail', '2'])).stdout);
    for (const line of stamped.text.trimEnd().split('\n'))
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /);

    // The local log starts with lines an hour old; a line appended now is the only recent one of ours.
    const marker = `since-${randomUUID()}`;
    await appendContainerLog([marker]);
    const recent = await readAll('one', { sinceSeconds: '600' });
    expect(recent.text).toContain(marker);
    expect(recent.text).not.toContain('simulated container log, line');
  });

  it('follows: streams a line appended after connecting; closing the socket ends the agent stream', async () => {
    const c = await openOk('one', { follow: 'true', tailLines: '1' });
    await eventually('the last line', () => Promise.resolve(c.text.length > 0));
    expect(agentStreams()).toBe(1);
    expect(p.hub.logs.stats().streams).toBe(1);
    const metrics = await p.hub.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/^wheelhouse_log_streams 1$/m);

    const marker = `follow-${randomUUID()}`;
    await appendContainerLog([`${marker} ✓ ünïcödé`]);
    await c.waitFor(`${marker} ✓ ünïcödé\n`);
    expect(c.end).toBeUndefined();

    c.ws.close();
    await c.closed;
    await eventually('the agent to abort its Kubernetes request', () => Promise.resolve(agentStreams() === 0), {
      timeoutMs: 5000,
    });
    expect(p.hub.logs.stats().streams).toBe(0);
    expect((await p.hub.app.inject({ url: '/metrics' })).body).toMatch(/^wheelhouse_log_streams 0$/m);
  }, 30_000);

  it("works with a session cookie (from the hub's own page) as well as a bearer token", async () => {
    const session = await login(p.hub, viewer.username, viewer.password);
    const c = await openOk('one', { tailLines: '1' }, { cookie: session.cookie, origin: p.url });
    expect(await c.waitEnd()).toMatchObject({ reason: 'eof' });
    expect(c.text.trimEnd().split('\n')).toHaveLength(1);
  });

  it('refuses a multi-container pod without a container (listing them), a missing container or pod; reads the named container', async () => {
    const r = await open(bearer(viewer.token), 'two');
    expect(r).toMatchObject({ status: 400, body: { error: 'container_required', containers: ['app', 'sidecar'] } });
    expect(await open(bearer(viewer.token), 'two', { container: 'nope' })).toMatchObject({
      status: 404,
      body: { error: 'not_found', containers: ['app', 'sidecar'] },
    });
    expect(await open(bearer(viewer.token), 'ghost')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const side = await readAll('two', { container: 'sidecar', tailLines: '3' });
    expect(side.text).toBe((await kubectl(['-n', ns, 'logs', 'two', '-c', 'sidecar', '--tail', '3'])).stdout);
  });

  it('answers 403 (naming permission and scope) to a viewer of another namespace, before any stream opens', async () => {
    const opened = p.agent.logs.stats().opened;
    const r = await open(bearer(otherViewer.token), 'one');
    expect(r).toMatchObject({
      status: 403,
      body: { error: 'forbidden', permission: 'logs:read', scope: { cluster: p.cluster, namespace: ns } },
    });
    expect(await open({}, 'one')).toMatchObject({ status: 401 });
    expect(p.agent.logs.stats().opened).toBe(opened);
  });

  it('an inventory-viewer sees the pod but not its logs: 403 naming logs:read, audited as logs.open denied', async () => {
    const inv = await addUser(p.hub, { bindings: [{ role: 'inventory-viewer', namespace: ns }] });
    const opened = p.agent.logs.stats().opened;
    const containers = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/pods/${ns}/one/containers`,
      headers: bearer(inv.token),
    });
    expect(containers.statusCode).toBe(200);
    expect(await open(bearer(inv.token), 'one')).toMatchObject({
      status: 403,
      body: { error: 'forbidden', permission: 'logs:read', scope: { cluster: p.cluster, namespace: ns } },
    });
    const audit = await p.hub.audit.query({ action: 'logs.open', actor: inv.username, limit: 10 });
    expect(audit.items).toMatchObject([{ outcome: 'denied', target: { kind: 'Pod', namespace: ns, name: 'one' } }]);
    expect(p.agent.logs.stats().opened).toBe(opened);
  });

  it('audits every stream that opens: who, which pod, which container', async () => {
    const before = await p.hub.audit.query({ action: 'logs.open', actor: viewer.username, limit: 500 });
    await readAll('two', { container: 'sidecar', tailLines: '2' });
    const after = await p.hub.audit.query({ action: 'logs.open', actor: viewer.username, limit: 500 });
    expect(after.items.length - before.items.length).toBe(1);
    expect(after.items[0]).toMatchObject({
      actor: viewer.username,
      action: 'logs.open',
      outcome: 'allowed',
      cluster: p.cluster,
      target: { kind: 'Pod', namespace: ns, name: 'two' },
      params: { container: 'sidecar' },
      detail: { follow: false, previous: false, tailLines: 2 },
    });
  });

  it('limits open streams per user: 429 too_many_log_streams naming user and limit, audited; a closed stream frees its slot', async () => {
    const streams: LogClient[] = [];
    for (let i = 0; i < STREAMS_PER_USER; i++) streams.push(await openOk('one', { follow: 'true', tailLines: '1' }));
    await eventually('the agent to open them', () => Promise.resolve(agentStreams() === STREAMS_PER_USER));
    const opened = p.agent.logs.stats().opened;
    const over = await open(bearer(viewer.token), 'one', { follow: 'true' });
    expect(over).toMatchObject({
      status: 429,
      body: {
        error: 'too_many_log_streams',
        message: `${viewer.username} already has ${STREAMS_PER_USER} open log streams (the per-user limit); close one first`,
      },
    });
    expect(p.agent.logs.stats().opened).toBe(opened);
    const audit = await p.hub.audit.query({ action: 'logs.open', actor: viewer.username, limit: 1 });
    expect(audit.items[0]).toMatchObject({ outcome: 'rejected', detail: { error: 'too_many_log_streams' } });
    // Someone else is not held to this user's streams.
    const other = await addUser(p.hub, { bindings: [{ role: 'viewer' }] });
    const theirs = await open(bearer(other.token), 'one', { follow: 'true', tailLines: '1' });
    expect('client' in theirs).toBe(true);
    if ('client' in theirs) theirs.client.ws.close();
    // Closing one frees a slot.
    const first = streams.shift();
    first?.ws.close();
    await first?.closed;
    await eventually('the hub to drop the closed stream', () =>
      Promise.resolve(p.hub.logs.activeFor(viewer.username) < STREAMS_PER_USER),
    );
    streams.push(await openOk('one', { follow: 'true', tailLines: '1' }));
    for (const s of streams) s.ws.close();
    await Promise.all(streams.map((s) => s.closed));
  });

  it('ends with the Kubernetes error when the API server refuses (the pod went away after the checks)', async () => {
    // The route checks the hub's inventory first; start a stream past them, as if the pod was deleted in between.
    const sent: LogsServerMessage[] = [];
    const fake = Object.assign(new EventEmitter(), {
      OPEN: 1,
      readyState: 1,
      bufferedAmount: 0,
      send: (text: string) => sent.push(JSON.parse(text) as LogsServerMessage),
      close() {
        this.readyState = 3;
      },
    });
    p.hub.logs.start(fake as unknown as WebSocket, {
      user: viewer.username,
      cluster: p.cluster,
      namespace: ns,
      pod: 'gone',
      container: 'app',
      follow: true,
      previous: false,
      timestamps: false,
    });
    const end = await eventually('the end', () => Promise.resolve(sent.find((m) => m.type === 'end')));
    expect(end).toEqual({
      type: 'end',
      reason: 'error',
      message: expect.stringContaining('"gone" not found') as unknown,
    });
    expect(fake.readyState).toBe(3);
    expect(agentStreams()).toBe(0);
  });

  it('answers 503 agent_unavailable when the cluster has no agent', async () => {
    await p.hub.clusters.create('logs-no-agent', 'test');
    expect(await open(bearer(viewer.token), 'one', {}, 'logs-no-agent')).toMatchObject({
      status: 503,
      body: { error: 'agent_unavailable' },
    });
  });

  it('ends with agent-lost and closes when the agent link drops', async () => {
    const c = await openOk('one', { follow: 'true', tailLines: '1' });
    await eventually('the last line', () => Promise.resolve(c.text.length > 0));
    p.hub.link.disconnect(p.cluster, 4409, 'test: link replaced');
    expect(await c.waitEnd(5000)).toMatchObject({ type: 'end', reason: 'agent-lost' });
    await c.closed;
    // The agent dropped its stream with the link (it reconnects by itself).
    await eventually('agent streams to end', () => Promise.resolve(agentStreams() === 0), { timeoutMs: 5000 });
  }, 30_000);
});
