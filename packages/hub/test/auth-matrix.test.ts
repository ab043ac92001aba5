// Every identity/audit route × every built-in role (plus scoped and role-less
// users): no unauthorized success, 401 without credentials, 403 naming the
// permission otherwise, and no refused call changes the store.
import { describe, expect, it } from 'vitest';
import { createApiToken } from '../src/auth/identity-store.js';
import { AUTH_MATRIX, useMatrix } from './support/authz-cases.js';
import type { Identity } from './support/authz-matrix.js';

describe('authorization matrix: identity, users and audit routes', () => {
  const m = useMatrix(AUTH_MATRIX);

  it('audited every denial and the chain still verifies', async () => {
    const admin = m.identities.get('account-admin') as Identity;
    // The matrix changed each identity's password, which revokes its API tokens: make a fresh one.
    const { token } = await createApiToken(m.hub.db, { userId: admin.userId, name: 'audit-check' });
    const res = await m.hub.app.inject({
      method: 'GET',
      url: '/api/v1/audit?outcome=denied&limit=500',
      headers: { authorization: `Bearer ${token}` },
    });
    const items = res.json<{ items: { actor: string; detail: { permission: string } }[] }>().items;
    // admin-only routes: 11 × 6 non-admin identities… at least one per denied (route, identity) pair
    expect(items.length).toBeGreaterThanOrEqual(11 * 5);
    expect(items.some((i) => i.actor === 'matrix-admin-prod--' && i.detail.permission === 'admin')).toBe(true);
    expect(await m.hub.audit.verify()).toMatchObject({ ok: true });
  });
});
