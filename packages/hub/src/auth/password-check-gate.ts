// A global cap on concurrent password checks. Each scrypt check costs ~32 MiB
// and tens of ms of a libuv thread; without a cap a flood of sign-ins (valid
// or unknown usernames alike) queues unbounded work and memory and starves
// every other request that needs the thread pool (file and DNS work, gzip).
// Up to maxConcurrent checks run, maxQueued wait; anything beyond is refused
// at once (the caller answers 503 with Retry-After) instead of waiting.

export interface PasswordCheckGateOptions {
  /** Checks running at once (default 4: libuv's default thread pool). */
  maxConcurrent?: number;
  /** Checks waiting for a slot (default 16). */
  maxQueued?: number;
}

export const GATE_BUSY = Symbol('password checks busy');

export class PasswordCheckGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  /** Most checks seen running at once (tests, metrics). */
  peak = 0;

  constructor(o: PasswordCheckGateOptions = {}) {
    this.maxConcurrent = o.maxConcurrent ?? 4;
    this.maxQueued = o.maxQueued ?? 16;
  }

  /** Runs the check when a slot is free, or returns GATE_BUSY at once when the queue is full. */
  async run<T>(check: () => Promise<T>): Promise<T | typeof GATE_BUSY> {
    if (this.running >= this.maxConcurrent) {
      if (this.waiting.length >= this.maxQueued) return GATE_BUSY;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    this.peak = Math.max(this.peak, this.running);
    try {
      return await check();
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
