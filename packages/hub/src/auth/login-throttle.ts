// Slows password guessing, before any password work is done:
//   - per username and address: after a few failures that pair is locked for
//     a while (doubling, capped) — one user's guesser cannot lock the user out
//     from everywhere;
//   - per address: a budget of failures over *any* usernames (unknown ones
//     included), so spraying names from one address is throttled too.
// The address is the client's real one: behind a proxy, Fastify derives it
// from X-Forwarded-For of trusted proxies only (--trusted-proxies). IPv6
// addresses count per /64, the block one subscriber usually holds. In memory:
// a restarted hub forgets, which costs an attacker a restart they cannot trigger.
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

interface Entry {
  failures: number[];
  lockedUntil: number;
  locks: number;
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

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly o: Required<ThrottleOptions>;

  constructor(opts: ThrottleOptions = {}) {
    this.o = {
      maxFailures: opts.maxFailures ?? 5,
      maxAddressFailures: opts.maxAddressFailures ?? 20,
      windowMs: opts.windowMs ?? 15 * 60_000,
      lockMs: opts.lockMs ?? 60_000,
      maxLockMs: opts.maxLockMs ?? 30 * 60_000,
      maxEntries: opts.maxEntries ?? 10_000,
      now: opts.now ?? Date.now,
    };
  }

  private userKey(username: string, ip: string): string {
    return `u\u0000${username}\u0000${addressKey(ip)}`;
  }

  private addrKey(ip: string): string {
    return `a\u0000${addressKey(ip)}`;
  }

  private wait(key: string): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, e.lockedUntil - this.o.now()) : 0;
  }

  /** Milliseconds until this username/address may try again; 0 when it may now. */
  retryAfterMs(username: string, ip: string): number {
    return this.wait(this.userKey(username, ip));
  }

  /** Milliseconds until this address may try any username again; 0 when it may now. */
  addressRetryAfterMs(ip: string): number {
    return this.wait(this.addrKey(ip));
  }

  failed(username: string, ip: string): void {
    this.count(this.userKey(username, ip), this.o.maxFailures);
    this.count(this.addrKey(ip), this.o.maxAddressFailures);
  }

  /** Forgets the username/address pair's failures; the address budget keeps counting (a guesser with one valid account must not reset it). */
  succeeded(username: string, ip: string): void {
    this.entries.delete(this.userKey(username, ip));
  }

  private count(key: string, max: number): void {
    const now = this.o.now();
    const e = this.entries.get(key) ?? { failures: [], lockedUntil: 0, locks: 0 };
    this.entries.delete(key); // re-insert: Map order is our LRU order
    e.failures = [...e.failures.filter((t) => now - t < this.o.windowMs), now];
    if (e.failures.length >= max) {
      e.lockedUntil = now + Math.min(this.o.lockMs * 2 ** e.locks, this.o.maxLockMs);
      e.locks++;
      e.failures = [];
    }
    this.entries.set(key, e);
    if (this.entries.size > this.o.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
