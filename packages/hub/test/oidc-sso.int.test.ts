// Single sign-on against a real Dex: people sign in through Dex's own login
// page (driven over HTTP), the hub creates them on first sign-in, group
// mapping decides their roles at every sign-in, and every forged or stale
// redirect is refused with sso_failed, audited, and changes nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dexPasswordLogin, startDex, type DexUser, type RunningDex } from '@wheelhouse/test-cluster/dex';
import { createHub, type Hub, type HubOptions } from '../src/server.js';
import type { HubDb } from '../src/store/db.js';
import type { OidcSettings } from '../src/oidc/oidc-settings.js';
import { changesDuring, describeChange } from './support/db-snapshot.js';
import { addUser, bearer, login, useFastPasswordHashing } from './support/identity.js';
import { storeFactories } from './support/store-factories.js';

useFastPasswordHashing();

const PUBLIC_URL = 'http://hub.test';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/oidc/callback`;
const SRE: DexUser = { email: 'sre@example.com', username: 'sam', password: 'sre-password', groups: ['sre', 'oncall'] };
const DEV: DexUser = { email: 'dev@example.com', username: 'dana', password: 'dev-password', groups: ['developers'] };
const MAPPINGS: OidcSettings['groupMappings'] = [
  { group: 'sre', role: 'operator', cluster: '*', namespace: '*' },
  { group: 'developers', role: 'viewer', cluster: 'staging', namespace: 'dev-*' },
  { group: 'developers', role: 'operator', cluster: 'staging', namespace: 'dev-sandbox' },
];

describe.each(storeFactories)('single sign-on ($name store)', (store) => {
  let dex: RunningDex;
  let db: HubDb;
  let hub: Hub;

  async function startDexWith(users: DexUser[], port?: number): Promise<RunningDex> {
    return startDex({
      users,
      ...(port !== undefined ? { port } : {}),
      clients: [
        {
          id: 'wheelhouse',
          secret: 'wheelhouse-secret',
          redirectURIs: [CALLBACK],
          postLogoutRedirectURIs: [`${PUBLIC_URL}/login`],
        },
        // Another application at the same IdP, which also (mis)registered the hub's callback.
        { id: 'other-app', secret: 'other-secret', redirectURIs: [CALLBACK] },
      ],
    });
  }

  function settings(extra: Partial<OidcSettings> = {}): OidcSettings {
    return {
      issuer: dex.issuer,
      clientId: 'wheelhouse',
      clientSecret: 'wheelhouse-secret',
      publicUrl: PUBLIC_URL,
      groupMappings: MAPPINGS,
      ...extra,
    };
  }

  const hubWith = (opts: Partial<HubOptions> = {}): Promise<Hub> =>
    createHub({ db, logger: false, webRoot: false, oidc: settings(), ...opts });

  const cookieOf = (setCookie: string | string[] | undefined, name: string): string | undefined => {
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const pair = c.split(';')[0] ?? '';
      if (pair.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
    }
    return undefined;
  };

  /** GET /auth/oidc/login: the provider URL and the browser-binding cookie. */
  async function begin(h: Hub, query = ''): Promise<{ providerUrl: string; browserCookie: string }> {
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/auth/oidc/login${query}` });
    expect(res.statusCode, res.body).toBe(302);
    const browserCookie = cookieOf(res.headers['set-cookie'], 'wh_oidc');
    expect(browserCookie).toBeDefined();
    return { providerUrl: String(res.headers.location), browserCookie: browserCookie ?? '' };
  }

  /** The hub's callback path (with query) from the URL Dex redirected to. */
  const callbackPath = (url: string): string => {
    const u = new URL(url);
    expect(u.origin + u.pathname).toBe(CALLBACK);
    return u.pathname + u.search;
  };

  async function callback(h: Hub, path: string, browserCookie?: string) {
    return h.app.inject({
      method: 'GET',
      url: path,
      headers: browserCookie !== undefined ? { cookie: browserCookie } : {},
    });
  }

  /** The whole browser flow: hub → Dex login page → hub callback → session cookie. */
  async function signIn(h: Hub, user: DexUser): Promise<string> {
    const { providerUrl, browserCookie } = await begin(h);
    const back = await dexPasswordLogin(providerUrl, { email: user.email, password: user.password });
    const res = await callback(h, callbackPath(back), browserCookie);
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe('/');
    const session = cookieOf(res.headers['set-cookie'], 'wh_session');
    expect(session).toBeDefined();
    return session ?? '';
  }

  interface Me {
    user: { username: string };
    bindings: { id: string; role: string; cluster: string; namespace: string }[];
    sso?: { groups: string[]; bindings: { id: string; group: string }[] };
  }
  async function me(h: Hub, cookie: string): Promise<Me> {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Me>();
  }

  async function lastSsoAudit(h: Hub) {
    const row = await h.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'auth.sso')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    return { ...row, detail: JSON.parse(row.detail ?? 'null') as Record<string, unknown> };
  }

  /** A refused callback: 401 sso_failed with `reason`, audited, and nothing but the audit record written. */
  async function expectRefused(h: Hub, run: () => Promise<{ statusCode: number; body: string }>, reason: string) {
    const { result, changes } = await changesDuring(h.db, run);
    expect(result.statusCode, result.body).toBe(401);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'sso_failed', reason });
    // The refusal's audit record; the attempt it named is used up whatever the outcome (a state is good once).
    const other = changes.filter((c) => !(c.table === 'oidc_login_attempts' && c.kind === 'removed'));
    expect(
      other.map((c) => `${c.kind} ${c.table}`),
      other.map(describeChange).join('\n'),
    ).toEqual(['added audit_log']);
    const audit = await lastSsoAudit(h);
    expect(audit.outcome).toBe('failed');
    expect(audit.detail.reason).toBe(reason);
  }

  beforeAll(async () => {
    dex = await startDexWith([SRE, DEV]);
    db = await store.open();
    hub = await hubWith();
  }, 600_000);

  afterAll(async () => {
    await hub.close();
    await db.destroy();
    await dex.stop();
  });

  describe('SSO sign-in through Dex', () => {
    it('creates the user on first sign-in, maps the groups to roles and shows both on /me', async () => {
      const cookie = await signIn(hub, SRE);
      const sre = await me(hub, cookie);
      expect(sre.user.username).toBe('sre@example.com');
      expect(sre.bindings.map((b) => [b.role, b.cluster, b.namespace])).toEqual([['operator', '*', '*']]);
      expect(sre.sso?.groups).toEqual(['sre', 'oncall']);
      expect(sre.sso?.bindings).toEqual([{ id: sre.bindings[0]?.id, group: 'sre' }]);

      const devCookie = await signIn(hub, DEV);
      const dev = await me(hub, devCookie);
      expect(dev.bindings.map((b) => [b.role, b.cluster, b.namespace]).sort()).toEqual([
        ['operator', 'staging', 'dev-sandbox'],
        ['viewer', 'staging', 'dev-*'],
      ]);
      // The mapped roles decide: the developer may not read production, the SRE may.
      await hub.clusters.create('prod', 'test');
      const timeline = (c: string) =>
        hub.app.inject({ method: 'GET', url: '/api/v1/clusters/prod/timeline', headers: { cookie: c } });
      // A cluster the person may not see at all answers 404, as if it did not exist.
      expect((await timeline(devCookie)).statusCode).toBe(404);
      expect((await timeline(cookie)).statusCode).toBe(200);

      const audit = await lastSsoAudit(hub);
      expect(audit).toMatchObject({ actor: 'dev@example.com', outcome: 'succeeded' });
      expect(audit.detail).toMatchObject({ groups: ['developers'], created: true, via: 'browser' });
    });

    it('signs the same person in again without creating another user', async () => {
      await signIn(hub, SRE);
      const users = await hub.db
        .selectFrom('users')
        .select('username')
        .where('username', '=', 'sre@example.com')
        .execute();
      expect(users).toHaveLength(1);
      expect((await lastSsoAudit(hub)).detail.created).toBe(false);
    });

    it('a user an SSO sign-in created has no password that works', async () => {
      const res = await hub.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'sre@example.com', password: 'sre-password' },
      });
      expect(res.statusCode).toBe(401);
    });

    it('removing a person from a group at the IdP removes the access at the next sign-in; manual grants stay', async () => {
      const cookie = await signIn(hub, DEV);
      const before = await me(hub, cookie);
      // An administrator's own grant is not SSO's to take away.
      const admin = await addUser(hub, { bindings: [{ role: 'account-admin' }] });
      const granted = await hub.app.inject({
        method: 'POST',
        url: '/api/v1/bindings',
        headers: bearer(admin.token),
        payload: {
          userId: (
            await hub.db
              .selectFrom('users')
              .select('id')
              .where('username', '=', 'dev@example.com')
              .executeTakeFirstOrThrow()
          ).id,
          role: 'auditor',
          cluster: '*',
          namespace: '*',
        },
      });
      expect(granted.statusCode, granted.body).toBe(201);
      expect(before.bindings).toHaveLength(2);

      // The IdP drops the developer from "developers" (Dex restarted with the new directory on the same issuer).
      const port = dex.port;
      await dex.stop();
      dex = await startDexWith([SRE, { ...DEV, groups: ['contractors'] }], port);
      const next = await hubWith();
      try {
        const again = await me(next, await signIn(next, DEV));
        expect(again.bindings.map((b) => [b.role, b.cluster, b.namespace])).toEqual([['auditor', '*', '*']]);
        expect(again.sso?.groups).toEqual(['contractors']);
        expect(again.sso?.bindings).toEqual([]);
        // The session from before the change still exists, but carries only what the store says now.
        expect((await me(next, cookie)).bindings.map((b) => b.role)).toEqual(['auditor']);
      } finally {
        await next.close();
      }
      await hub.close();
      hub = await hubWith();
    });

    it('refuses a callback whose state the hub never issued', async () => {
      const { providerUrl, browserCookie } = await begin(hub);
      const back = new URL(await dexPasswordLogin(providerUrl, { email: SRE.email, password: SRE.password }));
      back.searchParams.set('state', 'forged-state-value');
      await expectRefused(hub, () => callback(hub, callbackPath(back.toString()), browserCookie), 'bad_state');
    });

    it("refuses a callback without the browser's sign-in cookie (a redirect planted in another browser)", async () => {
      const { providerUrl } = await begin(hub);
      const back = await dexPasswordLogin(providerUrl, { email: SRE.email, password: SRE.password });
      await expectRefused(hub, () => callback(hub, callbackPath(back)), 'bad_state');
    });

    it('refuses a replayed callback, and a replayed code under a fresh state', async () => {
      const { providerUrl, browserCookie } = await begin(hub);
      const back = callbackPath(await dexPasswordLogin(providerUrl, { email: SRE.email, password: SRE.password }));
      expect((await callback(hub, back, browserCookie)).statusCode).toBe(303);
      // The same redirect again: its state was used up.
      await expectRefused(hub, () => callback(hub, back, browserCookie), 'bad_state');
      // The used code with a state from a new sign-in: Dex's token endpoint refuses the code.
      const fresh = await begin(hub);
      const replay = new URL(back, PUBLIC_URL);
      replay.searchParams.set('state', new URL(fresh.providerUrl).searchParams.get('state') ?? '');
      await expectRefused(
        hub,
        () => callback(hub, replay.pathname + replay.search, fresh.browserCookie),
        'code_rejected',
      );
    });

    it('refuses a code Dex issued to another client (audience)', async () => {
      const { providerUrl, browserCookie } = await begin(hub);
      const forged = new URL(providerUrl);
      forged.searchParams.set('client_id', 'other-app');
      const back = await dexPasswordLogin(forged.toString(), { email: SRE.email, password: SRE.password });
      await expectRefused(hub, () => callback(hub, callbackPath(back), browserCookie), 'code_rejected');
    });

    it('refuses an ID token whose audience is another client, even when the token endpoint returns it', async () => {
      // A real token Dex signed for other-app, put into the token endpoint's answer on the way to the hub.
      const otherToken = await idTokenFor('other-app', 'other-secret');
      const swapping: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        if (!String(input instanceof Request ? input.url : input).endsWith('/token')) return res;
        const body = (await res.json()) as Record<string, unknown>;
        return Response.json({ ...body, id_token: otherToken }, { status: res.status });
      };
      const h = await hubWith({ oidc: settings({ fetch: swapping }) });
      try {
        const { providerUrl, browserCookie } = await begin(h);
        const back = await dexPasswordLogin(providerUrl, { email: SRE.email, password: SRE.password });
        await expectRefused(h, () => callback(h, callbackPath(back), browserCookie), 'token_rejected');
        expect((await lastSsoAudit(h)).detail.message).toMatch(/aud|nonce/);
      } finally {
        await h.close();
      }
    });

    it('refuses an expired ID token', async () => {
      // Dex's ID tokens live 10 minutes; this hub's clock is set an hour ahead for token checks.
      const h = await hubWith({ oidc: settings({ clockSkewSeconds: 3600 }) });
      try {
        const { providerUrl, browserCookie } = await begin(h);
        const back = await dexPasswordLogin(providerUrl, { email: SRE.email, password: SRE.password });
        await expectRefused(h, () => callback(h, callbackPath(back), browserCookie), 'token_rejected');
        expect((await lastSsoAudit(h)).detail.message).toMatch(/exp/);
      } finally {
        await h.close();
      }
    });

    it('refuses an error redirect from the IdP and a sign-in that names a local account', async () => {
      const { providerUrl, browserCookie } = await begin(hub);
      const state = new URL(providerUrl).searchParams.get('state') ?? '';
      await expectRefused(
        hub,
        () => callback(hub, `/api/v1/auth/oidc/callback?error=access_denied&state=${state}`, browserCookie),
        'idp_error',
      );
      // A local account named like the IdP's user is not taken over.
      const local = await addUser(hub, { username: 'taken@example.com', bindings: [{ role: 'account-admin' }] });
      const dexPort = dex.port;
      await dex.stop();
      dex = await startDexWith(
        [SRE, DEV, { email: 'taken@example.com', username: 't', password: 'taken-password', groups: [] }],
        dexPort,
      );
      const h = await hubWith();
      try {
        const started = await begin(h);
        const back = await dexPasswordLogin(started.providerUrl, {
          email: 'taken@example.com',
          password: 'taken-password',
        });
        await expectRefused(h, () => callback(h, callbackPath(back), started.browserCookie), 'username_taken');
        expect(local.username).toBe('taken@example.com');
      } finally {
        await h.close();
      }
      await hub.close();
      hub = await hubWith();
    });

    it('answers a browser with the sign-in page and the reason instead of JSON', async () => {
      const res = await hub.app.inject({
        method: 'GET',
        url: '/api/v1/auth/oidc/callback?state=nope&code=x',
        headers: { accept: 'text/html' },
      });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toMatch(/^\/login\?ssoError=bad_state&/);
    });
  });

  describe('RP-initiated logout', () => {
    it("ends the session and answers Dex's end-session URL for this session's ID token", async () => {
      const cookie = await signIn(hub, SRE);
      const m = await me(hub, cookie);
      const csrf = (await hub.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).json<{
        csrfToken: string;
      }>().csrfToken;
      const res = await hub.app.inject({
        method: 'POST',
        url: '/api/v1/auth/oidc/logout',
        headers: { cookie, 'x-csrf-token': csrf },
      });
      expect(res.statusCode, res.body).toBe(200);
      const url = new URL(res.json<{ endSessionUrl: string }>().endSessionUrl);
      expect(url.origin + url.pathname).toBe(`${dex.issuer}/logout`);
      expect(url.searchParams.get('post_logout_redirect_uri')).toBe(`${PUBLIC_URL}/login`);
      expect(url.searchParams.get('id_token_hint')).toBeTruthy();
      expect(m.user.username).toBe('sre@example.com');
      expect((await hub.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(401);
      // Dex accepts the hint and sends the browser back to the hub's sign-in page.
      const out = await fetch(url, { redirect: 'manual' });
      expect([302, 303]).toContain(out.status);
      expect(out.headers.get('location')).toMatch(new RegExp(`^${PUBLIC_URL}/login`));
    });
  });

  describe('local accounts off except the break-glass administrator', () => {
    it('refuses password sign-in to other local accounts with local_accounts_disabled, audited', async () => {
      const h = await hubWith({ localAccounts: { mode: 'break-glass', breakGlassUser: 'root-admin' } });
      try {
        await addUser(h, { username: 'root-admin', password: 'break-glass-pw', bindings: [{ role: 'account-admin' }] });
        await addUser(h, { username: 'alice', password: 'alice-password' });
        await login(h, 'root-admin', 'break-glass-pw');
        const res = await h.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: 'alice', password: 'alice-password' },
        });
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ error: 'local_accounts_disabled' });
        const audit = await h.db
          .selectFrom('audit_log')
          .selectAll()
          .where('action', '=', 'auth.login')
          .orderBy('seq', 'desc')
          .executeTakeFirstOrThrow();
        expect(audit).toMatchObject({ actor: 'alice', outcome: 'failed' });
        expect(JSON.parse(audit.detail ?? '{}')).toMatchObject({ reason: 'local_accounts_disabled' });
        const methods = await h.app.inject({ method: 'GET', url: '/api/v1/auth/methods' });
        expect(methods.json()).toEqual({
          password: 'break-glass',
          sso: { name: 'SSO', loginUrl: '/api/v1/auth/oidc/login' },
        });
      } finally {
        await h.close();
      }
    });
  });

  /** An ID token Dex issues to `clientId` for the SRE (the code flow, driven over HTTP). */
  async function idTokenFor(clientId: string, secret: string): Promise<string> {
    const auth = new URL(`${dex.issuer}/auth`);
    auth.search = new URLSearchParams({
      client_id: clientId,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid email groups',
      state: 'other-app-state',
    }).toString();
    const back = new URL(await dexPasswordLogin(auth.toString(), { email: SRE.email, password: SRE.password }));
    const res = await fetch(`${dex.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: back.searchParams.get('code') ?? '',
        redirect_uri: CALLBACK,
      }),
    });
    return ((await res.json()) as { id_token: string }).id_token;
  }
});
