// The applier's scheduler, as pure bookkeeping (no timers, no I/O: the caller
// passes the clock and runs the work). Items wait in bounded lanes taken in
// priority order; at most one item per key (a pod) runs at a time, so two
// writes to one pod never race; a failed item waits with exponential backoff
// and keeps its place even if its lane filled meanwhile (it was admitted
// already). An item offered to a full lane is refused and the lane is marked
// spilled: the caller keeps such items elsewhere (the journal) and reloads them
// once everything has drained (`needsReload`).

export interface WorkQueueOptions<L extends string> {
  /** The lanes with their bounds, in priority order. */
  lanes: readonly { name: L; bound: number }[];
  /** Items running at once. */
  concurrency: number;
  /** Delay before the first retry; doubles per attempt up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

export interface WorkIdentity<L extends string> {
  /** Unique per item: an item already queued or running is not queued twice. */
  id: string;
  /** Items with the same key never run at the same time. */
  key: string;
  lane: L;
}

export interface Job<L extends string, T> {
  readonly item: T;
  readonly id: string;
  readonly key: string;
  readonly lane: L;
  /** Failed runs so far. */
  attempts: number;
  /** Not taken before this time (ms since epoch). */
  notBefore: number;
}

export type OfferResult = 'queued' | 'known' | 'full';

export class WorkQueue<L extends string, T> {
  private readonly lanes: Map<L, Job<L, T>[]>;
  private readonly bounds: Map<L, number>;
  private readonly spilled = new Set<L>();
  /** Ids queued or running. */
  private readonly known = new Set<string>();
  private readonly runningKeys = new Set<string>();
  private running = 0;

  constructor(
    private readonly o: WorkQueueOptions<L>,
    private readonly identify: (item: T) => WorkIdentity<L>,
  ) {
    this.lanes = new Map(o.lanes.map((l) => [l.name, []]));
    this.bounds = new Map(o.lanes.map((l) => [l.name, l.bound]));
  }

  offer(item: T): OfferResult {
    const { id, key, lane } = this.identify(item);
    if (this.known.has(id)) return 'known';
    const q = this.lane(lane);
    if (q.length >= (this.bounds.get(lane) ?? 0)) {
      this.spilled.add(lane);
      return 'full';
    }
    this.known.add(id);
    q.push({ item, id, key, lane, attempts: 0, notBefore: 0 });
    return 'queued';
  }

  /** The next job to run now, marked running; undefined when none may run now. */
  take(now: number): Job<L, T> | undefined {
    if (this.running >= this.o.concurrency) return undefined;
    for (const q of this.lanes.values()) {
      const i = q.findIndex((j) => !this.runningKeys.has(j.key) && j.notBefore <= now);
      if (i < 0) continue;
      const [job] = q.splice(i, 1);
      if (!job) continue;
      this.running++;
      this.runningKeys.add(job.key);
      return job;
    }
    return undefined;
  }

  /** When a job waiting out its backoff becomes ready (undefined: none is waiting on time). */
  nextReadyAt(now: number): number | undefined {
    let soonest: number | undefined;
    for (const q of this.lanes.values())
      for (const j of q)
        if (j.notBefore > now && !this.runningKeys.has(j.key) && (soonest === undefined || j.notBefore < soonest))
          soonest = j.notBefore;
    return soonest;
  }

  /** The job is finished for good (done, or refused in a way retrying cannot change): forget it. */
  finish(job: Job<L, T>): void {
    this.release(job);
    this.known.delete(job.id);
  }

  /** The job failed and will be tried again after a backoff; returns the delay in ms. */
  retry(job: Job<L, T>, now: number): number {
    this.release(job);
    job.attempts++;
    const delay = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** Math.min(job.attempts - 1, 16));
    job.notBefore = now + delay;
    this.lane(job.lane).push(job);
    return delay;
  }

  depth(lane: L): number {
    return this.lane(lane).length;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Items were refused for a full lane, and nothing is queued or running: time to reload them from where they wait. */
  needsReload(): boolean {
    return this.spilled.size > 0 && this.running === 0 && this.queued() === 0;
  }

  /** Starts a reload: returns the lanes that spilled and clears the marks (mark them again with `markSpilled` if it fails). */
  beginReload(): L[] {
    const lanes = [...this.spilled];
    this.spilled.clear();
    return lanes;
  }

  markSpilled(lane: L): void {
    this.spilled.add(lane);
  }

  /** Nothing queued, running or waiting to be reloaded. */
  idle(): boolean {
    return this.running === 0 && this.queued() === 0 && this.spilled.size === 0;
  }

  private queued(): number {
    let n = 0;
    for (const q of this.lanes.values()) n += q.length;
    return n;
  }

  private lane(l: L): Job<L, T>[] {
    const q = this.lanes.get(l);
    if (!q) throw new Error(`unknown lane ${l}`);
    return q;
  }

  private release(job: Job<L, T>): void {
    this.running--;
    this.runningKeys.delete(job.key);
  }
}
