// A token bucket per source (the admission request's user): each source may
// make `burst` journaled requests at once and `perSecond` after that, so one
// user (or one runaway script) cannot fill the journal for everyone. The map of
// buckets is bounded; when it is full the least recently used bucket is
// dropped (a dropped source starts again with a full bucket).
export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  /** Most sources tracked at once. */
  maxSources?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxSources: number;
  private readonly now: () => number;

  constructor(private readonly o: RateLimitOptions) {
    this.maxSources = o.maxSources ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** Takes one token for the source; when none is left, returns the ms until one is. */
  take(source: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.now();
    let b = this.buckets.get(source);
    if (b) {
      this.buckets.delete(source); // re-inserted below: Map order is the LRU order
      b.tokens = Math.min(this.o.burst, b.tokens + ((now - b.at) / 1000) * this.o.perSecond);
      b.at = now;
    } else {
      b = { tokens: this.o.burst, at: now };
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(source, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / this.o.perSecond) * 1000) };
  }

  get perSecond(): number {
    return this.o.perSecond;
  }

  get burst(): number {
    return this.o.burst;
  }

  get size(): number {
    return this.buckets.size;
  }
}
