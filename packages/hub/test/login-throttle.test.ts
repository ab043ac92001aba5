import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../src/auth/login-throttle.js';
import { StoreLoginThrottle } from '../src/auth/store-login-throttle.js';
import { storeFactories } from './support/store-factories.js';
import { createHub, type Hub } from '../src/server.js';
import { addUser, useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();

describe('login throttle', () => {
  it('locks a username/address after repeated failures, doubling, and forgets on success', () => {
    let now = 0;
    const t = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, lockMs: 1000, maxLockMs: 5000, now: () => now });
    for (let i = 0; i < 2; i++) t.failed('bob', '1.2.3.4');
    expect(t.retryAfterMs('bob', '1.2.3.4')).toBe(0);
    t.failed('bob', '1.2.3.4');
    expect(t.retryAfterMs('bob', '1.2.3.4')).toBe(1000);
    expect(t.retryAfterMs('bob', '5.6.7.8')).toBe(0);
    expect(t.retryAfterMs('alice', '1.2.3.4')).toBe(0);
    now = 1000;
    for (let i = 0; i < 3; i++) t.failed('bob', '1.2.3.4');
    expect(t.retryAfterMs('bob', '1.2.3.4')).toBe(2000);
    now = 3000;
    for (let i = 0; i < 3 * 4; i++) t.failed('bob', '1.2.3.4');
    expect(t.retryAfterMs('bob', '1.2.3.4')).toBeLessThanOrEqual(5000);
    t.succeeded('bob', '1.2.3.4');
    expect(t.retryAfterMs('bob', '1.2.3.4')).toBe(0);
  });

  it('keeps its memory bounded', () => {
    const t = new LoginThrottle({ maxEntries: 100 });
    for (let i = 0; i < 1000; i++) t.failed(`user-${i}`, 'ip');
    // The oldest entries are gone, the newest kept.
    expect(t.retryAfterMs('user-0', 'ip')).toBe(0);
  });
});

describe.each(storeFactories)('the throttle kept in the store ($name)', (store) => {
  it('applies the same rule: locks after repeated failures, doubling, forgets on success, counts addresses', async () => {
    const db = await store.open();
    try {
      let now = 1_000_000;
      const opts = { maxFailures: 3, maxAddressFailures: 5, windowMs: 60_000, lockMs: 1000, maxLockMs: 5000 };
      const t = new StoreLoginThrottle(db, { ...opts, now: () => now });
      // A second instance on the same store (another replica) sees the same counts.
      const other = new StoreLoginThrottle(db, { ...opts, now: () => now });
      await t.failed('bob', '1.2.3.4');
      await other.failed('bob', '1.2.3.4');
      expect(await t.retryAfterMs('bob', '1.2.3.4')).toBe(0);
      await t.failed('bob', '1.2.3.4');
      expect(await other.retryAfterMs('bob', '1.2.3.4')).toBe(1000);
      expect(await t.retryAfterMs('bob', '5.6.7.8')).toBe(0);
      now += 1000;
      for (let i = 0; i < 3; i++) await other.failed('bob', '1.2.3.4');
      expect(await t.retryAfterMs('bob', '1.2.3.4')).toBe(2000);
      // Five failures from the address over any usernames lock the address.
      expect(await t.addressRetryAfterMs('1.2.3.4')).toBeGreaterThan(0);
      await t.succeeded('bob', '1.2.3.4');
      expect(await t.retryAfterMs('bob', '1.2.3.4')).toBe(0);
      expect(await t.addressRetryAfterMs('1.2.3.4')).toBeGreaterThan(0);
      // Long after: the rows are pruned by the next failure.
      now += 10 * 60_000;
      await t.failed('carol', '9.9.9.9');
      const keys = (await db.selectFrom('login_throttle').select('key').execute()).map((r) => r.key).sort();
      expect(keys).toEqual(['["a","9.9.9.9"]', '["u","carol","9.9.9.9"]']);
    } finally {
      await db.destroy();
    }
  });
});

describe.each(storeFactories)('sign-in throttling through the API ($name store)', (store) => {
  let hub: Hub;
  beforeAll(async () => {
    hub = await createHub({ logger: false, ...(await store.options()) });
  });
  afterAll(() => hub.close());

  it('answers 429 with Retry-After after five wrong passwords, without checking the password', async () => {
    const u = await addUser(hub, { username: 'guessme' });
    for (let i = 0; i < 5; i++) {
      const r = await hub.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'guessme', password: `wrong-${i}` },
      });
      expect(r.statusCode).toBe(401);
    }
    const locked = await hub.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'guessme', password: u.password },
    });
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['retry-after']).toBe('60');
    expect(locked.json()).toMatchObject({
      error: 'too_many_attempts',
      message: 'too many failed sign-ins for "guessme" from this address; try again in 60s',
    });
  });
});
