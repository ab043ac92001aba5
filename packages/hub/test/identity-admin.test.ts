// Admin endpoints: users, roles, bindings — and the audit records they leave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, login, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

describe.each(storeFactories)('identity admin ($name store)', (store) => {
  let hub: Hub;
  let admin: TestUser;

  beforeAll(async () => {
    hub = await createHub({ logger: false, ...(await store.options()) });
    admin = await addUser(hub, { username: 'root', bindings: [{ role: 'account-admin' }] });
  });
  afterAll(() => hub.close());

  type Body = Record<string, unknown>;
  async function call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: Body,
    token = admin.token,
  ): Promise<{ status: number; body: Body }> {
    const res = await hub.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.body === '' ? {} : res.json<Body>() };
  }

  async function lastAudit(action: string): Promise<Body | undefined> {
    return (await hub.audit.query({ action, limit: 1 })).items[0] as Body | undefined;
  }

  describe('users', () => {
    it('creates a user with a generated one-time password and a first binding', async () => {
      const res = await call('POST', '/api/v1/users', { username: 'alice', role: 'operator', cluster: 'prod-*' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        username: 'alice',
        disabled: false,
        mustChangePassword: true,
        bindings: [{ role: 'operator', cluster: 'prod-*', namespace: '*', createdBy: 'root' }],
      });
      const password = res.body.password as string;
      expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const loginRes = await hub.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'alice', password },
      });
      expect(loginRes.json()).toMatchObject({ user: { username: 'alice', mustChangePassword: true } });
      const audit = await lastAudit('user.create');
      expect(audit).toMatchObject({
        actor: 'root',
        outcome: 'succeeded',
        target: { kind: 'User', namespace: '', name: 'alice' },
        detail: { role: 'operator', cluster: 'prod-*', namespace: '*', oneTimePassword: true },
      });
      expect(JSON.stringify(audit)).not.toContain(password);
    });

    it('creates a user with a given password (not one-time) and no binding', async () => {
      const res = await call('POST', '/api/v1/users', { username: 'svc.deployer', password: 'long-enough-password' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ mustChangePassword: false, bindings: [] });
      expect(res.body).not.toHaveProperty('password');
    });

    it.each([
      [{ username: 'alice' }, 409, 'conflict'],
      [{ username: 'Bad Name' }, 400, 'body.username'],
      [{ username: 'x', password: 'short' }, 400, 'body.password'],
      [{ username: 'y', cluster: 'prod' }, 400, 'body.role'],
      [{ username: 'z', role: 'superuser' }, 400, 'body.role'],
      [{ username: 'w', role: 'viewer', namespace: 'Team A' }, 400, 'body.namespace'],
      [{ username: 'v', extra: 1 }, 400, 'body'],
    ] as const)('POST /users %j → %i naming %s', async (payload, status, where) => {
      const res = await call('POST', '/api/v1/users', payload);
      expect(res.status).toBe(status);
      if (status === 400) expect(JSON.stringify(res.body.issues)).toContain(`"path":"${where}`);
      else expect(res.body.error).toBe(where);
    });

    it('lists users with their bindings', async () => {
      const res = await call('GET', '/api/v1/users');
      const items = res.body.items as { username: string; bindings: unknown[] }[];
      expect(items.map((u) => u.username)).toEqual(expect.arrayContaining(['root', 'alice', 'svc.deployer']));
      expect(items.find((u) => u.username === 'root')?.bindings).toHaveLength(1);
    });

    it('resets a password: one-time again, sessions ended, API tokens revoked', async () => {
      const u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
      const s = await login(hub, u.username, u.password);
      const res = await call('PATCH', `/api/v1/users/${u.userId}`, { password: 'reset-by-admin-1' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ mustChangePassword: true });
      expect(
        (await hub.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } })).statusCode,
      ).toBe(401);
      expect((await hub.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(u.token) })).statusCode).toBe(
        401,
      );
      expect(await lastAudit('user.update')).toMatchObject({ detail: { passwordReset: true } });
      expect(JSON.stringify(await lastAudit('user.update'))).not.toContain('reset-by-admin-1');
    });

    it('PATCH needs at least one field; unknown ids are 404', async () => {
      const u = await addUser(hub);
      expect((await call('PATCH', `/api/v1/users/${u.userId}`, {})).status).toBe(400);
      expect((await call('PATCH', '/api/v1/users/nope', { disabled: true })).status).toBe(404);
      expect((await call('DELETE', '/api/v1/users/nope')).status).toBe(404);
    });

    it('deletes a user with sessions, tokens and bindings', async () => {
      const u = await addUser(hub, { bindings: [{ role: 'operator' }] });
      const s = await login(hub, u.username, u.password);
      expect((await call('DELETE', `/api/v1/users/${u.userId}`)).status).toBe(204);
      expect((await hub.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(u.token) })).statusCode).toBe(
        401,
      );
      expect(
        (await hub.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: s.cookie } })).statusCode,
      ).toBe(401);
      expect(await hub.db.selectFrom('role_bindings').select('id').where('user_id', '=', u.userId).execute()).toEqual(
        [],
      );
      expect(await hub.db.selectFrom('api_tokens').select('id').where('user_id', '=', u.userId).execute()).toEqual([]);
      expect(await lastAudit('user.delete')).toMatchObject({ actor: 'root', target: { name: u.username } });
    });

    it('refuses to disable or delete yourself, or the last administrator', async () => {
      expect((await call('PATCH', `/api/v1/users/${admin.userId}`, { disabled: true })).body).toMatchObject({
        error: 'conflict',
      });
      expect((await call('DELETE', `/api/v1/users/${admin.userId}`)).status).toBe(409);
      // A second admin may not remove the only other one's last admin binding… but may once another admin exists.
      const second = await addUser(hub, { bindings: [{ role: 'account-admin' }] });
      const rootBinding =
        ((await call('GET', `/api/v1/bindings?userId=${admin.userId}`)).body.items as { id: string }[])[0]?.id ?? '';
      const secondBinding =
        ((await call('GET', `/api/v1/bindings?userId=${second.userId}`)).body.items as { id: string }[])[0]?.id ?? '';
      expect((await call('DELETE', `/api/v1/bindings/${secondBinding}`, undefined, second.token)).status).toBe(204);
      // now root is the only global admin: its binding cannot go
      const last = await call('DELETE', `/api/v1/bindings/${rootBinding}`);
      expect(last.status).toBe(409);
      expect(last.body.message).toMatch(/no enabled user would hold account-admin/);
    });
  });

  describe('roles and bindings', () => {
    it('lists the built-in roles with their permissions', async () => {
      const res = await call('GET', '/api/v1/roles');
      expect(res.body.items).toEqual([
        {
          name: 'account-admin',
          description: expect.any(String) as unknown,
          permissions: [
            'admin',
            'audit:read',
            'pod:exec',
            'pod:port-forward',
            'node:shell',
            'view',
            'logs:read',
            'object:read',
            'action:*',
            'action:apply:secrets',
            'access:approve',
            'notifications:manage',
          ],
        },
        {
          name: 'operator',
          description: expect.any(String) as unknown,
          permissions: [
            'view',
            'logs:read',
            'object:read',
            'action:*',
            'pod:exec',
            'pod:port-forward',
            'access:approve',
          ],
        },
        {
          name: 'viewer',
          description: expect.any(String) as unknown,
          permissions: ['view', 'logs:read', 'object:read'],
        },
        {
          name: 'auditor',
          description: expect.any(String) as unknown,
          permissions: ['view', 'logs:read', 'object:read', 'audit:read'],
        },
        { name: 'inventory-viewer', description: expect.any(String) as unknown, permissions: ['view'] },
      ]);
    });

    it('grants and removes a role; the grant takes effect on the next request', async () => {
      const u = await addUser(hub);
      const audit = (): Promise<number> =>
        hub.app.inject({ method: 'GET', url: '/api/v1/audit', headers: bearer(u.token) }).then((r) => r.statusCode);
      expect(await audit()).toBe(403);
      const created = await call('POST', '/api/v1/bindings', {
        userId: u.userId,
        role: 'auditor',
        cluster: '*',
        namespace: '*',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        userId: u.userId,
        role: 'auditor',
        cluster: '*',
        namespace: '*',
        createdBy: 'root',
      });
      expect(await audit()).toBe(200);
      expect(await lastAudit('binding.create')).toMatchObject({
        detail: { role: 'auditor', cluster: '*', namespace: '*' },
      });
      const dup = await call('POST', '/api/v1/bindings', {
        userId: u.userId,
        role: 'auditor',
        cluster: '*',
        namespace: '*',
      });
      expect(dup.status).toBe(409);
      expect((await call('DELETE', `/api/v1/bindings/${String(created.body.id)}`)).status).toBe(204);
      expect(await audit()).toBe(403);
      expect(await lastAudit('binding.delete')).toMatchObject({ target: { name: u.username } });
      expect((await call('DELETE', `/api/v1/bindings/${String(created.body.id)}`)).status).toBe(404);
    });

    it.each([
      [{ userId: 'nope', role: 'viewer', cluster: '*', namespace: '*' }, 404, ''],
      [{ role: 'viewer', cluster: '*', namespace: '*' }, 400, 'body.userId'],
      [{ userId: 'x', role: 'root', cluster: '*', namespace: '*' }, 400, 'body.role'],
      [{ userId: 'x', role: 'viewer', cluster: 'PROD', namespace: '*' }, 400, 'body.cluster'],
      [{ userId: 'x', role: 'viewer', cluster: '*', namespace: 'a'.repeat(300) }, 400, 'body.namespace'],
    ] as const)('POST /bindings %j → %i %s', async (payload, status, where) => {
      const res = await call('POST', '/api/v1/bindings', payload);
      expect(res.status).toBe(status);
      if (where) expect(JSON.stringify(res.body.issues)).toContain(`"path":"${where}"`);
    });

    it('a 403 names the permission and the scope, and is audited as denied', async () => {
      const viewer = await addUser(hub, { bindings: [{ role: 'viewer' }] });
      const res = await call('GET', '/api/v1/users', undefined, viewer.token);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error: 'forbidden',
        message: `${viewer.username} lacks permission 'admin' on every cluster (global scope)`,
        permission: 'admin',
        scope: {},
      });
      expect(await lastAudit('access')).toMatchObject({
        actor: viewer.username,
        outcome: 'denied',
        detail: { permission: 'admin', scope: {}, method: 'GET', route: '/api/v1/users' },
      });
    });
  });
});
