// readAndFollow (data/read-and-follow.ts), the tail the console's narrow reads
// share: changes that arrive while a read is out are applied over its answer,
// one read at a time (a read asked for while one is out follows its answer, so
// a restarting feed cannot starve a page), a feed restart reads again, later()
// reads at most once a second, and stopping aborts the read and leaves the feed; a read that went out
// before the feed was subscribed is asked again only when its answer's live position (the hub's
// x-wheelhouse-live header, noted by api()) is older than the subscription's or from another hub
// process (data/live-position.ts). The feed here is the Feed interface the cluster's live copy
// implements (cluster-data.ts), driven by the test; the Chromium tests run it
// against a hub and a cluster.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordPosition } from '../src/api/client.js';
import type { InventoryItem } from '../src/api/types.js';
import { parsePosition } from '../src/data/live-position.js';
import {
  readAndFollow,
  type Deletes,
  type Feed,
  type Subscription,
  type Upserts,
} from '../src/data/read-and-follow.js';

/** A test feed; subscribed from the start (at `bus1:0`) unless `subscribedAt` is null: then subscribe() does. */
function feed(subscribedAt: string | null = 'bus1:0') {
  const changes = new Set<(u: InventoryItem[], d: { kind: string; uid: string }[]) => void>();
  const resyncs = new Set<() => void>();
  const subscribeds = new Set<(s: Subscription) => void>();
  let sub: Subscription | undefined = subscribedAt ? { position: parsePosition(subscribedAt) } : undefined;
  const f: Feed = {
    onInventory: (fn) => (changes.add(fn), () => changes.delete(fn)),
    onResync: (fn) => (resyncs.add(fn), () => resyncs.delete(fn)),
    onSubscribed: (fn) => (subscribeds.add(fn), () => subscribeds.delete(fn)),
    subscription: () => sub,
  };
  return {
    f,
    change: (u: InventoryItem[], d: { kind: string; uid: string }[] = []) => changes.forEach((fn) => fn(u, d)),
    resync: () => resyncs.forEach((fn) => fn()),
    /** The socket says `subscribed` at this position (as cluster-data.ts tells it). */
    subscribe: (position: string) => {
      const s: Subscription = { position: parsePosition(position) };
      sub = s;
      subscribeds.forEach((fn) => fn(s));
    },
    listeners: () => changes.size + resyncs.size + subscribeds.size,
  };
}
const cm = (name: string, rv: string): InventoryItem =>
  ({
    kind: 'ConfigMap',
    namespace: 'shop',
    name,
    uid: `uid-${name}`,
    resourceVersion: rv,
    createdAt: 0,
    labels: {},
    ownerRefs: [],
    summary: {},
  }) as unknown as InventoryItem;

/** A read whose answer the test gives, one per call, with the live position the hub's header would carry. */
function reads() {
  const out: { resolve: (v: string[], position?: string) => void; signal: AbortSignal }[] = [];
  const read = (signal: AbortSignal) =>
    new Promise<string[]>((resolve) => {
      out.push({
        resolve: (v, position) => {
          // What api() notes of each answer (its x-wheelhouse-live header; none: null).
          recordPosition(signal, position ?? null);
          resolve(v);
        },
        signal,
      });
    });
  return { read, out };
}
/** Names held, each with its resourceVersion: upserts replace or add, deletes drop. */
const apply = (held: string[], u: Upserts, d: Deletes): string[] => {
  let next = held;
  for (const it of u) next = [...next.filter((n) => !n.startsWith(`${it.name}@`)), `${it.name}@${it.resourceVersion}`];
  for (const x of d) next = next.filter((n) => `uid-${n.split('@')[0] ?? ''}` !== x.uid);
  return next.sort();
};
/** Lets the answers' promise callbacks run (timers are faked). */
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/** readAndFollow over a test feed and test reads, what it shows kept in order; apply() unless told. */
function follow(
  applyFn: (held: string[], u: Upserts, d: Deletes, later: () => void) => string[] = (h, u, d) => apply(h, u, d),
  subscribedAt: string | null = 'bus1:0',
) {
  const fd = feed(subscribedAt);
  const r = reads();
  const shown: string[][] = [];
  const stop = readAndFollow<string[]>(fd.f, { read: r.read, apply: applyFn, show: (v) => shown.push(v) });
  return { fd, r, shown, stop };
}

describe('readAndFollow', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  it('applies the changes seen while the read was out over its answer, then follows', async () => {
    const { fd, r, shown, stop } = follow();
    // While the read is out: b changes (newer than the answer's), c is deleted.
    fd.change([cm('b', '2')], [{ kind: 'ConfigMap', uid: 'uid-c' }]);
    expect(shown).toEqual([]);
    r.out[0]?.resolve(['a@1', 'b@1', 'c@1']);
    await vi.waitFor(() => expect(shown).toEqual([['a@1', 'b@2']]));
    fd.change([cm('d', '1')]);
    expect(shown.at(-1)).toEqual(['a@1', 'b@2', 'd@1']);
    stop();
    expect(fd.listeners()).toBe(0);
    expect(r.out[0]?.signal.aborted).toBe(true);
  });

  it('a feed restart reads again, after the read that is out: its answer is shown first, never aborted', async () => {
    const { fd, r, shown, stop } = follow();
    fd.resync();
    fd.resync();
    // One read at a time: the restarts wait for the read out, and ask for one read between them.
    expect(r.out).toHaveLength(1);
    expect(r.out[0]?.signal.aborted).toBe(false);
    fd.change([cm('b', '2')]);
    r.out[0]?.resolve(['a@1']);
    await flush();
    expect(shown).toEqual([['a@1', 'b@2']]);
    expect(r.out).toHaveLength(2);
    fd.change([cm('c', '1')]);
    r.out[1]?.resolve(['a@2', 'b@2']);
    await flush();
    expect(shown.at(-1)).toEqual(['a@2', 'b@2', 'c@1']);
    expect(r.out).toHaveLength(2);
    stop();
    expect(r.out[1]?.signal.aborted).toBe(true);
  });

  it('a feed that restarts faster than a read answers still gets every answer shown (no page left at "Loading…")', async () => {
    const { fd, r, shown, stop } = follow();
    for (let i = 0; i < 5; i++) {
      // Restarts keep coming while each read is out.
      fd.resync();
      fd.resync();
      r.out[i]?.resolve([`v@${i}`]);
      await flush();
      expect(shown.at(-1)).toEqual([`v@${i}`]);
    }
    expect(r.out.every((o) => !o.signal.aborted)).toBe(true);
    stop();
  });

  it('a failed read asked again by a restart reads again after it failed; what was held stays', async () => {
    const fd = feed();
    const answers: ((v: string[] | Error) => void)[] = [];
    const failures: unknown[] = [];
    const shown: string[][] = [];
    const stop = readAndFollow<string[]>(fd.f, {
      read: () => new Promise<string[]>((res, rej) => answers.push((v) => (v instanceof Error ? rej(v) : res(v)))),
      apply,
      show: (v) => shown.push(v),
      fail: (e) => failures.push(e),
    });
    answers[0]?.(['a@1']);
    await flush();
    fd.resync();
    fd.resync();
    answers[1]?.(new Error('503'));
    await flush();
    expect(failures).toHaveLength(1);
    expect(shown).toEqual([['a@1']]);
    expect(answers).toHaveLength(3);
    answers[2]?.(['a@2']);
    await flush();
    expect(shown.at(-1)).toEqual(['a@2']);
    stop();
  });

  describe('a first read that went out before the feed was subscribed (a change in between would reach neither)', () => {
    const notYet = null;

    it('is asked again once when its answer is older than the subscription: the change made in between shows', async () => {
      const { fd, r, shown, stop } = follow(undefined, notYet);
      // The hub answered at position 3: the pod did not exist yet. It was created (position 4) before
      // the socket subscribed, so the socket will never send it.
      r.out[0]?.resolve([], 'bus1:3');
      await flush();
      expect(shown).toEqual([[]]);
      expect(r.out).toHaveLength(1);
      fd.subscribe('bus1:4');
      expect(r.out).toHaveLength(2);
      r.out[1]?.resolve(['pod@1'], 'bus1:4');
      await flush();
      expect(shown.at(-1)).toEqual(['pod@1']);
      // That read went out subscribed: nothing more, whatever its position.
      expect(r.out).toHaveLength(2);
      stop();
    });

    it('is asked again when the subscription was known before the older answer came', async () => {
      const { fd, r, shown, stop } = follow(undefined, notYet);
      fd.subscribe('bus1:7');
      expect(r.out).toHaveLength(1);
      r.out[0]?.resolve(['a@1'], 'bus1:6');
      await flush();
      expect(r.out).toHaveLength(2);
      r.out[1]?.resolve(['a@2'], 'bus1:7');
      await flush();
      expect(shown).toEqual([['a@1'], ['a@2']]);
      expect(r.out).toHaveLength(2);
      stop();
    });

    it('is not asked again when its answer is as new as the subscription or newer (a quiet cluster: one request)', async () => {
      for (const [answered, subscribed] of [
        ['bus1:4', 'bus1:4'],
        ['bus1:9', 'bus1:4'],
      ] as const) {
        const { fd, r, shown, stop } = follow(undefined, notYet);
        r.out[0]?.resolve(['a@1'], answered);
        await flush();
        fd.subscribe(subscribed);
        await flush();
        expect(r.out, `${answered} against ${subscribed}`).toHaveLength(1);
        expect(shown).toEqual([['a@1']]);
        stop();
      }
    });

    it('is asked again once when the answer came from another hub process than the socket (replicas)', async () => {
      const { fd, r, stop } = follow(undefined, notYet);
      r.out[0]?.resolve(['a@1'], 'bus2:90');
      await flush();
      fd.subscribe('bus1:4');
      expect(r.out).toHaveLength(2);
      // Asked after the subscription: a change after its snapshot reaches the socket, whichever process answered.
      r.out[1]?.resolve(['a@1'], 'bus2:91');
      await flush();
      expect(r.out).toHaveLength(2);
      stop();
    });

    it('is asked again when its answer carried no position (a hub without them)', async () => {
      const { fd, r, stop } = follow(undefined, notYet);
      r.out[0]?.resolve(['a@1']);
      await flush();
      fd.subscribe('bus1:0');
      expect(r.out).toHaveLength(2);
      stop();
    });

    it('a read that went out subscribed is never compared, and a later reconnect does not ask it again', async () => {
      const { fd, r, stop } = follow(undefined, 'bus1:5');
      r.out[0]?.resolve(['a@1'], 'bus1:2');
      await flush();
      fd.subscribe('bus1:8');
      expect(r.out).toHaveLength(1);
      stop();
    });
  });

  it('later() reads again once, a second after it was first asked, however often it is asked', async () => {
    const { fd, r, stop } = follow((h, _u, _d, later) => {
      later();
      return h;
    });
    r.out[0]?.resolve(['a@1']);
    await flush();
    for (let i = 0; i < 5; i++) fd.change([cm('x', String(i))]);
    expect(r.out).toHaveLength(1);
    vi.advanceTimersByTime(999);
    expect(r.out).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(r.out).toHaveLength(2);
    fd.change([cm('x', '9')]);
    stop();
    vi.advanceTimersByTime(2000);
    expect(r.out).toHaveLength(2);
  });
});
