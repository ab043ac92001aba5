// SSO sessions bounded by the identity provider, against a real Dex whose ID
// tokens live 5 s: a session goes on across refreshes (the refresh token
// stays on the hub, sealed); a person Dex no longer puts in a group loses
// what the group granted at the next refresh; a refresh token Dex no longer
// honours, or none at all, ends the session, audited. Dex keeps its state in
// PostgreSQL so it can be restarted with changed groups and still honour the
// refresh tokens it issued, and runs without browser sessions so a refresh
// reads the person's groups again. Without the renewal, each of these sessions would
// outlive its ID token with the groups of its sign-in.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, queryAs } from '@wheelhouse/test-postgres';
import { inject } from 'vitest';
import { dexPasswordLogin, startDex, type DexUser, type RunningDex } from '@wheelhouse/test-cluster/dex';
import { eventually } from '@wheelhouse/test-cluster/testing';
import { createHub, type Hub } from '../src/server.js';
import type { OidcSettings } from '../src/oidc/oidc-settings.js';
import { RefreshTokenBox } from '../src/oidc/refresh-token-box.js';
import { useFastPasswordHashing } from './support/identity.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

const PUBLIC_URL = 'http://hub.test';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/oidc/callback`;
const ID_TOKEN_TTL_S = 5;
const MAPPINGS: OidcSettings['groupMappings'] = [
  { group: 'sre', role: 'operator', cluster: '*', namespace: '*' },
  { group: 'developers', role: 'viewer', cluster: '*', namespace: '*' },
];
const person = (name: string, groups: string[]): DexUser => ({
  email: `${name}@example.com`,
  username: name,
  password: `${name}-password`,
  groups,
});

const cookieOf = (setCookie: string | string[] | undefined, name: string): string | undefined => {
  for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const pair = c.split(';')[0] ?? '';
    if (pair.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  return undefined;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(storeFactories)('SSO sessions last as long as the provider says ($name store)', (store) => {
  const pg = inject('postgres');
  let dexDb = '';
  let dex: RunningDex;
  let users: DexUser[] = [];
  let hub: Hub;
  let lean: Hub; // the same provider, but scopes without offline_access: no refresh token

  async function startDexWith(list: DexUser[], port?: number): Promise<RunningDex> {
    users = list;
    return startDex({
      users: list,
      idTokenTtl: `${ID_TOKEN_TTL_S}s`,
      // With browser sessions on, Dex renews with the claims of the last login; off, it reads the person again.
      sessions: false,
      ...(port !== undefined ? { port } : {}),
      storage: {
        type: 'postgres',
        config: {
          host: pg.host,
          port: pg.port,
          database: dexDb,
          user: pg.user,
          password: pg.password,
          ssl: { mode: 'disable' },
        },
      },
      clients: [{ id: 'wheelhouse', secret: 'wheelhouse-secret', redirectURIs: [CALLBACK] }],
    });
  }
  /** Dex again on the same port and database, with the people's groups as given. */
  async function restartDexWith(list: DexUser[]): Promise<void> {
    const port = dex.port;
    await dex.stop();
    dex = await startDexWith(list, port);
  }

  const settings = (extra: Partial<OidcSettings> = {}): OidcSettings => ({
    issuer: dex.issuer,
    clientId: 'wheelhouse',
    clientSecret: 'wheelhouse-secret',
    publicUrl: PUBLIC_URL,
    groupMappings: MAPPINGS,
    ...extra,
  });

  beforeAll(async () => {
    dexDb = await createDatabase(pg, 'dex');
    dex = await startDexWith([person('sam', ['sre', 'developers']), person('rita', ['sre']), person('lee', ['sre'])]);
    // The leader's sweep is slow here: these tests show the renewal a request makes.
    hub = await createHub({
      ...(await store.options()),
      logger: false,
      webRoot: false,
      sweepMs: 3_600_000,
      oidc: settings(),
    });
    lean = await createHub({
      ...(await store.options()),
      logger: false,
      webRoot: false,
      sweepMs: 3_600_000,
      oidc: settings({ scopes: ['openid', 'profile', 'email', 'groups'] }),
    });
  }, 60_000);
  afterAll(async () => {
    await hub.close();
    await lean.close();
    await dex.stop();
  });

  /** The browser flow through Dex's login page; returns the session cookie and every Set-Cookie the hub sent. */
  async function signIn(h: Hub, name: string): Promise<{ cookie: string; setCookies: string[]; body: string }> {
    const user = users.find((u) => u.username === name);
    if (!user) throw new Error(`no Dex user ${name}`);
    const start = await h.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/login' });
    const back = new URL(
      await dexPasswordLogin(String(start.headers.location), { email: user.email, password: user.password }),
    );
    const res = await h.app.inject({
      method: 'GET',
      url: back.pathname + back.search,
      headers: { cookie: cookieOf(start.headers['set-cookie'], 'wh_oidc') ?? '' },
    });
    expect(res.statusCode, res.body).toBe(303);
    const setCookies = [res.headers['set-cookie'] ?? []].flat();
    const cookie = cookieOf(setCookies, 'wh_session');
    if (!cookie) throw new Error('no session cookie');
    return { cookie, setCookies, body: res.body };
  }

  const me = (h: Hub, cookie: string) => h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
  const roles = async (h: Hub, cookie: string): Promise<string[]> => {
    const res = await me(h, cookie);
    expect(res.statusCode, res.body).toBe(200);
    return res
      .json<{ bindings: { role: string }[] }>()
      .bindings.map((b) => b.role)
      .sort();
  };
  // Usernames are the email claim (the hub's default).
  const expiryOf = async (h: Hub, name: string): Promise<number> => {
    const row = await h.db
      .selectFrom('oidc_sessions')
      .innerJoin('users', 'users.id', 'oidc_sessions.user_id')
      .select('oidc_sessions.id_token_expires_at')
      .where('users.username', '=', `${name}@example.com`)
      .executeTakeFirstOrThrow();
    return Number(row.id_token_expires_at);
  };
  /** Until the session's current ID token has expired (a little after, for the seconds `exp` is rounded to). */
  const pastExpiry = async (h: Hub, username: string): Promise<void> => {
    const wait = (await expiryOf(h, username)) - Date.now() + 300;
    if (wait > 0) await sleep(wait);
  };
  const auditOf = async (h: Hub, action: string, name: string) =>
    (
      await h.db
        .selectFrom('audit_log')
        .select(['outcome', 'detail'])
        .where('action', '=', action)
        .where('actor', '=', `${name}@example.com`)
        .orderBy('seq', 'asc')
        .execute()
    ).map((r) => ({ outcome: r.outcome, detail: JSON.parse(r.detail ?? 'null') as Record<string, unknown> }));

  it('a session keeps working across refreshes; the refresh token stays on the hub, sealed', async () => {
    const signed = await signIn(hub, 'sam');
    // The browser gets its session cookie and nothing of the provider's tokens.
    expect(signed.setCookies.map((c) => c.split('=')[0]).sort()).toEqual(['wh_oidc', 'wh_session']);
    const row = await hub.db.selectFrom('oidc_sessions').selectAll().executeTakeFirstOrThrow();
    expect(row.refresh_token).toMatch(/^v1\./);
    expect(new RefreshTokenBox('another-secret').open(row.refresh_token ?? '', row.session_id_hash)).toBeNull();
    const refreshToken = new RefreshTokenBox('wheelhouse-secret').open(row.refresh_token ?? '', row.session_id_hash);
    expect(refreshToken).toEqual(expect.any(String));
    expect(signed.body + signed.setCookies.join()).not.toContain(refreshToken);
    const first = await expiryOf(hub, 'sam');
    expect(first - Date.now()).toBeLessThanOrEqual(ID_TOKEN_TTL_S * 1000);

    for (let round = 1; round <= 2; round++) {
      await pastExpiry(hub, 'sam');
      expect(await roles(hub, signed.cookie)).toEqual(['operator', 'viewer']);
      expect(await expiryOf(hub, 'sam')).toBeGreaterThan(Date.now());
      expect(await auditOf(hub, 'auth.sso_refresh', 'sam')).toHaveLength(round);
    }
    expect(await expiryOf(hub, 'sam')).toBeGreaterThan(first);
  }, 60_000);

  it('a person Dex takes out of a group loses what it granted at the next refresh', async () => {
    const { cookie } = await signIn(hub, 'rita');
    expect(await roles(hub, cookie)).toEqual(['operator']);
    // rita moves from sre to developers at the provider.
    await restartDexWith(users.map((u) => (u.username === 'rita' ? { ...u, groups: ['developers'] } : u)));
    // Until her ID token expires the hub has no reason to ask; after, the next request renews it.
    await pastExpiry(hub, 'rita');
    expect(await roles(hub, cookie)).toEqual(['viewer']);
    const refreshes = await auditOf(hub, 'auth.sso_refresh', 'rita');
    expect(refreshes.at(-1)).toMatchObject({
      outcome: 'succeeded',
      detail: { groups: ['developers'], removed: [{ role: 'operator', cluster: '*', namespace: '*' }] },
    });
    const sso = (await me(hub, cookie)).json<{ sso: { groups: string[] } }>().sso;
    expect(sso.groups).toEqual(['developers']);
  }, 60_000);

  it('a refresh token the provider revoked ends the session, audited', async () => {
    const { cookie } = await signIn(hub, 'lee');
    expect((await me(hub, cookie)).statusCode).toBe(200);
    // Revoked at the provider (what Dex's RevokeRefresh does: the token's row goes).
    const gone = await queryAs(pg, dexDb, 'DELETE FROM refresh_token WHERE claims_email = $1 RETURNING id', [
      'lee@example.com',
    ]);
    expect(gone.length).toBeGreaterThan(0);
    await pastExpiry(hub, 'lee');
    const res = await me(hub, cookie);
    expect(res.statusCode, res.body).toBe(401);
    expect(res.json<{ message: string }>().message).toMatch(
      /SSO session ended: the provider refused the refresh token/,
    );
    const ends = await auditOf(hub, 'auth.sso_session_end', 'lee');
    expect(ends).toEqual([
      { outcome: 'failed', detail: expect.objectContaining({ reason: 'refresh_rejected' }) as unknown },
    ]);
    // Ended, not merely refused this once.
    expect((await me(hub, cookie)).statusCode).toBe(401);
    const left = await hub.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select('sessions.id_hash')
      .where('users.username', '=', 'lee@example.com')
      .execute();
    expect(left).toEqual([]);
  }, 60_000);

  it('without a refresh token (no offline_access asked) the session ends when its ID token expires', async () => {
    const { cookie } = await signIn(lean, 'sam');
    const row = await lean.db.selectFrom('oidc_sessions').selectAll().executeTakeFirstOrThrow();
    expect(row.refresh_token).toBeNull();
    expect((await me(lean, cookie)).statusCode).toBe(200);
    await pastExpiry(lean, 'sam');
    const res = await me(lean, cookie);
    expect(res.statusCode, res.body).toBe(401);
    expect(await auditOf(lean, 'auth.sso_session_end', 'sam')).toEqual([
      { outcome: 'expired', detail: expect.objectContaining({ reason: 'id_token_expired' }) as unknown },
    ]);
  }, 60_000);

  it("the leader's sweep renews without a request: the live socket of a person removed from a group closes", async () => {
    const swept = await createHub({
      ...(await store.options()),
      logger: false,
      webRoot: false,
      sweepMs: 300,
      oidc: settings(),
    });
    try {
      const url = await swept.app.listen({ port: 0, host: '127.0.0.1' });
      await restartDexWith([...users.filter((u) => u.username !== 'max'), person('max', ['sre'])]);
      const { cookie } = await signIn(swept, 'max');
      const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live?cluster=c1`, {
        headers: { cookie, origin: url },
      });
      const closed = new Promise<{ code: number; reason: string }>((r) =>
        ws.on('close', (code, reason) => r({ code, reason: reason.toString() })),
      );
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('unexpected-response', (_q, res) => reject(new Error(`refused: ${res.statusCode}`)));
        ws.once('error', reject);
      });
      await restartDexWith(users.map((u) => (u.username === 'max' ? { ...u, groups: ['developers'] } : u)));
      const at = await closed;
      expect(at.code).toBe(4401);
      expect(at.reason).toMatch(/identity provider/);
      await eventually(
        'max is a viewer',
        async () =>
          (
            await swept.db
              .selectFrom('role_bindings')
              .innerJoin('users', 'users.id', 'role_bindings.user_id')
              .select('role_bindings.role')
              .where('users.username', '=', 'max@example.com')
              .execute()
          )
            .map((r) => r.role)
            .join() === 'viewer',
      );
    } finally {
      await swept.close();
    }
  }, 60_000);
});
