// Every identity/audit route × every built-in role (plus scoped and role-less
// users): no unauthorized success, 401 without credentials, 403 naming the
// permission otherwise.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createBinding } from '../src/auth/identity-store.js';
import { createHub, type Hub } from '../src/server.js';
import {
  ADMIN_ONLY,
  DEFAULT_IDENTITIES,
  checkAuthzCase,
  setupIdentities,
  uncoveredRoutes,
  type AuthzCase,
  type Identity,
  type IdentitySpec,
} from './support/authz-matrix.js';
import { addUser, useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();

// Scoped grants never reach global-scope routes (users, bindings, audit).
const IDENTITIES: IdentitySpec[] = [
  ...DEFAULT_IDENTITIES,
  { name: 'admin@prod-*', bindings: [{ role: 'account-admin', cluster: 'prod-*' }] },
  { name: 'auditor@*/team-a', bindings: [{ role: 'auditor', namespace: 'team-a' }] },
];
const SIGNED_IN = IDENTITIES.map((i) => i.name);
const AUDITORS = ['account-admin', 'auditor'];

const fresh = (): string => `victim-${randomUUID().slice(0, 8)}`;

const CASES: AuthzCase[] = [
  { route: 'POST /api/v1/auth/logout', allow: SIGNED_IN },
  {
    route: 'POST /api/v1/auth/password',
    allow: SIGNED_IN,
    request: ({ identity }) => ({
      url: '/api/v1/auth/password',
      payload: {
        current: identity?.password ?? 'whatever-password',
        next: `${identity?.password ?? 'whatever-password'}-changed`,
      },
    }),
  },
  { route: 'GET /api/v1/me', allow: SIGNED_IN },
  {
    route: 'POST /api/v1/tokens',
    allow: SIGNED_IN,
    request: () => ({ url: '/api/v1/tokens', payload: { name: 'matrix' } }),
  },
  { route: 'GET /api/v1/tokens', allow: SIGNED_IN },
  {
    route: 'DELETE /api/v1/tokens/{id}',
    allow: SIGNED_IN,
    request: async ({ hub, identity, identities }) => {
      const owner = identity ?? (identities.get('account-admin') as Identity);
      const t = await createApiToken(hub.db, { userId: owner.userId, name: 'to-revoke' });
      return { url: `/api/v1/tokens/${t.id}` };
    },
  },
  { route: 'GET /api/v1/users', allow: ADMIN_ONLY },
  {
    route: 'POST /api/v1/users',
    allow: ADMIN_ONLY,
    request: () => ({ url: '/api/v1/users', payload: { username: fresh(), role: 'viewer' } }),
    success: [201],
  },
  {
    route: 'PATCH /api/v1/users/{id}',
    allow: ADMIN_ONLY,
    request: async ({ hub }) => ({
      url: `/api/v1/users/${(await addUser(hub, { username: fresh() })).userId}`,
      payload: { disabled: true },
    }),
  },
  {
    route: 'DELETE /api/v1/users/{id}',
    allow: ADMIN_ONLY,
    request: async ({ hub }) => ({ url: `/api/v1/users/${(await addUser(hub, { username: fresh() })).userId}` }),
    success: [204],
  },
  { route: 'GET /api/v1/roles', allow: ADMIN_ONLY },
  { route: 'GET /api/v1/bindings', allow: ADMIN_ONLY },
  {
    route: 'POST /api/v1/bindings',
    allow: ADMIN_ONLY,
    request: async ({ hub }) => ({
      url: '/api/v1/bindings',
      payload: {
        userId: (await addUser(hub, { username: fresh() })).userId,
        role: 'operator',
        cluster: 'prod-*',
        namespace: '*',
      },
    }),
    success: [201],
  },
  {
    route: 'DELETE /api/v1/bindings/{id}',
    allow: ADMIN_ONLY,
    request: async ({ hub }) => {
      const u = await addUser(hub, { username: fresh() });
      const b = await createBinding(hub.db, {
        userId: u.userId,
        role: 'viewer',
        clusterPattern: '*',
        namespacePattern: '*',
        createdBy: 'test',
      });
      return { url: `/api/v1/bindings/${b.id}` };
    },
    success: [204],
  },
  { route: 'GET /api/v1/audit', allow: AUDITORS },
  { route: 'GET /api/v1/audit/verify', allow: AUDITORS },
  { route: 'GET /api/v1/audit/export', allow: AUDITORS },
];

describe('authorization matrix: identity, users and audit routes', () => {
  let hub: Hub;
  let identities: Map<string, Identity>;
  beforeAll(async () => {
    hub = await createHub({ logger: false });
    identities = await setupIdentities(hub, IDENTITIES);
  });
  afterAll(() => hub.close());

  it('covers every route tagged auth, users or audit (login is the one public route)', async () => {
    expect(
      await uncoveredRoutes(hub, CASES, { tags: ['auth', 'users', 'audit'], ignore: ['POST /api/v1/auth/login'] }),
    ).toEqual([]);
  });

  it.each(CASES.map((c) => [c.route, c] as const))('%s', async (_route, c) => {
    expect(await checkAuthzCase(hub, identities, c)).toEqual([]);
  });

  it('audited every denial and the chain still verifies', async () => {
    const admin = identities.get('account-admin') as Identity;
    const res = await hub.app.inject({
      method: 'GET',
      url: '/api/v1/audit?outcome=denied&limit=500',
      headers: { authorization: `Bearer ${admin.token}` },
    });
    const items = res.json<{ items: { actor: string; detail: { permission: string } }[] }>().items;
    // admin-only routes: 11 × 6 non-admin identities… at least one per denied (route, identity) pair
    expect(items.length).toBeGreaterThanOrEqual(11 * 5);
    expect(items.some((i) => i.actor === 'matrix-admin-prod--' && i.detail.permission === 'admin')).toBe(true);
    expect(await hub.audit.verify()).toMatchObject({ ok: true });
  });
});
