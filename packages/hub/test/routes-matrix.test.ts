// The matrix's completeness and the streaming routes:
//   - every route the hub registers (read from Fastify at run time) is in a
//     matrix table or named public with a reason, and no table names a route
//     that no longer exists;
//   - public routes answer without credentials and write nothing;
//   - live feed, pod logs and the agent link × every identity;
//   - the live feed, subscribed for real, delivers to each identity only the
//     namespaces it may view.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CONNECT_PATH } from '@wheelhouse/protocol';
import { createHub, type Hub } from '../src/server.js';
import { ALL_MATRICES, STREAM_MATRIX, annotateRequest, useMatrix } from './support/authz-cases.js';
import { PUBLIC_ROUTES, coverageGaps, registeredRoutes } from './support/authz-matrix.js';
import { changesDuring, describeChange } from './support/db-snapshot.js';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();

describe('every registered route is in the matrix', () => {
  let hub: Hub;
  // A console build of two files, so the console's routes are registered as they are in production.
  const webRoot = mkdtempSync(join(tmpdir(), 'wh-matrix-web-'));
  const CONSOLE_FILES = ['GET /index.html', 'GET /assets/app-1a2b3c.js'];
  beforeAll(async () => {
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(webRoot, 'assets', 'app-1a2b3c.js'), 'console.log(1)');
    hub = await createHub({ logger: false, webRoot });
    await hub.app.ready();
  });
  afterAll(async () => {
    await hub.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('reads the routes from Fastify, including those outside any OpenAPI tag', () => {
    const routes = registeredRoutes(hub.app);
    for (const r of ['GET /api/v1/live', 'GET /metrics', `GET ${AGENT_CONNECT_PATH}`, 'HEAD /api/v1/me'])
      expect(routes).toContain(r);
    expect(routes.length).toBeGreaterThan(40);
  });

  it('covers each route exactly once, and names no route that does not exist', () => {
    const covered = ALL_MATRICES.flatMap((t) => t.cases.map((c) => c.route));
    expect(coverageGaps(hub.app, covered, [...Object.keys(PUBLIC_ROUTES), ...CONSOLE_FILES])).toEqual({
      uncovered: [],
      stale: [],
      duplicated: [],
    });
  });

  it('public routes answer without credentials and change nothing', async () => {
    const calls: [string, string, number][] = [
      ['GET', '/healthz', 200],
      ['GET', '/readyz', 200],
      ['GET', '/metrics', 200],
      ['GET', '/api/v1/version', 200],
      ['GET', '/api/v1/auth/methods', 200],
      ['GET', '/api/v1/auth/oidc/login', 404],
      ['GET', '/api/v1/auth/oidc/callback?state=x&code=y', 404],
      ['GET', '/api/openapi.json', 200],
      ['GET', '/', 200],
      ['GET', '/c/prod/workloads', 200],
      ['GET', '/api/v1/no-such-route', 404],
      ['GET', '/index.html', 200],
      ['GET', '/assets/app-1a2b3c.js', 200],
      ['GET', `/pf/${'A'.repeat(43)}/`, 404],
      ['GET', '/pf/not-a-token', 302],
    ];
    for (const [method, url, status] of calls) {
      const { result, changes } = await changesDuring(hub.db, () => hub.app.inject({ method: 'GET', url }));
      expect(result.statusCode, `${method} ${url}`).toBe(status);
      expect(changes.map(describeChange), `${method} ${url}`).toEqual([]);
    }
  });

  it('/metrics names no user, cluster or object', async () => {
    await addUser(hub, { username: 'metrics-secret-user', bindings: [{ role: 'viewer' }] });
    await hub.clusters.create('metrics-secret-cluster', 'test');
    const text = (await hub.app.inject({ url: '/metrics' })).body;
    expect(text).toContain('wheelhouse_agents_connected');
    expect(text).not.toMatch(/metrics-secret/);
  });
});

describe('authorization matrix: live feed, pod logs, agent link', () => {
  const m = useMatrix(STREAM_MATRIX);
  let clusterToken = '';
  let agent: WebSocket;
  const fromAgent: string[] = [];

  const send = (msg: unknown): void => agent.send(JSON.stringify(msg));

  beforeAll(async () => {
    await m.hub.app.ready();
    clusterToken = (await m.hub.clusters.rotateToken('prod-east')) ?? '';
    agent = await m.hub.app.injectWS(AGENT_CONNECT_PATH, { headers: bearer(clusterToken) });
    const welcomed = new Promise<void>((resolve) =>
      agent.on('message', (d: Buffer) => {
        fromAgent.push(d.toString());
        if (d.toString().includes('"welcome"')) resolve();
      }),
    );
    send({
      type: 'hello',
      protocol: 1,
      agentVersion: 'test',
      kubernetesVersion: 'v1.35.4',
      capabilities: { basic: true, advanced: true, podExec: true },
    });
    await welcomed;
  });
  afterAll(() => agent.terminate());

  it('the agent link opens with the cluster token and with no user credential', async () => {
    for (const name of ['account-admin', 'operator']) {
      const user = m.identities.get(name);
      await expect(
        m.hub.app.injectWS(AGENT_CONNECT_PATH, { headers: bearer(user?.token ?? '') }),
        name,
      ).rejects.toThrow(/401/);
    }
    await expect(m.hub.app.injectWS(AGENT_CONNECT_PATH, {})).rejects.toThrow(/401/);
  });

  it('the live feed refuses anonymous callers and identities without view on the cluster', async () => {
    await expect(m.hub.app.injectWS('/api/v1/live?cluster=prod-east', {})).rejects.toThrow(/401/);
    for (const name of ['no-role', 'operator@staging']) {
      const user = m.identities.get(name);
      const { changes, result } = await changesDuring(m.hub.db, () =>
        m.hub.app.injectWS('/api/v1/live?cluster=prod-east', { headers: bearer(user?.token ?? '') }).then(
          () => 'opened',
          (err: unknown) => String(err),
        ),
      );
      // 404, as for a cluster that does not exist: a 403 would confirm the name.
      expect(result, name).toMatch(/404/);
      // One 'denied' audit record, nothing else.
      expect(
        changes.map((c) => `${c.kind} ${c.table} ${String(c.after?.outcome)}`),
        name,
      ).toEqual(['added audit_log denied']);
    }
  });

  it('delivers to each subscriber only the namespaces it may view', async () => {
    const subscribers = ['viewer', 'viewer@*/team-a', 'operator@*/team-b'] as const;
    const received = new Map<string, { type: string; namespaces: string[]; names: string[] }[]>();
    const sockets: WebSocket[] = [];
    for (const name of subscribers) {
      const user = m.identities.get(name);
      const got: { type: string; namespaces: string[]; names: string[] }[] = [];
      received.set(name, got);
      const onMessage = (d: Buffer): void => {
        const msg = JSON.parse(d.toString()) as {
          type: string;
          upserts?: { namespace: string; name: string }[];
          deletes?: { namespace: string; name: string }[];
          event?: { namespace: string; name: string };
          command?: { target: { namespace: string; name: string } };
        };
        const objs = [...(msg.upserts ?? []), ...(msg.deletes ?? [])];
        if (msg.event) objs.push(msg.event);
        if (msg.command) objs.push(msg.command.target);
        got.push({ type: msg.type, namespaces: objs.map((o) => o.namespace), names: objs.map((o) => o.name) });
      };
      // Listening from the start: the hub says 'subscribed' as soon as the socket opens.
      const ws = await m.hub.app.injectWS(
        '/api/v1/live?cluster=prod-east',
        { headers: bearer(user?.token ?? '') },
        { onInit: (w) => w.on('message', onMessage) },
      );
      sockets.push(ws);
      await expect.poll(() => got.some((g) => g.type === 'subscribed'), { message: name }).toBe(true);
    }

    const item = (kind: string, namespace: string, name: string) => ({
      kind,
      namespace,
      name,
      uid: `uid-${namespace || 'cluster'}-${name}`,
      resourceVersion: '1',
      createdAt: Date.now(),
      labels: {},
      ownerRefs: [],
      // What the agent's projections send for these kinds (the link validates each kind's summary).
      summary:
        kind === 'Node' ? { unschedulable: false, conditions: {}, taints: [], addresses: [], spec: {} } : { keys: [] },
    });
    const event = (namespace: string, name: string) => ({
      id: `ev-${namespace}-${name}`,
      time: Date.now(),
      type: 'created',
      severity: 'info',
      kind: 'ConfigMap',
      namespace,
      name,
      summary: `ConfigMap ${name} created`,
      data: { images: null },
    });
    // Inventory (one batch mixing namespaces, and a cluster-scoped Node), timeline, commands.
    send({
      type: 'inventory.changes',
      upserts: [item('ConfigMap', 'team-a', 'cm-a'), item('ConfigMap', 'team-b', 'cm-b'), item('Node', '', 'node-x')],
      deletes: [{ kind: 'ConfigMap', uid: 'uid-team-b-gone-b', namespace: 'team-b', name: 'gone-b' }],
    });
    send({ type: 'timeline', events: [event('team-b', 'ev-b'), event('team-a', 'ev-a'), event('', 'ev-node')] });
    const admin = m.identities.get('account-admin');
    for (const ns of ['team-b', 'team-a']) {
      const res = await m.hub.app.inject({
        method: 'POST',
        url: '/api/v1/clusters/prod-east/actions',
        payload: annotateRequest(ns),
        headers: bearer(admin?.token ?? ''),
      });
      expect(res.statusCode).toBe(202);
    }
    // A barrier every subscriber sees: a second hello publishes the cluster. Each socket delivers
    // in order, so once it has arrived everything published before it has too.
    send({
      type: 'hello',
      protocol: 1,
      agentVersion: 'test-2',
      kubernetesVersion: 'v1.35.4',
      capabilities: { basic: true, advanced: true, podExec: true },
    });
    for (const name of subscribers)
      await expect
        .poll(() => (received.get(name) ?? []).filter((g) => g.type === 'cluster').length, { message: name })
        .toBeGreaterThanOrEqual(1);
    for (const s of sockets) s.terminate();

    const seen = (name: string) => {
      const got = received.get(name) ?? [];
      return {
        namespaces: [...new Set(got.flatMap((g) => g.namespaces))].sort(),
        names: [...new Set(got.flatMap((g) => g.names))].sort(),
      };
    };
    expect(seen('viewer').namespaces).toEqual(['', 'team-a', 'team-b']);
    expect(seen('viewer').names).toEqual(expect.arrayContaining(['cm-a', 'cm-b', 'node-x', 'gone-b', 'ev-a', 'ev-b']));
    expect(seen('viewer@*/team-a')).toEqual({ namespaces: ['team-a'], names: ['cm-a', 'ev-a', 'settings'] });
    expect(seen('operator@*/team-b')).toEqual({
      namespaces: ['team-b'],
      names: ['cm-b', 'ev-b', 'gone-b', 'settings'],
    });
  });
});
