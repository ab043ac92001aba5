// A just-in-time grant on the real cluster: a viewer asks for operator on one
// namespace, a peer approves, the person opens a shell in a pod there (the
// agent execs it through the API server); when the grant ends the hub closes
// that shell with reason "denied", records it, and refuses a new one.
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsPath, shellPath } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { SOCKET_CLOSE_REVOKED } from '../src/http/socket-registry.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();

describe('a shell opened under a just-in-time grant', () => {
  let p: Pipeline;
  let ns: string;
  let dev: TestUser;
  let peer: TestUser;
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

  beforeAll(async () => {
    ns = await testNamespace('jit-shell');
    p = await startPipeline();
    dev = await addUser(p.hub, { bindings: [{ role: 'viewer', cluster: p.cluster, namespace: ns }] });
    peer = await addUser(p.hub, { bindings: [{ role: 'operator', cluster: p.cluster }] });
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'payments-0' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    });
    await eventually(
      'the pod running in the hub inventory',
      async () => (await p.hub.inventory.get(p.cluster, 'Pod', ns, 'payments-0'))?.summary.phase === 'Running',
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(() => p.stop());

  const openShell = (token: string) => {
    const u = new URL(shellPath(p.cluster, ns, 'payments-0'), p.url.replace('http', 'ws'));
    for (const arg of ['sh', '-c', 'echo jit-ready; sleep 600']) u.searchParams.append('command', arg);
    return new WebSocket(u, { headers: bearer(token) });
  };

  it('ends when the grant ends, and no new shell opens after it', async () => {
    // Without a grant the viewer may not exec.
    const before = openShell(dev.token);
    const refused = await new Promise<number>((resolve) =>
      before.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(refused).toBe(403);

    const asked = await p.hub.app.inject({
      method: 'POST',
      url: '/api/v1/access-requests',
      headers: bearer(dev.token),
      payload: { role: 'operator', cluster: p.cluster, namespace: ns, duration: '5m', reason: 'INC-7 debug payments' },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const id = asked.json<{ id: string }>().id;
    const approved = await p.hub.app.inject({
      method: 'POST',
      url: `/api/v1/access-requests/${id}/approve`,
      headers: bearer(peer.token),
      payload: { comment: 'ok for the incident' },
    });
    expect(approved.statusCode, approved.body).toBe(200);

    const ws = openShell(dev.token);
    let output = '';
    const controls: { type: string; reason?: string; message?: string }[] = [];
    ws.on('message', (data, isBinary) => {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : '';
      if (isBinary) output += text;
      else controls.push(JSON.parse(text) as { type: string });
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await eventually('the shell running under the grant', () => Promise.resolve(output.includes('jit-ready')), {
      timeoutMs: 30_000,
    });

    // The grant's time is up (the sweeper runs every few seconds; here it is run for a time past the end).
    expect(await p.hub.access.expireDue(Date.now() + 5 * 60_000 + 1)).toBe(1);
    expect(await closed).toBe(1000);
    expect(controls.find((c) => c.type === 'closed')).toMatchObject({
      reason: 'denied',
      message: 'the access this shell was opened under has ended',
    });
    const audit = await p.hub.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'access.expire')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(audit.detail ?? '{}')).toMatchObject({ requestId: id, shellsEnded: 1 });
    const session = await eventually('the shell session recorded as ended', async () => {
      const row = await p.hub.db
        .selectFrom('shell_sessions')
        .selectAll()
        .where('username', '=', dev.username)
        .where('ended_at', 'is not', null)
        .executeTakeFirst();
      return row ?? undefined;
    });
    expect(session.end_reason).toBe('denied');

    const after = openShell(dev.token);
    const again = await new Promise<number>((resolve) =>
      after.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(again).toBe(403);
  });

  it('a log stream opened under a grant closes when the grant ends', async () => {
    // Viewer elsewhere: no logs in this namespace until a grant gives them.
    const reader = await addUser(p.hub, { bindings: [{ role: 'viewer', cluster: p.cluster, namespace: 'elsewhere' }] });
    const openLogs = () =>
      new WebSocket(`${p.url.replace('http', 'ws')}${logsPath(p.cluster, ns, 'payments-0')}?follow=true`, {
        headers: bearer(reader.token),
      });
    const refused = await new Promise<number>((resolve) =>
      openLogs().once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(refused).toBe(403);
    const asked = await p.hub.app.inject({
      method: 'POST',
      url: '/api/v1/access-requests',
      headers: bearer(reader.token),
      payload: { role: 'viewer', cluster: p.cluster, namespace: ns, duration: '5m', reason: 'INC-8 read the logs' },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const approved = await p.hub.app.inject({
      method: 'POST',
      url: `/api/v1/access-requests/${asked.json<{ id: string }>().id}/approve`,
      headers: bearer(peer.token),
      payload: { comment: 'ok' },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    const ws = openLogs();
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    });

    expect(await p.hub.access.expireDue(Date.now() + 5 * 60_000 + 1)).toBe(1);
    expect(await closed).toEqual({
      code: SOCKET_CLOSE_REVOKED,
      reason: 'the just-in-time access they were opened under has ended',
    });
    const again = await new Promise<number>((resolve) =>
      openLogs().once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(again).toBe(403);
  });
});
