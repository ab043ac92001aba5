// Issue 13 item 7: revoking a credential closes the sockets it opened — live
// feed, pod shell (a real exec through the agent into the local cluster) and
// a following log stream — within a second, with close code 4401 and a reason,
// and the shell session is recorded as ended.
import { performance } from 'node:perf_hooks';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsPath, shellPath } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { SOCKET_CLOSE_REVOKED } from '../src/http/socket-registry.js';
import { addUser, bearer, login, sessionHeaders, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();

interface Opened {
  ws: WebSocket;
  texts: string[];
  /** When the client saw the close, with code and reason. */
  closed: Promise<{ at: number; code: number; reason: string }>;
}

function openSocket(url: string, headers: Record<string, string>): Promise<Opened> {
  const ws = new WebSocket(url, { headers });
  const texts: string[] = [];
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) texts.push(data.toString('utf8'));
  });
  const closed = new Promise<{ at: number; code: number; reason: string }>((r) =>
    ws.on('close', (code, reason) => r({ at: performance.now(), code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, texts, closed }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const hasText = (o: Opened, needle: string): Promise<boolean> =>
  Promise.resolve(o.texts.some((t) => t.includes(needle)));

describe('revocation closes sockets', () => {
  let p: Pipeline;
  let ns: string;
  let admin: TestUser;
  const ws = (path: string): string => p.url.replace('http', 'ws') + path;
  const live = (): string => ws(`/api/v1/live?cluster=${p.cluster}`);

  beforeAll(async () => {
    ns = await testNamespace('revoke');
    p = await startPipeline({ hub: { shell: { idleTimeoutMs: 60_000 } } });
    admin = await addUser(p.hub, { username: 'root', bindings: [{ role: 'account-admin' }] });
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'one' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    });
    await eventually(
      'pod one Running in the hub inventory',
      async () => (await p.hub.inventory.get(p.cluster, 'Pod', ns, 'one'))?.summary.phase === 'Running',
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(() => p.stop());

  const patch = (url: string, payload: Record<string, unknown>) =>
    p.hub.app.inject({ method: 'PATCH', url, headers: bearer(admin.token), payload });

  it('disabling a user closes their live, shell and log sockets within 1 s; the shell is recorded as ended', async () => {
    const op = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    const liveSock = await openSocket(live(), bearer(op.token));
    const shell = await openSocket(`${ws(shellPath(p.cluster, ns, 'one'))}?command=sh`, bearer(op.token));
    const logs = await openSocket(`${ws(logsPath(p.cluster, ns, 'one'))}?follow=true`, bearer(op.token));
    await eventually('live subscribed', () => hasText(liveSock, '"subscribed"'));
    await eventually('shell opened', () => hasText(shell, '"opened"'), { timeoutMs: 20_000 });
    expect(p.hub.sockets.size).toBeGreaterThanOrEqual(3);
    const sessionId = (
      await p.hub.db
        .selectFrom('shell_sessions')
        .select(['id', 'ended_at'])
        .where('username', '=', op.username)
        .execute()
    )[0]?.id;
    expect(sessionId).toBeDefined();

    const t0 = performance.now();
    const res = await patch(`/api/v1/users/${op.userId}`, { disabled: true });
    expect(res.statusCode).toBe(200);
    const closes = await Promise.all([liveSock.closed, shell.closed, logs.closed]);
    const slowest = Math.max(...closes.map((c) => c.at - t0));
    console.log(`sockets closed ${Math.round(slowest)} ms after the disable request was sent`);
    expect(slowest).toBeLessThan(1000);
    for (const c of closes) expect(c).toMatchObject({ code: SOCKET_CLOSE_REVOKED, reason: 'the user was disabled' });

    await eventually('the shell session recorded as ended', async () => {
      const row = await p.hub.db
        .selectFrom('shell_sessions')
        .select(['ended_at', 'end_reason'])
        .where('id', '=', sessionId ?? '')
        .executeTakeFirst();
      return row?.ended_at !== null && row?.ended_at !== undefined ? row : undefined;
    }).then((row) => expect(row.end_reason).toBe('revoked'));
    expect(p.hub.shell.activeFor(op.username)).toBe(0);
    expect(p.hub.logs.stats().streams).toBe(0);
  }, 60_000);

  it("removing a binding closes that user's sockets, not other users'", async () => {
    const a = await addUser(p.hub, { bindings: [{ role: 'viewer' }, { role: 'viewer', cluster: p.cluster }] });
    const b = await addUser(p.hub, { bindings: [{ role: 'viewer' }] });
    const sa = await openSocket(live(), bearer(a.token));
    const sb = await openSocket(live(), bearer(b.token));
    const binding = (
      await p.hub.db.selectFrom('role_bindings').select('id').where('user_id', '=', a.userId).execute()
    )[1];
    const t0 = performance.now();
    const res = await p.hub.app.inject({
      method: 'DELETE',
      url: `/api/v1/bindings/${binding?.id ?? ''}`,
      headers: bearer(admin.token),
    });
    expect(res.statusCode).toBe(204);
    const c = await sa.closed;
    expect(c.at - t0).toBeLessThan(1000);
    expect(c).toMatchObject({ code: SOCKET_CLOSE_REVOKED, reason: 'a role binding was removed' });
    expect(sb.ws.readyState).toBe(WebSocket.OPEN);
    sb.ws.close();
  });

  it("signing out closes that session's sockets only; revoking a token closes that token's", async () => {
    const u = await addUser(p.hub, { bindings: [{ role: 'viewer' }] });
    const s1 = await login(p.hub, u.username, u.password);
    const s2 = await login(p.hub, u.username, u.password);
    const one = await openSocket(live(), { cookie: s1.cookie, origin: p.url });
    const two = await openSocket(live(), { cookie: s2.cookie, origin: p.url });
    const tok = await openSocket(live(), bearer(u.token));
    const out = await p.hub.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: sessionHeaders(s1) });
    expect(out.statusCode).toBe(204);
    expect(await one.closed).toMatchObject({ code: SOCKET_CLOSE_REVOKED, reason: 'signed out' });
    expect([two.ws.readyState, tok.ws.readyState]).toEqual([WebSocket.OPEN, WebSocket.OPEN]);
    const del = await p.hub.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${u.tokenId}`,
      headers: bearer(u.token),
    });
    expect(del.statusCode).toBe(204);
    expect(await tok.closed).toMatchObject({ code: SOCKET_CLOSE_REVOKED, reason: 'the API token was revoked' });
    expect(two.ws.readyState).toBe(WebSocket.OPEN);
    two.ws.close();
  });

  it("a password reset by an admin closes the user's sockets; a self-change keeps only the changing session's", async () => {
    const u = await addUser(p.hub, { bindings: [{ role: 'viewer' }] });
    const s = await openSocket(live(), bearer(u.token));
    const res = await patch(`/api/v1/users/${u.userId}`, { password: 'a-brand-new-password' });
    expect(res.statusCode).toBe(200);
    expect(await s.closed).toMatchObject({
      code: SOCKET_CLOSE_REVOKED,
      reason: 'the password was reset by an administrator',
    });

    const v = await addUser(p.hub, { bindings: [{ role: 'viewer' }] });
    const mine = await login(p.hub, v.username, v.password);
    const other = await login(p.hub, v.username, v.password);
    const keep = await openSocket(live(), { cookie: mine.cookie, origin: p.url });
    const lose = await openSocket(live(), { cookie: other.cookie, origin: p.url });
    const change = await p.hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: sessionHeaders(mine),
      payload: { current: v.password, next: 'another-new-password' },
    });
    expect(change.statusCode).toBe(204);
    expect(await lose.closed).toMatchObject({ code: SOCKET_CLOSE_REVOKED, reason: 'the password was changed' });
    expect(keep.ws.readyState).toBe(WebSocket.OPEN);
    keep.ws.close();
  });
});
