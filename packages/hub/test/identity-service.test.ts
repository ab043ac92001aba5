// The identity service without HTTP: refusals come back as catalog problems
// and leave the store exactly as it was (no row, no binding change, no audit
// record) — the transaction that found the problem is rolled back.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit/audit-log.js';
import { loadUserWithBindings } from '../src/auth/identity-store.js';
import { ensureAdmin } from '../src/auth/plugin.js';
import type { Principal } from '../src/auth/types.js';
import { IdentityService } from '../src/identity/identity-service.js';
import type { HubDb } from '../src/store/db.js';
import { useFastPasswordHashing } from './support/identity.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

let db: HubDb;
let audit: AuditLog;
let identity: IdentityService;
let admin: Principal;

async function principalOf(username: string): Promise<Principal> {
  const row = await db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  const loaded = await loadUserWithBindings(db, row.id);
  if (!loaded) throw new Error(`no user ${username}`);
  return {
    userId: loaded.user.id,
    username,
    via: 'token',
    bindings: loaded.bindings,
    mustChangePassword: false,
  };
}

const auditActions = async (): Promise<string[]> =>
  (await audit.query({ limit: 100 })).items.map((r) => `${r.action}:${r.outcome}`).reverse();

describe.each(storeFactories)('IdentityService ($name)', (store) => {
  beforeEach(async () => {
    db = await store.open();
    audit = new AuditLog(db);
    identity = new IdentityService({ db, audit });
    await ensureAdmin(db, 'first-admin-password');
    admin = await principalOf('admin');
  });
  afterEach(() => db.destroy());

  it('refuses a duplicate user with a conflict and records nothing for it', async () => {
    const first = await identity.createUser(admin, { username: 'alice', role: 'viewer' });
    expect(first).toMatchObject({ ok: true, value: { user: { username: 'alice' }, bindings: [{ role: 'viewer' }] } });
    const again = await identity.createUser(admin, { username: 'alice' });
    expect(again).toEqual({
      ok: false,
      problem: { code: 'conflict', args: { message: "user 'alice' already exists" } },
    });
    expect((await identity.listUsers()).map((u) => u.user.username)).toEqual(['admin', 'alice']);
    expect(await auditActions()).toEqual(['user.create:succeeded', 'user.create:succeeded']);
  });

  it('keeps an admin: removing the last global account-admin binding is refused and the binding stays', async () => {
    const [binding] = await identity.listBindings(admin.userId);
    if (!binding) throw new Error('admin has no binding');
    const refused = await identity.revoke(admin, binding.id);
    expect(refused).toMatchObject({ ok: false, problem: { code: 'conflict' } });
    expect(refused.ok ? '' : refused.problem.args).toEqual({
      message: 'refused: no enabled user would hold account-admin on every cluster and namespace',
    });
    expect((await identity.listBindings(admin.userId)).map((b) => b.id)).toEqual([binding.id]);
    expect(await auditActions()).not.toContain('binding.delete:succeeded');

    // With a second global admin the same removal goes through.
    await identity.createUser(admin, { username: 'root2', role: 'account-admin' });
    expect(await identity.revoke(admin, binding.id)).toEqual({ ok: true, value: undefined });
    expect(await identity.listBindings(admin.userId)).toEqual([]);
  });

  it('keeps an admin under concurrency: of two global admins revoked at once, one stays', async () => {
    await identity.createUser(admin, { username: 'root2', role: 'account-admin' });
    const root2 = await principalOf('root2');
    const [mine] = await identity.listBindings(admin.userId);
    const [theirs] = await identity.listBindings(root2.userId);
    if (!mine || !theirs) throw new Error('admins have no bindings');
    // Both on open connections at once (PostgreSQL: a warm pool), so neither waits to connect.
    await Promise.all([1, 2, 3].map(() => sql`SELECT 1`.execute(db)));
    const results = await Promise.all([identity.revoke(root2, mine.id), identity.revoke(admin, theirs.id)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const left = [...(await identity.listBindings(admin.userId)), ...(await identity.listBindings(root2.userId))];
    expect(left.map((b) => b.role)).toEqual(['account-admin']);
  });

  it('answers a wrong current password with wrong_current_password and an audited failure', async () => {
    const changed = await identity.changePassword(admin, 'not-the-password', 'a-brand-new-password', '127.0.0.1');
    expect(changed).toEqual({ ok: false, problem: { code: 'wrong_current_password', args: undefined } });
    expect(await auditActions()).toContain('auth.password_change:failed');
  });

  it('names unknown users and bindings as not_found', async () => {
    expect(await identity.updateUser(admin, 'nope', { disabled: true })).toEqual({
      ok: false,
      problem: { code: 'not_found', args: { what: 'user nope' } },
    });
    expect(await identity.deleteUser(admin, 'nope')).toMatchObject({ ok: false, problem: { code: 'not_found' } });
    expect(await identity.revoke(admin, 'nope')).toMatchObject({ ok: false, problem: { code: 'not_found' } });
  });
});
