// Issue 13 item 9: sign-in throttling keys on the client's real address (via
// trusted proxies only), an address has a failure budget over all usernames
// (unknown ones too), a global cap bounds concurrent scrypt checks (503 +
// Retry-After beyond it), and refusals are aggregated in the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/auth/identity-store.js';
import { addressKey } from '../src/auth/login-throttle.js';
import { hashPassword } from '../src/auth/password.js';
import { PasswordCheckGate } from '../src/auth/password-check-gate.js';
import { createHub, type Hub } from '../src/server.js';
import { addUser, bearer, login, sessionHeaders, useFastPasswordHashing, type TestUser } from './support/identity.js';

useFastPasswordHashing();

let hub: Hub;
let admin: TestUser;
beforeAll(async () => {
  hub = await createHub({ logger: false, trustedProxies: ['10.0.0.0/8'] });
  admin = await addUser(hub, { username: 'root', bindings: [{ role: 'account-admin' }] });
});
afterAll(() => hub.close());

const signIn = (
  h: Hub,
  username: string,
  password: string,
  remoteAddress: string,
  headers: Record<string, string> = {},
) =>
  h.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, headers, payload: { username, password } });

async function loginRows(h: Hub, token: string, ip: string) {
  const res = await h.app.inject({
    method: 'GET',
    url: '/api/v1/audit?action=auth.login&limit=500',
    headers: bearer(token),
  });
  return res
    .json<{ items: { outcome: string; detail: { ip: string; reason?: string; repeated?: number } }[] }>()
    .items.filter((i) => i.detail.ip === ip);
}

describe('per-address budget', () => {
  it('counts unknown usernames: after 20 failures over 20 names even a valid sign-in from that address waits (429, Retry-After); other addresses are unaffected', async () => {
    const u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    const ip = '198.51.100.20';
    for (let i = 0; i < 20; i++) {
      const r = await signIn(hub, `nobody-${i}`, 'guess', ip);
      expect(r.statusCode).toBe(401);
    }
    const valid = await signIn(hub, u.username, u.password, ip);
    expect(valid.statusCode).toBe(429);
    expect(valid.json()).toMatchObject({ error: 'too_many_failures_from_address', retryAfter: 60 });
    expect(valid.headers['retry-after']).toBe('60');
    expect((await signIn(hub, u.username, u.password, '198.51.100.21')).statusCode).toBe(200);
  });

  it('writes one audit row for a burst of throttled attempts from one address, not one per attempt', async () => {
    const ip = '198.51.100.30';
    for (let i = 0; i < 20; i++) await signIn(hub, `spray-${i}`, 'guess', ip);
    for (let i = 0; i < 50; i++) expect((await signIn(hub, `spray-more-${i}`, 'guess', ip)).statusCode).toBe(429);
    const rows = await loginRows(hub, admin.token, ip);
    expect(rows.filter((r) => r.detail.reason === 'unknown_user')).toHaveLength(20);
    expect(rows.filter((r) => r.detail.reason === 'throttled')).toHaveLength(1);
  });

  it('counts an IPv6 client per /64 (one subscriber), IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
  });

  it('IPv6 addresses of one /64 share a budget', async () => {
    for (let i = 0; i < 20; i++) await signIn(hub, `v6-${i}`, 'guess', `2001:db8:9:9::${i.toString(16)}`);
    expect((await signIn(hub, 'v6-x', 'guess', '2001:db8:9:9::ffff')).statusCode).toBe(429);
  });
});

describe('the real client address behind a proxy', () => {
  it("a trusted proxy's clients are throttled one by one: one client's lock does not lock the others", async () => {
    const u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    const via = (client: string) => ({ 'x-forwarded-for': client });
    for (let i = 0; i < 5; i++)
      expect((await signIn(hub, u.username, `wrong-${i}`, '10.0.0.5', via('203.0.113.50'))).statusCode).toBe(401);
    expect((await signIn(hub, u.username, u.password, '10.0.0.5', via('203.0.113.50'))).statusCode).toBe(429);
    expect((await signIn(hub, u.username, u.password, '10.0.0.5', via('203.0.113.51'))).statusCode).toBe(200);
  });

  it('an untrusted peer cannot escape its budget by forging X-Forwarded-For', async () => {
    const ip = '198.51.100.40';
    for (let i = 0; i < 20; i++)
      await signIn(hub, `forge-${i}`, 'guess', ip, { 'x-forwarded-for': `203.0.113.${100 + i}` });
    const r = await signIn(hub, 'forge-x', 'guess', ip, { 'x-forwarded-for': '203.0.113.250' });
    expect(r.json()).toMatchObject({ error: 'too_many_failures_from_address' });
  });
});

describe('re-authentication shares the throttle', () => {
  it('wrong passwords at token creation lock like failed sign-ins', async () => {
    const u = await addUser(hub, { bindings: [{ role: 'viewer' }] });
    const s = await login(hub, u.username, u.password);
    const create = (password: string) =>
      hub.app.inject({
        method: 'POST',
        url: '/api/v1/tokens',
        headers: sessionHeaders(s),
        payload: { name: 't', password },
      });
    for (let i = 0; i < 5; i++) expect((await create(`wrong-${i}`)).statusCode).toBe(403);
    const locked = await create(u.password);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ error: 'too_many_attempts' });
  });
});

describe('global cap on concurrent password checks', () => {
  it('a burst beyond 2 running + 2 waiting is refused at once with 503 sign_in_busy and Retry-After: 1; one audit row for all of them', async () => {
    const gate = new PasswordCheckGate({ maxConcurrent: 2, maxQueued: 2 });
    const h = await createHub({ logger: false, login: { passwordChecks: gate } });
    try {
      const root = await addUser(h, { username: 'root', bindings: [{ role: 'account-admin' }] });
      // Production-cost hashes (N=2^15): each check takes long enough for the burst to overlap.
      await createUser(h.db, {
        username: 'slow',
        passwordHash: await hashPassword('slow-password-1', { logN: 15, r: 8, p: 1 }),
        createdBy: 'test',
      });
      const burst = await Promise.all(
        Array.from({ length: 16 }, (_, i) => signIn(h, i % 2 ? 'slow' : `unknown-${i}`, 'wrong', `192.0.2.${i + 1}`)),
      );
      const statuses = burst.map((r) => r.statusCode);
      const busy = burst.filter((r) => r.statusCode === 503);
      expect(busy.length).toBeGreaterThanOrEqual(1);
      expect(statuses.filter((x) => x === 401).length).toBeGreaterThanOrEqual(4);
      expect(statuses.every((x) => x === 401 || x === 503)).toBe(true);
      for (const r of busy) {
        expect(r.json()).toMatchObject({ error: 'sign_in_busy' });
        expect(r.headers['retry-after']).toBe('1');
      }
      expect(gate.peak).toBe(2);
      const res = await h.app.inject({
        method: 'GET',
        url: '/api/v1/audit?action=auth.login&limit=500',
        headers: bearer(root.token),
      });
      const reasons = res.json<{ items: { detail: { reason?: string } }[] }>().items.map((i) => i.detail.reason);
      expect(reasons.filter((r) => r === 'busy')).toHaveLength(1);
      // Once the burst is over, sign-in works again.
      expect((await signIn(h, 'slow', 'slow-password-1', '192.0.2.200')).statusCode).toBe(200);
    } finally {
      await h.close();
    }
  }, 60_000);
});
