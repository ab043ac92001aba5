// Random secrets and their stored digests. Secrets (session ids, API tokens)
// are only ever stored as sha256 digests, so a copy of the database does not
// let anyone sign in.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** URL-safe random string carrying `bytes` bytes of entropy. */
export const randomSecret = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** Constant-time comparison of two strings (different lengths compare unequal without early exit on content). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    // Still spend a comparison so the length check is not the only cost.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** API tokens are recognisable by this prefix (secret scanners, logs, support). */
export const API_TOKEN_PREFIX = 'whu_';

export const newApiToken = (): string => `${API_TOKEN_PREFIX}${randomSecret(32)}`;

/** A one-time password: 24 URL-safe characters (144 bits). */
export const generatePassword = (): string => randomSecret(18);
