// How long credentials live. A session ends after sessionIdleMs without use
// (sliding) and in any case sessionMaxAgeMs after sign-in, so a stolen cookie
// kept alive by a script still dies. API tokens always expire (tokenDefaultDays
// unless the creator chooses, never beyond tokenMaxDays). A one-time password
// (generated, or set by an admin) must be used and replaced within
// oneTimePasswordMs.

export interface CredentialLifetimes {
  sessionIdleMs: number;
  sessionMaxAgeMs: number;
  tokenDefaultDays: number;
  tokenMaxDays: number;
  oneTimePasswordMs: number;
}

const HOUR = 60 * 60 * 1000;

export const DEFAULT_LIFETIMES: CredentialLifetimes = {
  sessionIdleMs: 8 * HOUR,
  sessionMaxAgeMs: 12 * HOUR,
  tokenDefaultDays: 90,
  tokenMaxDays: 365,
  oneTimePasswordMs: 24 * HOUR,
};

export const DAY_MS = 24 * HOUR;

/** The configured lifetimes with defaults; refuses contradictions at start rather than at the first sign-in. */
export function resolveLifetimes(given: Partial<CredentialLifetimes> = {}): CredentialLifetimes {
  const l = { ...DEFAULT_LIFETIMES, ...given };
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`credential lifetime ${k} must be positive (got ${v})`);
  }
  if (!Number.isInteger(l.tokenDefaultDays) || !Number.isInteger(l.tokenMaxDays))
    throw new Error('token lifetimes are whole days');
  if (l.tokenDefaultDays > l.tokenMaxDays)
    throw new Error(`the default token lifetime (${l.tokenDefaultDays} d) exceeds the maximum (${l.tokenMaxDays} d)`);
  // An idle limit longer than the absolute one would never apply.
  return { ...l, sessionIdleMs: Math.min(l.sessionIdleMs, l.sessionMaxAgeMs) };
}

/** When a session used now expires: idle limit from now, never past its absolute end. */
export const sessionExpiry = (createdAt: number, now: number, l: CredentialLifetimes): number =>
  Math.min(now + l.sessionIdleMs, createdAt + l.sessionMaxAgeMs);
