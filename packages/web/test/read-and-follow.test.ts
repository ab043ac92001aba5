// readAndFollow (data/read-and-follow.ts), the tail the console's narrow reads
// share: changes that arrive while a read is out are applied over its answer,
// a read asked again aborts the one out (its late answer is not shown), a feed
// restart reads again, later() reads at most once a second, and stopping
// leaves the feed. The feed here is the Feed interface the cluster's live copy
// implements (cluster-data.ts), driven by the test; the Chromium tests run it
// against a hub and a cluster.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InventoryItem } from '../src/api/types.js';
import { readAndFollow, type Deletes, type Feed, type Upserts } from '../src/data/read-and-follow.js';

function feed() {
  const changes = new Set<(u: InventoryItem[], d: { kind: string; uid: string }[]) => void>();
  const resyncs = new Set<() => void>();
  const f: Feed = {
    onInventory: (fn) => (changes.add(fn), () => changes.delete(fn)),
    onResync: (fn) => (resyncs.add(fn), () => resyncs.delete(fn)),
  };
  return {
    f,
    change: (u: InventoryItem[], d: { kind: string; uid: string }[] = []) => changes.forEach((fn) => fn(u, d)),
    resync: () => resyncs.forEach((fn) => fn()),
    listeners: () => changes.size + resyncs.size,
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

/** A read whose answer the test gives, one per call. */
function reads() {
  const out: { resolve: (v: string[]) => void; signal: AbortSignal }[] = [];
  const read = (signal: AbortSignal) =>
    new Promise<string[]>((resolve) => {
      out.push({ resolve, signal });
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
) {
  const fd = feed();
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

  it('a feed restart reads again; the earlier read, still out, is aborted and its answer not shown', async () => {
    const { fd, r, shown, stop } = follow();
    fd.resync();
    expect(r.out).toHaveLength(2);
    expect(r.out[0]?.signal.aborted).toBe(true);
    r.out[1]?.resolve(['new@1']);
    r.out[0]?.resolve(['stale@1']);
    await flush();
    expect(shown).toEqual([['new@1']]);
    stop();
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
