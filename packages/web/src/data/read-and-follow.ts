// What the console's narrow reads share (issue 18: one object, a workload's
// pods, a StatefulSet's claims, the pods per node, the paged lists): ask the
// hub for just that, then keep it current from the cluster's live feed
// instead of asking again. Changes that arrive while a read is out are held
// and applied over its answer (they are at least as new as it); a feed restart
// or overflow reads again; a change that cannot be applied in place may ask
// for a read "later" — at most once a second, so a big cluster's churn does
// not become a stream of requests. One read at a time: a read asked for while
// one is out follows it once it answered — never aborts it, so a busy feed
// that restarts every few seconds cannot keep a page at "Loading…" for ever.
// A read that went out before the feed was subscribed (a page's first reads,
// the start-up preload's) is asked again once it is, only if its answer's live
// position is older than the subscription's (live-position.ts): a quiet
// cluster's page asks each of its reads once.
import type { InventoryItem } from '../api/types.js';
import { clusterData } from './cluster-data.js';
import { BeforeSubscription, readNoting, type LivePosition } from './live-position.js';

export type Upserts = readonly InventoryItem[];
export type Deletes = readonly { kind: string; uid: string }[];

/** A function run at most once a second however often it is asked for (the first ask waits the second). */
export interface Throttled {
  ask: () => void;
  cancel: () => void;
}

export function onceASecond(fn: () => void): Throttled {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    ask: () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        fn();
      }, 1000);
    },
    cancel: () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** The feed's subscription: its live position (undefined when the hub gave none: every earlier read is asked again). */
export interface Subscription {
  position: LivePosition | undefined;
}

/** What is followed: a cluster's live feed (cluster-data.ts) — its changes, its restarts, its subscriptions. */
export interface Feed {
  onInventory: (fn: (upserts: InventoryItem[], deletes: { kind: string; uid: string }[]) => void) => () => void;
  onResync: (fn: () => void) => () => void;
  /** Each time the feed is subscribed (the first time too). */
  onSubscribed: (fn: (s: Subscription) => void) => () => void;
  /** The subscription changes now arrive by; undefined until it is subscribed and while it reconnects. */
  subscription: () => Subscription | undefined;
}

export interface FeedHandlers {
  change: (upserts: Upserts, deletes: Deletes) => void;
  resync: () => void;
  /** The feed was subscribed (the first time too). */
  subscribed?: (s: Subscription) => void;
}

/** The feed of a cluster (its live copy), or the one given (tests). */
export function feedOf(cluster: string | Feed): Feed {
  return typeof cluster === 'string' ? clusterData(cluster) : cluster;
}

/** Follows a cluster's feed until the returned function is called: its changes, restarts and subscriptions. */
export function followFeed(cluster: string | Feed, on: FeedHandlers): () => void {
  const data = feedOf(cluster);
  const offInv = data.onInventory(on.change);
  const offResync = data.onResync(on.resync);
  const offSubscribed = on.subscribed ? data.onSubscribed(on.subscribed) : () => undefined;
  return () => {
    offInv();
    offResync();
    offSubscribed();
  };
}

export interface ReadAndFollow<T> {
  /** Asks the hub (aborted when read again or stopped). */
  read: (signal: AbortSignal) => Promise<T>;
  /**
   * Applies feed changes to the value held: returns the new value, or the
   * same one when nothing it shows changed; may call later() to read again.
   */
  apply: (value: T, upserts: Upserts, deletes: Deletes, later: () => void) => T;
  /** A read's answer (with the changes meanwhile), or a change applied. */
  show: (value: T) => void;
  /** A read failed: a value held from an earlier answer stays, followed; a feed restart reads again. */
  fail?: (err: unknown) => void;
}

/** Reads, then follows the feed, until the returned function is called (an effect's cleanup). */
export function readAndFollow<T>(cluster: string | Feed, spec: ReadAndFollow<T>): () => void {
  const ctrl = new AbortController();
  /** The value followed; undefined until a read has answered. */
  let held: { value: T } | undefined;
  /** Changes seen while a read is out; undefined when none is. */
  let pending: [Upserts, Deletes][] | undefined;
  /** A read was asked for while one was out: it follows that one's answer. */
  let again = false;
  const feed = feedOf(cluster);
  /** An answer whose read went out before the feed was subscribed: read again if it may lack a change. */
  const before = new BeforeSubscription();
  const checkBefore = (s: Subscription): void => {
    // A read out now went out subscribed, or is itself checked when it answers.
    if (pending) return before.clear();
    if (before.check(s.position)) read();
  };
  const read = (): void => {
    if (ctrl.signal.aborted) return;
    if (pending) {
      again = true;
      return;
    }
    pending = [];
    const settle = (): void => {
      pending = undefined;
      if (!again) return;
      again = false;
      read();
    };
    readNoting(feed.subscription() !== undefined, spec.read, ctrl.signal).then(
      (answer) => {
        if (ctrl.signal.aborted) return;
        let value = answer.value;
        for (const [upserts, deletes] of pending ?? []) value = spec.apply(value, upserts, deletes, later.ask);
        held = { value };
        spec.show(value);
        // A read asked for meanwhile follows anyway; this answer needs no check then.
        if (answer.before && !again) before.note(answer.before.position);
        settle();
        const s = feed.subscription();
        if (s && !before.empty) checkBefore(s);
      },
      (err: unknown) => {
        if (ctrl.signal.aborted) return;
        // The value held from an earlier answer takes the changes meanwhile, as it would have.
        const changes = pending ?? [];
        if (held) {
          let value = held.value;
          for (const [upserts, deletes] of changes) value = spec.apply(value, upserts, deletes, later.ask);
          if (value !== held.value) {
            held = { value };
            spec.show(value);
          }
        }
        spec.fail?.(err);
        settle();
      },
    );
  };
  const later = onceASecond(read);
  const stopFeed = followFeed(feed, {
    change: (upserts, deletes) => {
      if (pending) {
        pending.push([upserts, deletes]);
        return;
      }
      if (!held) return;
      const value = spec.apply(held.value, upserts, deletes, later.ask);
      if (value === held.value) return;
      held = { value };
      spec.show(value);
    },
    resync: read,
    subscribed: checkBefore,
  });
  read();
  return () => {
    ctrl.abort();
    later.cancel();
    stopFeed();
  };
}
