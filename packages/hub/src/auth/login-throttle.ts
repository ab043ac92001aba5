// Slows password guessing, before any password work is done:
//   - per username and address: after a few failures that pair is locked for
//     a while (doubling, capped) — one user's guesser cannot lock the user out
//     from everywhere;
//   - per address: a budget of failures over *any* usernames (unknown ones
//     included), so spraying names from one address is throttled too.
// The address is the client's real one: behind a proxy, Fastify derives it
// from X-Forwarded-For of trusted proxies only (--trusted-proxies). IPv6
// addresses count per /64, the block one subscriber usually holds.
// LoginThrottle keeps the counts in memory (one hub process: a restart
// forgets, which costs an attacker a restart they cannot trigger);
// StoreLoginThrottle (store-login-throttle.ts) keeps them in the store, so
// hub replicas sharing a PostgreSQL database count every attempt together.
// Both apply the same rule (countFailure).
import { isIPv6 } from 'node:net';

export interface ThrottleOptions {
  /** Failures of one username from one address allowed within the window before the lock (default 5). */
  maxFailures?: number;
  /** Failures from one address, over all usernames, within the window before the address is locked (default 20). */
  maxAddressFailures?: number;
  windowMs?: number;
  /** First lock duration; each further lock doubles it, up to maxLockMs. */
  lockMs?: number;
  maxLockMs?: number;
  /** Entries kept at most (oldest evicted), so a flood of names cannot grow memory. */
  maxEntries?: number;
  now?: () => number;
}

export interface ThrottleEntry {
  failures: number[];
  lockedUntil: number;
  locks: number;
}

/** What the identity service asks of a throttle (sync in memory, async on the store). */
export interface SignInThrottle {
  /** Milliseconds until this username/address may try again; 0 when it may now. */
  retryAfterMs(username: string, ip: string): number | Promise<number>;
  /** Milliseconds until this address may try any username again; 0 when it may now. */
  addressRetryAfterMs(ip: string): number | Promise<number>;
  failed(username: string, ip: string): void | Promise<void>;
  /** Forgets the username/address pair's failures (not the address budget). */
  succeeded(username: string, ip: string): void | Promise<void>;
}

export type ResolvedThrottleOptions = Required<ThrottleOptions>;

export function resolveThrottleOptions(opts: ThrottleOptions = {}): ResolvedThrottleOptions {
  return {
    maxFailures: opts.maxFailures ?? 5,
    maxAddressFailures: opts.maxAddressFailures ?? 20,
    windowMs: opts.windowMs ?? 15 * 60_000,
    lockMs: opts.lockMs ?? 60_000,
    maxLockMs: opts.maxLockMs ?? 30 * 60_000,
    maxEntries: opts.maxEntries ?? 10_000,
    now: opts.now ?? Date.now,
  };
}

/** The throttle's keys: one username from one address, and one address over all usernames. */
export const userThrottleKey = (username: string, ip: string): string => `u\u0000${username}\u0000${addressKey(ip)}`;
export const addressThrottleKey = (ip: string): string => `a\u0000${addressKey(ip)}`;

/**
 * One more failure on an entry: failures older than the window are dropped;
 * reaching `max` locks it for lockMs, doubling with each lock up to maxLockMs.
 */
export function countFailure(
  e: ThrottleEntry | undefined,
  now: number,
  max: number,
  o: ResolvedThrottleOptions,
): ThrottleEntry {
  const next = e ? { ...e } : { failures: [], lockedUntil: 0, locks: 0 };
  next.failures = [...next.failures.filter((t) => now - t < o.windowMs), now];
  if (next.failures.length >= max) {
    next.lockedUntil = now + Math.min(o.lockMs * 2 ** next.locks, o.maxLockMs);
    next.locks++;
    next.failures = [];
  }
  return next;
}

/** The unit an address is counted in: IPv4 (also IPv4-mapped IPv6) as is, IPv6 by its /64. */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class LoginThrottle implements SignInThrottle {
  private readonly entries = new Map<string, ThrottleEntry>();
  private readonly o: ResolvedThrottleOptions;

  constructor(opts: ThrottleOptions = {}) {
    this.o = resolveThrottleOptions(opts);
  }

  private wait(key: string): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, e.lockedUntil - this.o.now()) : 0;
  }

  /** Milliseconds until this username/address may try again; 0 when it may now. */
  retryAfterMs(username: string, ip: string): number {
    return this.wait(userThrottleKey(username, ip));
  }

  /** Milliseconds until this address may try any username again; 0 when it may now. */
  addressRetryAfterMs(ip: string): number {
    return this.wait(addressThrottleKey(ip));
  }

  failed(username: string, ip: string): void {
    this.count(userThrottleKey(username, ip), this.o.maxFailures);
    this.count(addressThrottleKey(ip), this.o.maxAddressFailures);
  }

  /** Forgets the username/address pair's failures; the address budget keeps counting (a guesser with one valid account must not reset it). */
  succeeded(username: string, ip: string): void {
    this.entries.delete(userThrottleKey(username, ip));
  }

  private count(key: string, max: number): void {
    const e = countFailure(this.entries.get(key), this.o.now(), max, this.o);
    this.entries.delete(key); // re-insert: Map order is our LRU order
    this.entries.set(key, e);
    if (this.entries.size > this.o.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
