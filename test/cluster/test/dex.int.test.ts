// Dex as tests start it: it answers discovery on a loopback issuer, signs a
// static user in through its own login page, and puts the user's groups in
// the ID token (what group mapping in the hub relies on).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dexPasswordLogin, startDex, type RunningDex } from '../src/dex.js';

const REDIRECT = 'http://127.0.0.1:1/callback';
let dex: RunningDex;

beforeAll(async () => {
  dex = await startDex({
    users: [{ email: 'sre@example.com', username: 'sre', password: 'sre-password', groups: ['sre', 'oncall'] }],
    clients: [{ id: 'test-app', secret: 'test-secret', redirectURIs: [REDIRECT] }],
  });
}, 600_000);
afterAll(async () => {
  await dex.stop();
});

function claimsOf(idToken: string): Record<string, unknown> {
  const payload = idToken.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
}

describe('startDex', () => {
  it('serves discovery on a loopback issuer with an end_session_endpoint', async () => {
    expect(dex.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dex$/);
    const doc = (await (await fetch(`${dex.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(doc.issuer).toBe(dex.issuer);
    expect(doc.end_session_endpoint).toBe(`${dex.issuer}/logout`);
  });

  it("signs a user in through Dex's login page and the ID token carries the user's groups", async () => {
    const auth = new URL(`${dex.issuer}/auth`);
    auth.search = new URLSearchParams({
      client_id: 'test-app',
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid email profile groups',
      state: 'state-1',
    }).toString();
    const back = new URL(
      await dexPasswordLogin(auth.toString(), { email: 'sre@example.com', password: 'sre-password' }),
    );
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('state-1');
    const code = back.searchParams.get('code');
    expect(code).toBeTruthy();
    const res = await fetch(`${dex.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('test-app:test-secret').toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: REDIRECT,
      }).toString(),
    });
    expect(res.status).toBe(200);
    const claims = claimsOf(((await res.json()) as { id_token: string }).id_token);
    expect(claims).toMatchObject({ email: 'sre@example.com', name: 'sre', groups: ['sre', 'oncall'], aud: 'test-app' });
  });

  it('refuses a wrong password on its login page', async () => {
    const auth = `${dex.issuer}/auth?${new URLSearchParams({ client_id: 'test-app', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's' }).toString()}`;
    await expect(dexPasswordLogin(auth, { email: 'sre@example.com', password: 'wrong' })).rejects.toThrow(
      /refused the password/,
    );
  });
});
