// scrypt password hashes: parameters travel in the stored string.
import { describe, expect, it } from 'vitest';
import {
  configurePasswordHashing,
  hashPassword,
  needsRehash,
  verifyAgainstDummy,
  verifyPassword,
} from '../src/auth/password.js';
import { newApiToken, safeEqual } from '../src/auth/secrets.js';

describe('password hashing', () => {
  it('hashes with a random salt and verifies', async () => {
    configurePasswordHashing({ logN: 10 });
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$10\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('verifies with the parameters stored in the hash, and flags weaker ones for rehash', async () => {
    configurePasswordHashing({ logN: 9 });
    const weak = await hashPassword('pw-with-old-cost');
    configurePasswordHashing({ logN: 11 });
    expect(await verifyPassword('pw-with-old-cost', weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(await hashPassword('x'))).toBe(false);
    configurePasswordHashing({ logN: 10 });
  });

  it('the production default is N=2^15', async () => {
    const { DEFAULT_SCRYPT } = await import('../src/auth/password.js');
    expect(DEFAULT_SCRYPT).toEqual({ logN: 15, r: 8, p: 1 });
  });

  it.each([
    '',
    'plain',
    'scrypt$10$8$1$$',
    'scrypt$99$8$1$c2FsdA$aGFzaA',
    'bcrypt$10$x$y$z$w',
    'scrypt$10$8$1$c2FsdA$short',
  ])('rejects malformed stored hash %j', async (stored) => {
    expect(await verifyPassword('anything', stored)).toBe(false);
  });

  it('the dummy verification for unknown users always fails', async () => {
    expect(await verifyAgainstDummy('wheelhouse-dummy-password')).toBe(false);
  });
});

describe('secrets', () => {
  it('API tokens are prefixed and carry 256 bits', () => {
    const t = newApiToken();
    expect(t).toMatch(/^whu_[A-Za-z0-9_-]{43}$/);
    expect(newApiToken()).not.toBe(t);
  });
  it('safeEqual', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
