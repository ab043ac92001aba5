// Keeps a flood of identical denials from becoming a flood of audit rows
// (each an fsync'd, hash-chained write): the first denial of a key is written
// at once; repeats within the window are only counted, and one summary row
// with the count is written when the window ends. Keys are bounded: past
// maxKeys, new keys share one overflow key, so memory and rows stay bounded
// whatever an attacker varies (addresses, usernames, origins).

export interface DenialDigestOptions<S> {
  /** Writes the summary of a window: its first sample and how many denials were only counted. */
  flush: (sample: S, repeated: number, since: number) => Promise<void>;
  /** Window per key (default 60 s). */
  windowMs?: number;
  /** Keys tracked at most (default 1000). */
  maxKeys?: number;
  onError?: (err: unknown) => void;
  now?: () => number;
}

interface Window<S> {
  since: number;
  repeated: number;
  sample: S;
}

export const OVERFLOW_KEY = '\u0000overflow';

export class DenialDigest<S> {
  private readonly windows = new Map<string, Window<S>>();
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly o: DenialDigestOptions<S>) {
    this.windowMs = o.windowMs ?? 60_000;
    this.maxKeys = o.maxKeys ?? 1000;
    this.now = o.now ?? Date.now;
    this.timer = setInterval(() => this.sweep(), Math.max(this.windowMs / 4, 250));
    this.timer.unref();
  }

  /** true: audit this denial now; false: it was counted into its key's window. */
  admit(key: string, sample: S): boolean {
    const now = this.now();
    let k = key;
    if (!this.windows.has(k) && this.windows.size >= this.maxKeys) {
      this.sweep();
      if (this.windows.size >= this.maxKeys) k = OVERFLOW_KEY;
    }
    const w = this.windows.get(k);
    if (w && now - w.since < this.windowMs) {
      w.repeated++;
      return false;
    }
    if (w) this.write(w);
    this.windows.set(k, { since: now, repeated: 0, sample });
    return true;
  }

  /** Writes the summaries of ended windows and forgets them. */
  sweep(): void {
    const now = this.now();
    for (const [k, w] of this.windows) {
      if (now - w.since < this.windowMs) continue;
      this.windows.delete(k);
      this.write(w);
    }
  }

  /** Writes every open summary (hub shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const w of this.windows.values()) this.write(w);
    this.windows.clear();
    await Promise.allSettled([...this.pending]);
  }

  private write(w: Window<S>): void {
    if (w.repeated === 0) return;
    const p = this.o.flush(w.sample, w.repeated, w.since).catch((err: unknown) => this.o.onError?.(err));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}
