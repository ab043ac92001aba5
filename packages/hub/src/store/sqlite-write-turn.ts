// The write turn of the embedded store: which of its two writing connections —
// the hub's (on the event loop) and the timeline writer thread's
// (sqlite-writer.ts) — may write now.
//
// Why: SQLite lets one connection write at a time. Left to SQLite, the hub's
// connection would meet the writer's lock and wait in its busy handler —
// synchronously, holding the event loop for as long as the writer's commit
// (tens to hundreds of milliseconds for a big one). Instead both take this
// turn before writing: the worker blocks on it (Atomics.wait: it is a worker
// thread), the hub awaits it (Atomics.waitAsync: the event loop runs on), so
// the hub never reaches SQLite's lock while the worker holds it.
// Fairness: the worker does not take the turn while the hub waits for it, so
// the hub's writes (logins, commands, inventory) wait at most for one commit.
// Reads need no turn (WAL: readers never wait for the writer).
/** Int32 slots of the shared buffer. */
export const TURN_HOLDER = 0;
export const TURN_HUB_WAITING = 1;
/** TURN_HOLDER values. */
export const TURN_FREE = 0;
export const TURN_HUB = 1;
export const TURN_WORKER = 2;

/** Node ≥ 16 has Atomics.waitAsync; the project's TypeScript lib (ES2022) does not declare it yet. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      i: number,
      v: number,
      timeoutMs: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync.bind(Atomics);

export class SqliteWriteTurn {
  readonly buffer = new SharedArrayBuffer(8);
  private readonly state = new Int32Array(this.buffer);

  /** Resolves once the hub holds the turn; never blocks the event loop. */
  async acquire(): Promise<void> {
    if (Atomics.compareExchange(this.state, TURN_HOLDER, TURN_FREE, TURN_HUB) === TURN_FREE) return;
    Atomics.add(this.state, TURN_HUB_WAITING, 1);
    try {
      for (;;) {
        const holder = Atomics.load(this.state, TURN_HOLDER);
        if (holder === TURN_FREE) {
          if (Atomics.compareExchange(this.state, TURN_HOLDER, TURN_FREE, TURN_HUB) === TURN_FREE) return;
          continue;
        }
        // Woken by release (or after a while, in case a notify was missed).
        const w = waitAsync(this.state, TURN_HOLDER, holder, 1000);
        if (w.async) await w.value;
      }
    } finally {
      Atomics.sub(this.state, TURN_HUB_WAITING, 1);
    }
  }

  /** The hub is done writing. */
  release(): void {
    Atomics.compareExchange(this.state, TURN_HOLDER, TURN_HUB, TURN_FREE);
    Atomics.notify(this.state, TURN_HOLDER);
  }

  /** The worker died: a turn it held is free again. */
  releaseWorker(): void {
    if (Atomics.compareExchange(this.state, TURN_HOLDER, TURN_WORKER, TURN_FREE) === TURN_WORKER) {
      Atomics.notify(this.state, TURN_HOLDER);
    }
  }

  /** Who holds it now (tests). */
  holder(): 'free' | 'hub' | 'worker' {
    const h = Atomics.load(this.state, TURN_HOLDER);
    return h === TURN_HUB ? 'hub' : h === TURN_WORKER ? 'worker' : 'free';
  }
}
