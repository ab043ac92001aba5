// Slows password guessing: after a few failed sign-ins for one username from
// one address, further attempts are refused for a while (doubling, capped),
// before any password work is done. In memory: a restarted hub forgets, which
// costs an attacker a restart they cannot trigger.

export interface ThrottleOptions {
  /** Failures allowed within the window before the lock (default 5). */
  maxFailures?: number;
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

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly o: Required<ThrottleOptions>;

  constructor(opts: ThrottleOptions = {}) {
    this.o = {
      maxFailures: opts.maxFailures ?? 5,
      windowMs: opts.windowMs ?? 15 * 60_000,
      lockMs: opts.lockMs ?? 60_000,
      maxLockMs: opts.maxLockMs ?? 30 * 60_000,
      maxEntries: opts.maxEntries ?? 10_000,
      now: opts.now ?? Date.now,
    };
  }

  private key(username: string, ip: string): string {
    return `${username}\u0000${ip}`;
  }

  /** Milliseconds until this username/address may try again; 0 when it may now. */
  retryAfterMs(username: string, ip: string): number {
    const e = this.entries.get(this.key(username, ip));
    return e ? Math.max(0, e.lockedUntil - this.o.now()) : 0;
  }

  failed(username: string, ip: string): void {
    const key = this.key(username, ip);
    const now = this.o.now();
    const e = this.entries.get(key) ?? { failures: [], lockedUntil: 0, locks: 0 };
    this.entries.delete(key); // re-insert: Map order is our LRU order
    e.failures = [...e.failures.filter((t) => now - t < this.o.windowMs), now];
    if (e.failures.length >= this.o.maxFailures) {
      e.lockedUntil = now + Math.min(this.o.lockMs * 2 ** e.locks, this.o.maxLockMs);
      e.locks++;
      e.failures = [];
    }
    this.entries.set(key, e);
    if (this.entries.size > this.o.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  succeeded(username: string, ip: string): void {
    this.entries.delete(this.key(username, ip));
  }
}
