// The one way the hub POSTs to a webhook (notification rules, the access
// requests' webhook): a bounded queue worked by a few senders, each POST with
// a timeout, retried with exponential backoff on network errors, 429 and 5xx.
// A full queue refuses (counted, the caller records it): memory stays bounded
// however slow or dead a receiver is. Delivery never holds up the caller.
import type { NotificationDelivery } from '@wheelhouse/protocol';

export interface NotificationSenderOptions {
  /** Per attempt (default 5 s). */
  timeoutMs?: number;
  /** Attempts after the first (default 3). */
  retries?: number;
  /** First retry's delay, doubled each time (default 500 ms). */
  backoffMs?: number;
  /** Deliveries waiting (default 1000); beyond, enqueue refuses. */
  maxQueue?: number;
  /** POSTs in flight at once (default 4). */
  concurrency?: number;
}

export interface Delivery {
  url: string;
  body: unknown;
  /** Attempts after the first for this one (default: the sender's). */
  retries?: number;
  /** Told once the delivery ended (after its retries). */
  done?: (outcome: NotificationDelivery) => void;
}

const retryable = (status: number): boolean => status === 429 || status >= 500;

export class NotificationSender {
  private readonly queue: Delivery[] = [];
  private active = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** Refused because the queue was full. */
  dropped = 0;
  private readonly o: Required<NotificationSenderOptions>;

  constructor(opts: NotificationSenderOptions = {}) {
    this.o = { timeoutMs: 5_000, retries: 3, backoffMs: 500, maxQueue: 1000, concurrency: 4, ...opts };
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Queues a delivery; false (and nothing queued) when the queue is full or the sender closed. */
  enqueue(d: Delivery): boolean {
    if (this.closed || this.queue.length >= this.o.maxQueue) {
      this.dropped++;
      return false;
    }
    this.queue.push(d);
    this.pump();
    return true;
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Shutting down: refuses new deliveries, ends the queued ones unsent and
   * stops retrying; resolves once the attempts in flight ended (each bounded by the timeout).
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const d of this.queue.splice(0))
      d.done?.({ at: Date.now(), ok: false, error: 'hub shutting down', attempts: 0 });
    await this.idle();
  }

  private pump(): void {
    while (this.active < this.o.concurrency && this.queue.length > 0) {
      const d = this.queue.shift() as Delivery;
      this.active++;
      void this.deliver(d).then((outcome) => {
        this.active--;
        try {
          d.done?.(outcome);
        } finally {
          this.pump();
          if (this.active === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
        }
      });
    }
  }

  private async deliver(d: Delivery): Promise<NotificationDelivery> {
    let attempts = 0;
    let last: NotificationDelivery = { at: Date.now(), ok: false, attempts: 0 };
    for (;;) {
      attempts++;
      last = await this.attempt(d, attempts);
      if (
        last.ok ||
        this.closed ||
        attempts > (d.retries ?? this.o.retries) ||
        (last.status !== undefined && !retryable(last.status))
      )
        return last;
      await new Promise((r) => setTimeout(r, this.o.backoffMs * 2 ** (attempts - 1)));
    }
  }

  private async attempt(d: Delivery, attempts: number): Promise<NotificationDelivery> {
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'wheelhouse-hub' },
        body: JSON.stringify(d.body),
        signal: AbortSignal.timeout(this.o.timeoutMs),
        redirect: 'manual', // a redirect elsewhere is an answer, not a place to resend the secret body
      });
      await res.body?.cancel();
      return res.ok
        ? { at: Date.now(), ok: true, status: res.status, attempts }
        : { at: Date.now(), ok: false, status: res.status, error: `HTTP ${res.status}`, attempts };
    } catch (err) {
      return { at: Date.now(), ok: false, error: describe(err), attempts };
    }
  }
}

/** A network error's useful part: fetch wraps the reason (ECONNREFUSED, timeout) in `cause`. */
function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'timed out';
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error) return (cause as { code?: string }).code ?? cause.message;
    return err.message;
  }
  return String(err);
}
