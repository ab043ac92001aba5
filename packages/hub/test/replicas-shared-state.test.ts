// Credentials are state in the shared store, not in a hub process: with two
// hub processes (replicas) on one PostgreSQL database, a session signed in on
// A works on B, a sign-out on A ends it on B; an API token created on A works
// on B, and its revocation on A is refused on B at once; failed sign-ins
// spread over A and B count together towards one lock.
import { createDatabase, postgresUrl } from '@wheelhouse/test-postgres';
import { WHEELHOUSE_CLI, freePort, startProcess, type TestProcess } from '@wheelhouse/test-cluster/processes';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newKeyLine } from '../src/audit/audit-keys.js';
import { createBinding, createUser } from '../src/auth/identity-store.js';
import { hashPassword } from '../src/auth/password.js';
import { openDatabase } from '../src/store/db.js';

const PASSWORD = 'correct horse battery staple';

describe('credentials across two hub processes on one PostgreSQL store', { timeout: 120_000 }, () => {
  const pg = inject('postgres');
  const hubs: { proc: TestProcess; url: string }[] = [];

  beforeAll(async () => {
    const url = postgresUrl(pg, await createDatabase(pg), true);
    const db = await openDatabase({ store: url });
    const { user } = await createUser(db, {
      username: 'olga',
      passwordHash: await hashPassword(PASSWORD),
      mustChangePassword: false,
      createdBy: 'test',
    });
    await createBinding(db, {
      userId: user.id,
      role: 'viewer',
      clusterPattern: '*',
      namespacePattern: '*',
      createdBy: 't',
    });
    await db.destroy();
    const dir = mkdtempSync(join(tmpdir(), 'wh-shared-'));
    const keyFile = join(dir, 'audit.key');
    writeFileSync(keyFile, newKeyLine(), { mode: 0o600 });
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const args = ['hub', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', '--audit-key-file', keyFile];
      args.push('--audit-anchor-file', join(dir, `anchor-${i}.json`), '--secure-cookie', 'false');
      const proc = startProcess([WHEELHOUSE_CLI, ...args], {
        label: `hub-${i}`,
        env: { ...process.env, WHEELHOUSE_STORE: url },
      });
      hubs.push({ proc, url: `http://127.0.0.1:${port}` });
    }
    for (const h of hubs) await h.proc.waitForOutput(/wheelhouse hub listening on/);
  }, 60_000);
  afterAll(async () => {
    for (const h of hubs) await h.proc.stop();
  });

  const a = () => hubs[0]?.url ?? '';
  const b = () => hubs[1]?.url ?? '';
  const me = async (hub: string, headers: Record<string, string>) =>
    (await fetch(`${hub}/api/v1/me`, { headers })).status;

  async function signIn(hub: string): Promise<{ cookie: string; csrf: string }> {
    const res = await fetch(`${hub}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'olga', password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return { cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
  }

  it('a session signed in on A works on B; signing out on A ends it on B', async () => {
    const s = await signIn(a());
    expect(await me(b(), { cookie: s.cookie })).toBe(200);
    const out = await fetch(`${a()}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    expect(out.status).toBe(204);
    expect(await me(b(), { cookie: s.cookie })).toBe(401);
    expect(await me(a(), { cookie: s.cookie })).toBe(401);
  });

  it('an API token created on A works on B; revoked on A, it is refused on B at once', async () => {
    const s = await signIn(a());
    const created = await fetch(`${a()}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', password: PASSWORD }),
    });
    expect(created.status).toBe(201);
    const { id, token } = (await created.json()) as { id: string; token: string };
    const bearer = { authorization: `Bearer ${token}` };
    expect(await me(b(), bearer)).toBe(200);
    const revoked = await fetch(`${a()}/api/v1/tokens/${id}`, {
      method: 'DELETE',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    expect(revoked.status).toBe(204);
    expect(await me(b(), bearer)).toBe(401);
  });

  it('counts failed sign-ins spread over A and B together: the fifth locks the name on both', async () => {
    const attempt = async (hub: string, password: string) => {
      const res = await fetch(`${hub}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'olga', password }),
      });
      return { status: res.status, body: (await res.json()) as { error: string } };
    };
    // Five wrong passwords, alternating replicas (each replica saw at most three).
    for (let i = 0; i < 5; i++) expect((await attempt(i % 2 ? b() : a(), `wrong-${i}`)).status).toBe(401);
    // Locked on both, even with the right password.
    for (const hub of [a(), b()])
      expect(await attempt(hub, PASSWORD)).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
  });
});
