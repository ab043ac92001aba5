// Sign-in, sessions, cookies, CSRF, API tokens, disabled users, password
// changes and the first-start admin.
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureAdmin } from '../src/auth/plugin.js';
import { sha256Hex } from '../src/auth/secrets.js';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, login, sessionHeaders, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

describe.each(storeFactories)('identity and sign-in ($name store)', (store) => {
  let hub: Hub;
  let admin: TestUser;
  let viewer: TestUser;

  beforeAll(async () => {
    hub = await createHub({ logger: false, ...(await store.options()) });
    admin = await addUser(hub, { username: 'root', bindings: [{ role: 'account-admin' }] });
    viewer = await addUser(hub, { username: 'vera', bindings: [{ role: 'viewer' }] });
  });
  afterAll(() => hub.close());

  const inject = (opts: InjectOptions): Promise<LightMyRequestResponse> => hub.app.inject(opts);

  async function auditActions(
    filter = '',
  ): Promise<{ action: string; actor: string; outcome: string; detail: Record<string, unknown> | null }[]> {
    const res = await inject({ method: 'GET', url: `/api/v1/audit?limit=500${filter}`, headers: bearer(admin.token) });
    return res.json<{
      items: { action: string; actor: string; outcome: string; detail: Record<string, unknown> | null }[];
    }>().items;
  }

  describe('login and logout', () => {
    it('sets an HttpOnly, SameSite=Strict, Path=/ session cookie (not Secure over http) and returns a CSRF token', async () => {
      const res = await inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'vera', password: viewer.password },
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<{
        user: { id: string; username: string; mustChangePassword: boolean };
        csrfToken: string;
      }>();
      expect(body.user).toEqual({ id: viewer.userId, username: 'vera', mustChangePassword: false });
      expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const setCookie = String(res.headers['set-cookie']);
      expect(setCookie).toMatch(/^wh_session=[A-Za-z0-9_-]{43};/);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Strict');
      expect(setCookie).toContain('Path=/');
      expect(setCookie).not.toContain('Secure');
      // Only the digest of the session id is stored.
      const id = /^wh_session=([^;]+)/.exec(setCookie)?.[1] ?? '';
      const rows = await hub.db.selectFrom('sessions').select('id_hash').execute();
      expect(rows.map((r) => r.id_hash)).toContain(sha256Hex(id));
      expect(rows.map((r) => r.id_hash)).not.toContain(id);
    });

    it('marks the cookie Secure when the request came over https', async () => {
      const h = await createHub({ logger: false, ...(await store.options()) });
      try {
        await addUser(h, { username: 'tls', password: 'tls-password-1' });
        // light-my-request has no TLS; mark its socket encrypted the way a TLS socket is.
        h.app.addHook('onRequest', (req, _reply, done) => {
          (req.raw.socket as { encrypted?: boolean }).encrypted = true;
          done();
        });
        const res = await h.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'tls', password: 'tls-password-1' },
        });
        expect(String(res.headers['set-cookie'])).toContain('Secure');
      } finally {
        await h.close();
      }
    });

    it('answers unknown user and wrong password identically, audits both without the password', async () => {
      const unknown = await inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'nobody', password: 'secret-guess-1' },
      });
      const wrong = await inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'vera', password: 'secret-guess-2' },
      });
      expect(unknown.statusCode).toBe(401);
      expect(wrong.statusCode).toBe(401);
      expect(unknown.json()).toEqual({ error: 'invalid_credentials', message: 'unknown username or wrong password' });
      expect(wrong.json()).toEqual(unknown.json());
      expect(unknown.headers['set-cookie']).toBeUndefined();
      const failed = await auditActions('&action=auth.login&outcome=failed');
      expect(failed.map((r) => [r.actor, r.detail?.reason])).toEqual(
        expect.arrayContaining([
          ['nobody', 'unknown_user'],
          ['vera', 'wrong_password'],
        ]),
      );
      const exported = await inject({
        method: 'GET',
        url: '/api/v1/audit/export?format=jsonl',
        headers: bearer(admin.token),
      });
      expect(exported.body).not.toContain('secret-guess');
    });

    it('usernames are matched case-insensitively at sign-in', async () => {
      const res = await inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'VERA', password: viewer.password },
      });
      expect(res.statusCode).toBe(200);
    });

    it('a session cookie authenticates; logout ends the session and clears the cookie', async () => {
      const s = await login(hub, 'vera', viewer.password);
      const me = await inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } });
      expect(me.statusCode).toBe(200);
      expect(me.json()).toMatchObject({ user: { username: 'vera' }, via: 'session', csrfToken: s.csrfToken });
      const out = await inject({ method: 'POST', url: '/api/v1/auth/logout', headers: sessionHeaders(s) });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(/^wh_session=;.*Expires=Thu, 01 Jan 1970/);
      const after = await inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } });
      expect(after.statusCode).toBe(401);
      expect(after.json()).toMatchObject({ error: 'unauthenticated' });
      expect((await auditActions('&action=auth.logout')).some((r) => r.actor === 'vera')).toBe(true);
    });

    it('a new sign-in replaces the session the browser had', async () => {
      const first = await login(hub, 'vera', viewer.password);
      const res = await inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { cookie: first.cookie },
        payload: { username: 'vera', password: viewer.password },
      });
      expect(res.statusCode).toBe(200); // login needs no CSRF token even with a cookie
      expect((await inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: first.cookie } })).statusCode).toBe(
        401,
      );
    });

    it('expired sessions are refused; active ones slide forward', async () => {
      const s = await login(hub, 'vera', viewer.password);
      const idHash = sha256Hex(s.cookie.replace('wh_session=', ''));
      const soon = Date.now() + 60 * 60 * 1000;
      await hub.db.updateTable('sessions').set({ expires_at: soon }).where('id_hash', '=', idHash).execute();
      expect((await inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } })).statusCode).toBe(200);
      const slid = await hub.db
        .selectFrom('sessions')
        .select('expires_at')
        .where('id_hash', '=', idHash)
        .executeTakeFirstOrThrow();
      // 8 h idle by default (the absolute 12 h since sign-in is further away).
      expect(slid.expires_at).toBeGreaterThan(Date.now() + 7.9 * 60 * 60 * 1000);
      await hub.db
        .updateTable('sessions')
        .set({ expires_at: Date.now() - 1 })
        .where('id_hash', '=', idHash)
        .execute();
      const res = await inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } });
      expect(res.statusCode).toBe(401);
      expect(res.json<{ message: string }>().message).toMatch(/session has expired/);
    });

    it('rejects garbage cookies with 401, never 5xx', async () => {
      for (const cookie of [
        'wh_session=nope',
        `wh_session=${'x'.repeat(5000)}`,
        'wh_session=%ZZ',
        'wh_session="quoted"',
      ]) {
        const res = await inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
        expect(res.statusCode).toBe(401);
      }
    });
  });

  describe('CSRF', () => {
    it('cookie-authenticated unsafe requests need x-csrf-token; safe ones and bearer requests do not', async () => {
      const s = await login(hub, 'vera', viewer.password);
      const noHeader = await inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: { cookie: s.cookie },
        payload: { name: 'x', password: viewer.password },
      });
      expect(noHeader.statusCode).toBe(403);
      expect(noHeader.json()).toMatchObject({ error: 'csrf' });
      const wrong = await inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: { cookie: s.cookie, 'x-csrf-token': 'a'.repeat(43) },
        payload: { name: 'x', password: viewer.password },
      });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json()).toMatchObject({ error: 'csrf' });
      for (const method of ['PATCH', 'DELETE', 'PUT'] as const) {
        const res = await inject({ method, url: '/api/v1/tokens/some-id', headers: { cookie: s.cookie } });
        expect(res.statusCode, method).toBe(403);
      }
      const ok = await inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: sessionHeaders(s),
        payload: { name: 'x', password: viewer.password },
      });
      expect(ok.statusCode).toBe(201);
      expect((await inject({ method: 'GET', url: '/api/v1/tokens', headers: { cookie: s.cookie } })).statusCode).toBe(
        200,
      );
      const viaToken = await inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: bearer(viewer.token),
        payload: { name: 'y', password: viewer.password },
      });
      expect(viaToken.statusCode).toBe(201);
    });

    it("one session's CSRF token does not work for another session", async () => {
      const a = await login(hub, 'vera', viewer.password);
      const b = await login(hub, 'root', admin.password);
      const res = await inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: { cookie: a.cookie, 'x-csrf-token': b.csrfToken },
        payload: { name: 'x', password: viewer.password },
      });
      expect(res.statusCode).toBe(403);
    });
  });

  describe('API tokens', () => {
    it('a bearer token works on a protected route; the token is shown once and stored hashed', async () => {
      const created = await inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: bearer(admin.token),
        payload: { name: 'ci', expiresInDays: 30, password: admin.password },
      });
      expect(created.statusCode).toBe(201);
      const t = created.json<{ id: string; name: string; token: string; expiresAt: number }>();
      expect(t.token).toMatch(/^whu_/);
      expect(t.expiresAt).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);
      const users = await inject({ method: 'GET', url: '/api/v1/users', headers: bearer(t.token) });
      expect(users.statusCode).toBe(200);
      const list = await inject({ method: 'GET', url: '/api/v1/tokens', headers: bearer(admin.token) });
      expect(list.body).not.toContain(t.token);
      expect(
        list.json<{ items: { id: string; lastUsedAt: number | null }[] }>().items.find((i) => i.id === t.id)
          ?.lastUsedAt,
      ).toBeTypeOf('number');
      const stored = await hub.db
        .selectFrom('api_tokens')
        .select('token_hash')
        .where('id', '=', t.id)
        .executeTakeFirstOrThrow();
      expect(stored.token_hash).toBe(sha256Hex(t.token));
    });

    it('revoked and expired tokens get 401', async () => {
      const u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
      const revoke = await inject({ method: 'DELETE', url: `/api/v1/tokens/${u.tokenId}`, headers: bearer(u.token) });
      expect(revoke.statusCode).toBe(204);
      const after = await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(u.token) });
      expect(after.statusCode).toBe(401);
      expect(after.json()).toEqual({
        error: 'unauthenticated',
        message: 'the API token is invalid, revoked or expired',
      });
      expect((await auditActions('&action=token.revoke')).some((r) => r.actor === u.username)).toBe(true);

      const v = await addUser(hub, { bindings: [{ role: 'viewer' }] });
      await hub.db
        .updateTable('api_tokens')
        .set({ expires_at: Date.now() - 1 })
        .where('id', '=', v.tokenId)
        .execute();
      expect((await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(v.token) })).statusCode).toBe(401);
    });

    it('another user\'s token is "not found" unless the caller is an admin', async () => {
      const u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
      const byViewer = await inject({
        method: 'DELETE',
        url: `/api/v1/tokens/${u.tokenId}`,
        headers: bearer(viewer.token),
      });
      expect(byViewer.statusCode).toBe(404);
      expect((await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(u.token) })).statusCode).toBe(200);
      const byAdmin = await inject({
        method: 'DELETE',
        url: `/api/v1/tokens/${u.tokenId}`,
        headers: bearer(admin.token),
      });
      expect(byAdmin.statusCode).toBe(204);
      expect((await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(u.token) })).statusCode).toBe(401);
    });

    it.each([
      ['no scheme', 'whu_abc'],
      ['basic', 'Basic cm9vdDpwdw=='],
      ['no prefix', 'Bearer abcdef'],
      ['empty', 'Bearer '],
      ['huge', `Bearer whu_${'a'.repeat(10_000)}`],
    ])('malformed Authorization (%s) is 401, and is not rescued by a cookie', async (_label, authorization) => {
      const s = await login(hub, 'vera', viewer.password);
      const res = await inject({ method: 'GET', url: '/api/v1/me', headers: { authorization, cookie: s.cookie } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'unauthenticated' });
    });
  });

  describe('disabled users', () => {
    it('disabling ends sessions and revokes tokens; sign-in is refused; re-enabling does not revive tokens', async () => {
      const u = await addUser(hub, { bindings: [{ role: 'operator' }] });
      const s = await login(hub, u.username, u.password);
      const res = await inject({
        method: 'PATCH',
        url: `/api/v1/users/${u.userId}`,
        headers: bearer(admin.token),
        payload: { disabled: true },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ disabled: true });
      expect((await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(u.token) })).statusCode).toBe(401);
      expect((await inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } })).statusCode).toBe(401);
      const denied = await inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: u.username, password: u.password },
      });
      expect(denied.statusCode).toBe(401);
      expect(denied.json()).toMatchObject({ error: 'invalid_credentials' });
      expect(
        (await auditActions('&action=auth.login&outcome=failed')).some(
          (r) => r.actor === u.username && r.detail?.reason === 'disabled',
        ),
      ).toBe(true);

      await inject({
        method: 'PATCH',
        url: `/api/v1/users/${u.userId}`,
        headers: bearer(admin.token),
        payload: { disabled: false },
      });
      expect((await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(u.token) })).statusCode).toBe(401);
      await login(hub, u.username, u.password);
    });
  });

  describe('password change', () => {
    let u: TestUser;
    beforeEach(async () => {
      u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    });

    it('needs the current password, ends the other sessions and revokes every API token, keeps the current session', async () => {
      const here = await login(hub, u.username, u.password);
      const elsewhere = await login(hub, u.username, u.password);
      const wrong = await inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: sessionHeaders(here),
        payload: { current: 'not-it-at-all', next: 'brand-new-password' },
      });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json()).toMatchObject({ error: 'wrong_current_password' });
      const same = await inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: sessionHeaders(here),
        payload: { current: u.password, next: u.password },
      });
      expect(same.statusCode).toBe(400);
      const short = await inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: sessionHeaders(here),
        payload: { current: u.password, next: 'short' },
      });
      expect(short.statusCode).toBe(400);
      expect(short.json()).toMatchObject({ issues: [{ path: 'body.next' }] });
      const ok = await inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: sessionHeaders(here),
        payload: { current: u.password, next: 'brand-new-password' },
      });
      expect(ok.statusCode).toBe(204);
      expect((await inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: here.cookie } })).statusCode).toBe(
        200,
      );
      expect(
        (await inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: elsewhere.cookie } })).statusCode,
      ).toBe(401);
      // Whoever knew the old password may have made a token: all of them go.
      expect((await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(u.token) })).statusCode).toBe(401);
      expect(
        (
          await inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            payload: { username: u.username, password: u.password },
          })
        ).statusCode,
      ).toBe(401);
      await login(hub, u.username, 'brand-new-password');
    });
  });

  describe('GET /api/v1/me', () => {
    it('returns bindings and the effective permission summary; no CSRF token for bearer calls', async () => {
      const u = await addUser(hub, {
        bindings: [{ role: 'viewer' }, { role: 'operator', cluster: 'prod-*', namespace: 'team-a' }],
      });
      const res = await inject({ method: 'GET', url: '/api/v1/me', headers: bearer(u.token) });
      expect(res.statusCode).toBe(200);
      const body = res.json<Record<string, unknown>>();
      expect(body).toMatchObject({
        user: { id: u.userId, username: u.username, mustChangePassword: false },
        via: 'token',
        bindings: [
          { role: 'viewer', cluster: '*', namespace: '*' },
          { role: 'operator', cluster: 'prod-*', namespace: 'team-a' },
        ],
        permissions: {
          global: ['view', 'logs:read', 'object:read'],
          scopes: [
            { cluster: '*', namespace: '*', permissions: ['view', 'logs:read', 'object:read'] },
            {
              cluster: 'prod-*',
              namespace: 'team-a',
              permissions: [
                'view',
                'logs:read',
                'object:read',
                'pod:exec',
                'pod:port-forward',
                'action:*',
                'access:approve',
              ],
            },
          ],
        },
      });
      expect(body).not.toHaveProperty('csrfToken');
    });
  });

  describe('first start', () => {
    it('ensureAdmin creates admin once with a one-time password that must be changed', async () => {
      const h = await createHub({ logger: false, ...(await store.options()) });
      try {
        const first = await ensureAdmin(h.db);
        expect(first?.username).toBe('admin');
        expect(first?.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
        expect(await ensureAdmin(h.db)).toBeNull();
        const password = first?.password ?? '';
        const s = await login(h, 'admin', password);
        const me = await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } });
        expect(me.json()).toMatchObject({
          user: { username: 'admin', mustChangePassword: true },
          bindings: [{ role: 'account-admin', cluster: '*', namespace: '*' }],
        });
        // Until the one-time password is changed, nothing else works.
        const blocked = await h.app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: s.cookie } });
        expect(blocked.statusCode).toBe(403);
        expect(blocked.json()).toMatchObject({ error: 'password_change_required' });
        const blockedToken = await h.app.inject({
          method: 'POST',
          url: '/api/v1/tokens',
          headers: sessionHeaders(s),
          payload: { name: 'x', password },
        });
        expect(blockedToken.json()).toMatchObject({ error: 'password_change_required' });
        const changed = await h.app.inject({
          method: 'POST',
          url: '/api/v1/auth/password',
          headers: sessionHeaders(s),
          payload: { current: password, next: 'a-real-admin-password' },
        });
        expect(changed.statusCode).toBe(204);
        expect(
          (await h.app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: s.cookie } })).statusCode,
        ).toBe(200);
        const audit = await h.audit.query({ limit: 10, action: 'user.create' });
        expect(audit.items[0]).toMatchObject({ actor: 'system', target: { kind: 'User', name: 'admin' } });
        expect(JSON.stringify(audit.items)).not.toContain(password);
      } finally {
        await h.close();
      }
    });

    it('ensureAdmin does nothing when any user exists', async () => {
      expect(await ensureAdmin(hub.db)).toBeNull();
    });
  });
});
