// The pod log relay without a cluster: bounded buffering (drop and say so),
// ends, closes, and the logs route's authorization matrix.
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubMessage, LogsServerMessage } from '@wheelhouse/protocol';
import { LogRelay, type LogStreamRequest } from '../src/logs/log-relay.js';
import { HubMetrics } from '../src/metrics.js';
import { createHub, type Hub } from '../src/server.js';
import {
  DEFAULT_IDENTITIES,
  checkAuthzCase,
  setupIdentities,
  type AuthzCase,
  type Identity,
  type IdentitySpec,
} from './support/authz-matrix.js';
import { useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: LogsServerMessage[] = [];
  closeCode: number | null = null;

  send(text: string): void {
    this.sent.push(JSON.parse(text) as LogsServerMessage);
  }

  close(code: number): void {
    this.closeCode = code;
    this.readyState = 3;
  }
}

function setup(maxBuffered = 1000) {
  const toAgent: { cluster: string; msg: HubMessage }[] = [];
  const foreign: { cluster: string; what: string; id: string }[] = [];
  let connected = true;
  const metrics = new HubMetrics();
  const audited: unknown[] = [];
  const audit = {
    record: (r: unknown) => {
      audited.push(r);
      return Promise.resolve({} as never);
    },
  };
  const relay = new LogRelay({ metrics, audit, options: { maxBuffered } });
  relay.attach({
    sendTo: (cluster, msg) => {
      if (!connected) return false;
      toAgent.push({ cluster, msg });
      return true;
    },
    isConnected: () => connected,
    refuseForeign: (cluster, what, id) => foreign.push({ cluster, what, id }),
  });
  const req: LogStreamRequest = {
    user: 'alice',
    cluster: 'c1',
    namespace: 'ns',
    pod: 'web-0',
    container: 'app',
    follow: true,
    previous: false,
    timestamps: false,
  };
  // The agent is asked once the open is audited (a microtask later).
  const open = async (r: Partial<LogStreamRequest> = {}) => {
    const socket = new FakeSocket();
    const id = relay.start(socket as unknown as WebSocket, { ...req, ...r });
    await new Promise((resolve) => setImmediate(resolve));
    return { socket, id };
  };
  return { relay, toAgent, foreign, open, metrics, audited, disconnect: () => (connected = false) };
}

describe('log relay', () => {
  it('audits the open, asks the agent with the request (no tailLines when not given), forwards text, ends on the agent’s end', async () => {
    const { relay, toAgent, foreign, open, audited } = setup();
    const { socket, id } = await open({ tailLines: 20 });
    expect(audited).toEqual([
      {
        actor: 'alice',
        action: 'logs.open',
        clusterId: 'c1',
        target: { kind: 'Pod', namespace: 'ns', name: 'web-0' },
        params: { container: 'app' },
        outcome: 'allowed',
        detail: { streamId: id, follow: true, previous: false, tailLines: 20, sinceSeconds: null },
      },
    ]);
    expect(toAgent).toEqual([
      {
        cluster: 'c1',
        msg: {
          type: 'logs.open',
          streamId: id,
          namespace: 'ns',
          pod: 'web-0',
          container: 'app',
          follow: true,
          previous: false,
          timestamps: false,
          tailLines: 20,
          user: 'alice',
        },
      },
    ]);
    relay.onLogs('c1', { type: 'logs.data', streamId: id, text: 'hello\n' });
    // Another cluster's agent cannot write into this stream.
    relay.onLogs('c2', { type: 'logs.data', streamId: id, text: 'intruder\n' });
    expect(foreign).toEqual([{ cluster: 'c2', what: 'log_stream', id }]);
    relay.onLogs('c1', { type: 'logs.end', streamId: id, reason: 'eof' });
    expect(socket.sent).toEqual([
      { type: 'data', text: 'hello\n' },
      { type: 'end', reason: 'eof' },
    ]);
    expect(socket.closeCode).toBe(1000);
    expect(relay.stats().streams).toBe(0);
    // The agent ended it: no logs.close back.
    expect(toAgent.filter((m) => m.msg.type === 'logs.close')).toEqual([]);
  });

  it('drops text while the browser socket is over the bound, then says how much before the next text', async () => {
    const { relay, open, metrics } = setup(1000);
    const { socket, id } = await open();
    socket.bufferedAmount = 5000;
    relay.onLogs('c1', { type: 'logs.data', streamId: id, text: 'x'.repeat(300) });
    relay.onLogs('c1', { type: 'logs.data', streamId: id, text: 'ü'.repeat(100) }); // 200 bytes
    expect(socket.sent).toEqual([]);
    socket.bufferedAmount = 0;
    relay.onLogs('c1', { type: 'logs.data', streamId: id, text: 'after\n' });
    expect(socket.sent).toEqual([
      { type: 'dropped', bytes: 500 },
      { type: 'data', text: 'after\n' },
    ]);
    expect(await metrics.registry.getSingleMetricAsString('wheelhouse_log_dropped_bytes_total')).toContain(
      'wheelhouse_log_dropped_bytes_total 500',
    );

    // With no more text, the notice still comes once the socket drains.
    socket.bufferedAmount = 5000;
    relay.onLogs('c1', { type: 'logs.data', streamId: id, text: 'lost' });
    socket.bufferedAmount = 0;
    await new Promise((r) => setTimeout(r, 250));
    expect(socket.sent.at(-1)).toEqual({ type: 'dropped', bytes: 4 });
    relay.closeAll();
  });

  it('a browser that closes makes the hub close the agent stream; a lost agent ends its streams', async () => {
    const { relay, toAgent, open } = setup();
    const a = await open();
    a.socket.readyState = 3;
    a.socket.emit('close');
    expect(toAgent.at(-1)).toEqual({ cluster: 'c1', msg: { type: 'logs.close', streamId: a.id } });
    const b = await open();
    const other = await open({ cluster: 'c2' });
    relay.onAgentGone('c1', 'link closed');
    expect(b.socket.sent).toEqual([
      { type: 'end', reason: 'agent-lost', message: expect.stringContaining('lost the agent') as unknown },
    ]);
    expect(other.socket.sent).toEqual([]);
    expect(relay.stats().streams).toBe(1);
  });

  it('ends at once with agent-lost when the agent is not there to ask', async () => {
    const { open, disconnect } = setup();
    disconnect();
    const { socket } = await open();
    expect(socket.sent).toEqual([
      { type: 'end', reason: 'agent-lost', message: expect.stringContaining('not connected') as unknown },
    ]);
  });
});

const IDENTITIES: IdentitySpec[] = [
  ...DEFAULT_IDENTITIES,
  { name: 'viewer@*/team-a', bindings: [{ role: 'viewer', namespace: 'team-a' }] },
  { name: 'viewer@*/team-b', bindings: [{ role: 'viewer', namespace: 'team-b' }] },
  { name: 'operator@staging', bindings: [{ role: 'operator', cluster: 'staging' }] },
];
const VIEW_TEAM_A = ['account-admin', 'operator', 'viewer', 'auditor', 'viewer@*/team-a'];

describe('authorization matrix: pod logs', () => {
  let hub: Hub;
  let identities: Map<string, Identity>;

  beforeAll(async () => {
    hub = await createHub({ logger: false });
    identities = await setupIdentities(hub, IDENTITIES);
    await hub.clusters.create('prod-east', 'test');
    // No agent here: pretend it is connected, so allowed callers reach the end of the checks (426 for a plain GET).
    hub.link.isConnected = () => true;
    const now = Date.now();
    const pod = (name: string, containers: string[]) => ({
      kind: 'Pod' as const,
      namespace: 'team-a',
      name,
      uid: name,
      resourceVersion: '1',
      createdAt: now,
      labels: {},
      ownerRefs: [],
      summary: {
        phase: 'Running',
        ready: true,
        nodeName: null,
        podIP: null,
        qosClass: null,
        startTime: null,
        reason: null,
        restarts: 0,
        containers: containers.map((c) => ({
          name: c,
          state: 'running',
          ready: true,
          restartCount: 0,
          reason: null,
          exitCode: null,
          lastTerminated: null,
        })),
        initContainers: [{ name: 'init', image: 'busybox' }],
      },
    });
    await hub.inventory.applyChanges('prod-east', [pod('web-0', ['app']), pod('web-1', ['app', 'sidecar'])], []);
  });
  afterAll(() => hub.close());

  const CASES: AuthzCase[] = [
    {
      route: 'GET /api/v1/clusters/{cluster}/pods/{namespace}/{pod}/logs',
      allow: VIEW_TEAM_A,
      hidden: ['no-role', 'operator@staging'],
      request: () => ({ url: '/api/v1/clusters/prod-east/pods/team-a/web-0/logs?follow=true' }),
      success: [426],
    },
  ];

  for (const c of CASES) {
    it(c.route, async () => {
      expect(await checkAuthzCase(hub, identities, c)).toEqual([]);
    });
  }

  // That every route is in some matrix is checked once, over all registered routes, in routes-matrix.test.ts.

  it('checks the container and the query before the upgrade', async () => {
    const viewer = identities.get('viewer');
    const get = (q: string) =>
      hub.app.inject({
        url: `/api/v1/clusters/prod-east/pods/team-a/${q}`,
        headers: { authorization: `Bearer ${viewer?.token ?? ''}` },
      });
    expect((await get('web-1/logs')).json()).toMatchObject({
      error: 'container_required',
      containers: ['app', 'sidecar'],
      initContainers: ['init'],
    });
    expect((await get('web-1/logs?container=sidecar')).statusCode).toBe(426);
    expect((await get('web-1/logs?container=init')).statusCode).toBe(426);
    expect((await get('web-1/logs?container=nope')).json()).toMatchObject({
      error: 'not_found',
      containers: ['app', 'sidecar'],
    });
    expect((await get('ghost/logs')).statusCode).toBe(404);
    expect((await get('web-0/logs?follow=yes')).json()).toMatchObject({
      error: 'invalid_request',
      issues: [{ path: 'querystring.follow' }],
    });
    expect((await get('web-0/logs?tailLines=-1')).json()).toMatchObject({
      issues: [{ path: 'querystring.tailLines' }],
    });
    expect((await get('web-0/logs?bogus=1')).statusCode).toBe(400);
  });
});
