// Password hashing with scrypt (node:crypto). The stored string carries its
// parameters — scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url> — so the
// cost can be raised later and old hashes still verify.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 32;
const SALT_BYTES = 16;

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  logN: number;
  r: number;
  p: number;
}

/** Production default: N=2^15, r=8, p=1 (~32 MiB, tens of ms per hash). */
export const DEFAULT_SCRYPT: ScryptParams = { logN: 15, r: 8, p: 1 };

let current: ScryptParams | null = null;

/** Sets the cost for new hashes (tests use a low cost to stay fast). */
export function configurePasswordHashing(params: Partial<ScryptParams>): void {
  current = { ...passwordHashParams(), ...params };
  dummyHash = null;
}

export function passwordHashParams(): ScryptParams {
  if (current) return current;
  const fromEnv = Number(process.env.WHEELHOUSE_SCRYPT_LOG_N);
  return Number.isInteger(fromEnv) && fromEnv >= 1 && fromEnv <= 20
    ? { ...DEFAULT_SCRYPT, logN: fromEnv }
    : DEFAULT_SCRYPT;
}

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  // Node's default maxmem (32 MiB) is exactly at the edge for N=2^15, r=8; allow headroom.
  const opts: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFC'), salt, KEY_LENGTH, opts, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

export async function hashPassword(password: string, params: ScryptParams = passwordHashParams()): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, params);
  return ['scrypt', params.logN, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [logN, r, p] = parts.slice(1, 4).map(Number);
  if (logN === undefined || r === undefined || p === undefined) return null;
  if (![logN, r, p].every((n) => Number.isInteger(n) && n >= 1) || logN > 22 || r > 32 || p > 16) return null;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const key = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length === 0 || key.length !== KEY_LENGTH) return null;
  return { params: { logN, r, p }, salt, key };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  // No usable hash (users single sign-on created): same work as a real check, so timing does not tell.
  if (!parsed) return verifyAgainstDummy(password);
  const key = await scrypt(password, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

let dummyHash: Promise<string> | null = null;

/**
 * Spends the same work as a real verification, for unknown users, so the
 * response time does not tell whether a username exists.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword('wheelhouse-dummy-password');
  await verifyPassword(password, await dummyHash);
  return false;
}

/** True when the stored hash was made with weaker parameters than the current ones (rehash on next login). */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  const want = passwordHashParams();
  return !parsed || parsed.params.logN < want.logN || parsed.params.r < want.r || parsed.params.p < want.p;
}
