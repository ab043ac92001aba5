// Positions of the hub's live feed (issue 18, docs/console.md "First reads and
// the live feed"). A page's first reads go out before its live socket is
// subscribed (the start-up preload's even before the console's script runs): a
// change the hub stores between such a read and the subscription would reach
// the page by neither. The hub answers each followed read with the feed's
// position taken before its store read, and the socket's `subscribed` message
// with the position at subscription. A change not in a read's answer was
// committed after the read began, so published at a higher position: when the
// read's position is at least the subscription's, the socket delivers it;
// otherwise (or from another hub process: replicas, a restart) the read is
// asked again — once, since that read goes out after the subscription.
import { notePositions } from '../api/client.js';

/** `<bus>:<count>`: the hub process's live bus and how many inventory messages of the cluster it had delivered. */
export interface LivePosition {
  bus: string;
  at: number;
}

export function parsePosition(text: string | null | undefined): LivePosition | undefined {
  const m = /^([^:]+):(\d+)$/.exec(text ?? '');
  return m?.[1] && m[2] ? { bus: m[1], at: Number(m[2]) } : undefined;
}

/**
 * What one read is as of: the oldest position among its answers (a read may take several requests);
 * undefined when any answer had none, or answers came from different buses (nothing to compare).
 */
export function oldestPosition(texts: readonly (string | null)[]): LivePosition | undefined {
  let oldest: LivePosition | undefined;
  for (const t of texts) {
    const p = parsePosition(t);
    if (!p || (oldest && oldest.bus !== p.bus)) return undefined;
    if (!oldest || p.at < oldest.at) oldest = p;
  }
  return oldest;
}

/** Whether a read as of `read` may lack a change the subscription at `subscribed` does not deliver. */
export function mayMissChanges(read: LivePosition | undefined, subscribed: LivePosition | undefined): boolean {
  return !read || !subscribed || read.bus !== subscribed.bus || read.at < subscribed.at;
}

/**
 * The answers a page took that went out before its feed was subscribed, held until the subscription
 * is known: then check() says whether to read again.
 */
export class BeforeSubscription {
  private held: (LivePosition | undefined)[] = [];

  /** An answer that went out before the subscription, as of `position` (undefined: unknown). */
  note(position: LivePosition | undefined): void {
    this.held.push(position);
  }

  get empty(): boolean {
    return this.held.length === 0;
  }

  /** Whether any answer held may lack a change the subscription does not deliver; forgets them. */
  check(subscribed: LivePosition | undefined): boolean {
    const stale = this.held.some((p) => mayMissChanges(p, subscribed));
    this.held = [];
    return stale;
  }

  clear(): void {
    this.held = [];
  }
}

/** A read's answer; `before`: it went out before the feed was subscribed, as of this position (undefined: unknown). */
export interface Noted<T> {
  value: T;
  before?: { position: LivePosition | undefined };
}

/**
 * Runs a read with its answers' live positions noted (api() reads them from the hub's header).
 * `subscribed`: the feed was subscribed as it went out — a change after its snapshot reaches the
 * feed, nothing to compare. `signal`: the read's, when its caller makes one read at a time under it
 * (read-and-follow.ts); else the read gets a signal of its own.
 */
export async function readNoting<T>(
  subscribed: boolean,
  read: (signal: AbortSignal) => Promise<T>,
  signal: AbortSignal = new AbortController().signal,
): Promise<Noted<T>> {
  const positions = notePositions(signal);
  const value = await read(signal);
  return subscribed ? { value } : { value, before: { position: oldestPosition(positions()) } };
}
