// Issue 13 item 15: sessions end at an absolute lifetime however much they
// are used; API tokens always expire (default, capped by a maximum); minting a
// token needs the password again; a password change or reset revokes the
// user's tokens (and other sessions).
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLifetimes } from '../src/auth/credential-lifetimes.js';
import { sha256Hex } from '../src/auth/secrets.js';
import { SOCKET_CLOSE_REVOKED } from '../src/http/socket-registry.js';
import { createHub, type Hub } from '../src/server.js';
import { startHub } from './support/hub-with-agent.js';
import { addUser, bearer, login, sessionHeaders, useFastPasswordHashing, type TestUser } from './support/identity.js';

useFastPasswordHashing();

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

let hub: Hub;
let admin: TestUser;
beforeAll(async () => {
  hub = await createHub({ logger: false, lifetimes: { tokenMaxDays: 30, tokenDefaultDays: 7 } });
  admin = await addUser(hub, { username: 'root', bindings: [{ role: 'account-admin' }] });
});
afterAll(() => hub.close());

const me = (headers: Record<string, string>) => hub.app.inject({ method: 'GET', url: '/api/v1/me', headers });
const idHashOf = (cookie: string): string => sha256Hex(cookie.replace('wh_session=', ''));

describe('session lifetime', () => {
  it('a session in constant use still ends 12 h after sign-in (absolute), not only after 8 h idle', async () => {
    const u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    const s = await login(hub, u.username, u.password);
    const idHash = idHashOf(s.cookie);
    // Signed in 11.5 h ago and used a minute ago: the idle expiry is far away.
    const signedIn = Date.now() - 11.5 * HOUR;
    await hub.db
      .updateTable('sessions')
      .set({ created_at: signedIn, expires_at: Date.now() + 60_000 })
      .where('id_hash', '=', idHash)
      .execute();
    expect((await me({ cookie: s.cookie })).statusCode).toBe(200);
    const slid = await hub.db
      .selectFrom('sessions')
      .select('expires_at')
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    // Slid forward, but only to the absolute end (not now + 8 h).
    expect(slid?.expires_at).toBe(signedIn + 12 * HOUR);

    await hub.db
      .updateTable('sessions')
      .set({ created_at: Date.now() - 12 * HOUR - 1000, expires_at: Date.now() + 7 * HOUR })
      .where('id_hash', '=', idHash)
      .execute();
    const res = await me({ cookie: s.cookie });
    expect(res.statusCode).toBe(401);
    const body = res.json<{ error: string; message: string }>();
    expect(body.error).toBe('unauthenticated');
    expect(body.message).toMatch(/session has expired/);
  });

  it('the idle and absolute lifetimes are configurable (--session-idle, --session-max-age)', async () => {
    const h = await createHub({ logger: false, lifetimes: { sessionIdleMs: 5 * 60_000, sessionMaxAgeMs: HOUR } });
    try {
      const u = await addUser(h, {});
      const s = await login(h, u.username, u.password);
      const row = await h.db
        .selectFrom('sessions')
        .selectAll()
        .where('id_hash', '=', idHashOf(s.cookie))
        .executeTakeFirst();
      expect((row?.expires_at ?? 0) - (row?.created_at ?? 0)).toBe(5 * 60_000);
      await h.db
        .updateTable('sessions')
        .set({ created_at: Date.now() - HOUR })
        .where('id_hash', '=', idHashOf(s.cookie))
        .execute();
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } })).statusCode).toBe(
        401,
      );
    } finally {
      await h.close();
    }
  });
});

describe('API tokens', () => {
  const create = (headers: Record<string, string>, payload: Record<string, unknown>) =>
    hub.app.inject({ method: 'POST', url: '/api/v1/tokens', headers, payload });

  it('need the password again: missing is 400 naming body.password, wrong is 403 and audited, nothing created', async () => {
    const u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    const count = async () =>
      (await hub.db.selectFrom('api_tokens').select('id').where('user_id', '=', u.userId).execute()).length;
    const before = await count();
    const missing = await create(bearer(u.token), { name: 'x' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: 'body.password' }] });
    const s = await login(hub, u.username, u.password);
    const wrong = await create(sessionHeaders(s), { name: 'x', password: 'not-the-password' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ error: 'reauthentication_failed' });
    expect(await count()).toBe(before);
    const audit = await hub.app.inject({
      method: 'GET',
      url: `/api/v1/audit?action=token.create&actor=${u.username}`,
      headers: bearer(admin.token),
    });
    expect(audit.json<{ items: unknown[] }>().items[0]).toMatchObject({
      outcome: 'failed',
      detail: { reason: 'wrong_password' },
    });
    const right = await create(sessionHeaders(s), { name: 'x', password: u.password });
    expect(right.statusCode).toBe(201);
  });

  it("expire after the hub's default without expiresInDays, and never beyond its maximum", async () => {
    const t0 = Date.now();
    const byDefault = await create(bearer(admin.token), { name: 'd', password: admin.password });
    expect(byDefault.statusCode).toBe(201);
    const { expiresAt } = byDefault.json<{ expiresAt: number }>();
    expect(expiresAt).toBeGreaterThanOrEqual(t0 + 7 * DAY);
    expect(expiresAt).toBeLessThan(Date.now() + 7 * DAY + 1000);
    const tooLong = await create(bearer(admin.token), { name: 'l', password: admin.password, expiresInDays: 31 });
    expect(tooLong.statusCode).toBe(400);
    const issues = tooLong.json<{ issues: { path: string; message: string }[] }>().issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('body.expiresInDays');
    expect(issues[0]?.message).toContain('at most 30');
    const longest = await create(bearer(admin.token), { name: 'm', password: admin.password, expiresInDays: 30 });
    expect(longest.statusCode).toBe(201);
  });

  it('without settings the default is 90 days and the maximum 365', () => {
    expect(resolveLifetimes()).toMatchObject({ tokenDefaultDays: 90, tokenMaxDays: 365 });
    expect(() => resolveLifetimes({ tokenDefaultDays: 400 })).toThrow(/exceeds the maximum/);
  });
});

describe('a password change or reset revokes API tokens', () => {
  it('self-change: every token of the user is revoked (the changing session stays)', async () => {
    const u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    const s = await login(hub, u.username, u.password);
    const res = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: sessionHeaders(s),
      payload: { current: u.password, next: 'a-new-password-1' },
    });
    expect(res.statusCode).toBe(204);
    expect((await me(bearer(u.token))).statusCode).toBe(401);
    expect((await me({ cookie: s.cookie })).statusCode).toBe(200);
  });

  it('admin reset: sessions end and tokens are revoked', async () => {
    const u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    const s = await login(hub, u.username, u.password);
    const res = await hub.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${u.userId}`,
      headers: bearer(admin.token),
      payload: { password: 'reset-password-1' },
    });
    expect(res.statusCode).toBe(200);
    expect([(await me(bearer(u.token))).statusCode, (await me({ cookie: s.cookie })).statusCode]).toEqual([401, 401]);
  });
});

describe('open sockets end with their credential', () => {
  it("a live socket of a session closes when the session reaches its absolute lifetime (4401, 'the session expired')", async () => {
    const { hub: h, url } = await startHub({ lifetimes: { sessionMaxAgeMs: HOUR } });
    try {
      await h.clusters.create('c1', 'test');
      const u = await addUser(h, { bindings: [{ role: 'viewer' }] });
      const s = await login(h, u.username, u.password);
      // Signed in almost an hour ago: the session has 300 ms left.
      await h.db
        .updateTable('sessions')
        .set({ created_at: Date.now() - HOUR + 300 })
        .where('id_hash', '=', idHashOf(s.cookie))
        .execute();
      const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live?cluster=c1`, {
        headers: { cookie: s.cookie, origin: url },
      });
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
      );
      await new Promise<void>((resolve, reject) => {
        ws.on('open', () => resolve());
        ws.on('error', reject);
      });
      expect(await closed).toEqual({ code: SOCKET_CLOSE_REVOKED, reason: 'the session expired' });
    } finally {
      await h.close();
    }
  }, 20_000);

  it('a socket closes when its session passes its idle expiry, or its token stops being valid by any other path', async () => {
    const { hub: h, url } = await startHub();
    try {
      await h.clusters.create('c1', 'test');
      const u = await addUser(h, { bindings: [{ role: 'viewer' }] });
      const s = await login(h, u.username, u.password);
      const open = async (headers: Record<string, string>) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live?cluster=c1`, { headers });
        const closed = new Promise<{ code: number; reason: string }>((resolve) =>
          ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
        );
        await new Promise<void>((resolve, reject) => {
          ws.on('open', () => resolve());
          ws.on('error', reject);
        });
        return { closed };
      };
      const bySession = await open({ cookie: s.cookie, origin: url });
      const byToken = await open(bearer(u.token));
      // Unused for its idle lifetime (nothing slid it), and a token revoked straight in the store.
      await h.db
        .updateTable('sessions')
        .set({ expires_at: Date.now() - 1 })
        .where('id_hash', '=', idHashOf(s.cookie))
        .execute();
      await h.db.updateTable('api_tokens').set({ revoked_at: Date.now() }).where('id', '=', u.tokenId).execute();
      expect(await bySession.closed).toEqual({ code: SOCKET_CLOSE_REVOKED, reason: 'the session ended or expired' });
      expect(await byToken.closed).toEqual({ code: SOCKET_CLOSE_REVOKED, reason: 'the API token is no longer valid' });
    } finally {
      await h.close();
    }
  }, 20_000);
});
