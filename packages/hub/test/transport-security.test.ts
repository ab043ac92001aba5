// Issue 13 item 5: behind a TLS-terminating proxy the session cookie is
// Secure and HSTS is sent — when, and only when, the forwarded headers come
// from a proxy the operator named; anyone else's X-Forwarded-* are ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';

useFastPasswordHashing();

const forwarded = {
  'x-forwarded-proto': 'https',
  'x-forwarded-for': '203.0.113.7',
  'x-forwarded-host': 'wh.example.org',
};

async function signIn(hub: Hub, user: TestUser, remoteAddress: string, headers: Record<string, string> = forwarded) {
  const res = await hub.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress,
    headers,
    payload: { username: user.username, password: user.password },
  });
  expect(res.statusCode).toBe(200);
  return { setCookie: String(res.headers['set-cookie']), hsts: res.headers['strict-transport-security'] };
}

async function lastLoginIp(hub: Hub, admin: TestUser): Promise<unknown> {
  const res = await hub.app.inject({
    method: 'GET',
    url: '/api/v1/audit?action=auth.login&limit=1',
    headers: bearer(admin.token),
  });
  return res.json<{ items: { detail: { ip?: string } }[] }>().items[0]?.detail.ip;
}

describe('trusted proxies (--trusted-proxies 10.0.0.0/8,127.0.0.1)', () => {
  let hub: Hub;
  let admin: TestUser;
  beforeAll(async () => {
    hub = await createHub({ logger: false, trustedProxies: ['10.0.0.0/8', '127.0.0.1'] });
    admin = await addUser(hub, { username: 'root', bindings: [{ role: 'account-admin' }] });
  });
  afterAll(() => hub.close());

  it('a request a trusted proxy forwarded as https gets a Secure cookie and HSTS, and is audited with the real client address', async () => {
    const { setCookie, hsts } = await signIn(hub, admin, '10.1.2.3');
    expect(setCookie).toMatch(/; Secure/);
    expect(hsts).toBe('max-age=31536000');
    expect(await lastLoginIp(hub, admin)).toBe('203.0.113.7');
  });

  it("an untrusted peer's X-Forwarded-Proto/-For are ignored: no Secure, no HSTS, its own address", async () => {
    const { setCookie, hsts } = await signIn(hub, admin, '198.51.100.9');
    expect(setCookie).not.toMatch(/Secure/);
    expect(hsts).toBeUndefined();
    expect(await lastLoginIp(hub, admin)).toBe('198.51.100.9');
  });

  it('HSTS is on every answer that went out over https, not only sign-in', async () => {
    const res = await hub.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.9.9.9', headers: forwarded });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    const plain = await hub.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.9.9.9' });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('without trusted proxies (the default)', () => {
  it('forwarded headers from a loopback proxy are ignored too', async () => {
    const hub = await createHub({ logger: false });
    try {
      const admin = await addUser(hub, { username: 'root', bindings: [{ role: 'account-admin' }] });
      const { setCookie, hsts } = await signIn(hub, admin, '127.0.0.1');
      expect(setCookie).not.toMatch(/Secure/);
      expect(hsts).toBeUndefined();
      expect(await lastLoginIp(hub, admin)).toBe('127.0.0.1');
    } finally {
      await hub.close();
    }
  });
});

describe('--secure-cookie true (the Helm chart default)', () => {
  it('marks the cookie Secure and sends HSTS even when the proxy forwards nothing', async () => {
    const hub = await createHub({ logger: false, secureCookie: true });
    try {
      const admin = await addUser(hub, { username: 'root', bindings: [{ role: 'account-admin' }] });
      const { setCookie, hsts } = await signIn(hub, admin, '10.1.2.3', {});
      expect(setCookie).toMatch(/; Secure/);
      expect(hsts).toBe('max-age=31536000');
    } finally {
      await hub.close();
    }
  });

  it('--secure-cookie false keeps the cookie plain even over https', async () => {
    const hub = await createHub({ logger: false, secureCookie: false, trustedProxies: ['127.0.0.1'] });
    try {
      const admin = await addUser(hub, { username: 'root', bindings: [{ role: 'account-admin' }] });
      const { setCookie, hsts } = await signIn(hub, admin, '127.0.0.1');
      expect(setCookie).not.toMatch(/Secure/);
      expect(hsts).toBeUndefined();
    } finally {
      await hub.close();
    }
  });
});
