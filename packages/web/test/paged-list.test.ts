// The paged lists' core (data/paged-list.ts) under a feed restart or overflow:
// the rows held stay on screen while as many are read again, and the answer
// replaces them in one render — never an empty list between (issue 18: a big
// cluster's feed overflows often; an emptied list flickers and loses its
// scroll position). The feed is the Feed interface the cluster's live copy
// implements, driven by the test; the hub is a test source whose pages the
// test answers. The Chromium test (pods-list-resync.int.test.ts) runs it
// against a hub.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InventoryItem } from '../src/api/types.js';
import { PagedListCore, type Held, type Page, type PagedListSource } from '../src/data/paged-list.js';
import type { Deletes, Feed, Upserts } from '../src/data/read-and-follow.js';

function feed() {
  const changes = new Set<(u: InventoryItem[], d: { kind: string; uid: string }[]) => void>();
  const resyncs = new Set<() => void>();
  const f: Feed = {
    onInventory: (fn) => (changes.add(fn), () => changes.delete(fn)),
    onResync: (fn) => (resyncs.add(fn), () => resyncs.delete(fn)),
    // Subscribed from the start: every read goes out after the subscription (nothing to check).
    onSubscribed: () => () => undefined,
    subscription: () => ({ position: undefined }),
  };
  return {
    f,
    change: (u: InventoryItem[], d: { kind: string; uid: string }[] = []) => changes.forEach((fn) => fn(u, d)),
    resync: () => resyncs.forEach((fn) => fn()),
  };
}

/** A row: a pod's name and the version the hub answered with. */
interface Row {
  name: string;
  v: number;
}
const cm = (name: string, v: number): InventoryItem =>
  ({ kind: 'Pod', namespace: 'shop', name, uid: name, resourceVersion: String(v) }) as unknown as InventoryItem;

/**
 * The hub: `rows` names in order at version `v`; each request waits until the
 * test answers it (or answers at once when `auto`).
 */
function hub(n: number) {
  const state = { v: 1, n, auto: true, fail: false };
  const asked: { cursor: string | null; limit: number; count: boolean }[] = [];
  const waiting: (() => void)[] = [];
  const names = () => Array.from({ length: state.n }, (_, i) => `pod-${String(i).padStart(4, '0')}`);
  const fetchPage = async (cursor: string | null, limit: number, count: boolean): Promise<Page<Row>> => {
    asked.push({ cursor, limit, count });
    if (!state.auto) await new Promise<void>((resolve) => waiting.push(resolve));
    if (state.fail) throw new Error('hub unreachable');
    const from = cursor === null ? 0 : Number(cursor);
    const all = names();
    const items = all.slice(from, from + limit).map((name) => ({ name, v: state.v }));
    const next = from + limit < all.length ? String(from + limit) : null;
    return count ? { items, nextCursor: next, total: all.length } : { items, nextCursor: next };
  };
  /** Answers every request out. */
  const answer = async () => {
    while (waiting.length) {
      waiting.splice(0).forEach((fn) => fn());
      await flush();
    }
  };
  return { state, asked, fetchPage, answer };
}

/** Replaces a held row in place when its pod changes (as liveRows does), drops deleted ones. */
const live = (held: Held<Row>, u: Upserts, d: Deletes): boolean => {
  let changed = false;
  for (const it of u) {
    const i = held.rows.findIndex((r) => r.name === it.name);
    if (i >= 0) {
      held.rows[i] = { name: it.name, v: Number(it.resourceVersion) };
      changed = true;
    }
  }
  for (const x of d) {
    const before = held.rows.length;
    held.rows = held.rows.filter((r) => r.name !== x.uid);
    if (held.rows.length !== before) {
      changed = true;
      if (held.total !== undefined) held.total--;
    }
  }
  return changed;
};

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A list over the test hub and feed, what every render showed kept in order. */
async function list(n = 1000) {
  const h = hub(n);
  const fd = feed();
  const source: PagedListSource<Row> = {
    key: 'k',
    countKey: 'k',
    fetchPage: h.fetchPage,
    uid: (r) => r.name,
    live,
  };
  const renders: { rows: number; refreshing: boolean; error: string | undefined }[] = [];
  const core: PagedListCore<Row> = new PagedListCore(fd.f, source, () =>
    renders.push({ rows: core.rows.length, refreshing: core.view.refreshing, error: core.error }),
  );
  core.select();
  const stop = core.follow();
  await flush();
  return { h, fd, core, renders, stop };
}

describe('paged list: a feed restart keeps the rows shown until the answer replaces them', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  it('reads the rows held again while showing them, then swaps the answer in', async () => {
    const { h, fd, core, renders, stop } = await list();
    // Scrolled to row 300: 50 + 100 + 100 + 100 rows held.
    core.want(300);
    await flush();
    expect(core.rows.length).toBeGreaterThan(300);
    const held = core.rows.length;
    expect(core.total).toBe(1000);
    h.state.v = 2;
    h.state.auto = false;
    renders.length = 0;
    h.asked.length = 0;
    fd.resync();
    await flush();
    // Out: the count, and the rows held — in pages of at most 1,000.
    expect(core.view.refreshing).toBe(true);
    expect(core.rows.length).toBe(held);
    expect(core.rows.every((r) => r.v === 1)).toBe(true);
    expect(core.total).toBe(1000);
    await h.answer();
    expect(core.rows.length).toBe(held);
    expect(core.rows.every((r) => r.v === 2)).toBe(true);
    expect(core.view.refreshing).toBe(false);
    expect(h.asked.filter((a) => !a.count).reduce((n, a) => n + a.limit, 0)).toBe(held);
    // No render in between showed fewer rows.
    expect(renders.length).toBeGreaterThan(0);
    expect(renders.filter((r) => r.rows < held)).toEqual([]);
    expect(renders.at(-1)).toEqual({ rows: held, refreshing: false, error: undefined });
    stop();
  });

  it('applies the changes that arrive while the read is out, on the rows shown and over the answer', async () => {
    const { h, fd, core, stop } = await list();
    h.state.v = 2;
    h.state.auto = false;
    fd.resync();
    await flush();
    fd.change([cm('pod-0003', 7)], [{ kind: 'Pod', uid: 'pod-0001' }]);
    // Shown at once on the rows held...
    expect(core.rows[2]).toEqual({ name: 'pod-0003', v: 7 });
    expect(core.rows.some((r) => r.name === 'pod-0001')).toBe(false);
    await h.answer();
    // ...and over the answer, which may predate them.
    expect(core.rows[0]).toEqual({ name: 'pod-0000', v: 2 });
    expect(core.rows.some((r) => r.name === 'pod-0001')).toBe(false);
    expect(core.rows.find((r) => r.name === 'pod-0003')).toEqual({ name: 'pod-0003', v: 7 });
    expect(core.total).toBe(999);
    stop();
  });

  it('a failed read keeps the rows shown, with the error', async () => {
    const { h, fd, core, renders, stop } = await list();
    const before = core.rows;
    h.state.fail = true;
    renders.length = 0;
    fd.resync();
    await flush();
    expect(core.rows).toEqual(before);
    expect(core.error).toBe('hub unreachable');
    expect(core.view.refreshing).toBe(false);
    expect(renders.filter((r) => r.rows < before.length)).toEqual([]);
    // The next restart reads again, and the answer clears the error.
    h.state.fail = false;
    h.state.v = 3;
    fd.resync();
    await flush();
    expect(core.error).toBeUndefined();
    expect(core.rows.every((r) => r.v === 3)).toBe(true);
    stop();
  });

  it('restarts faster than a read answers: one read at a time, each answer shown, never emptied', async () => {
    const { h, fd, core, renders, stop } = await list();
    const held = core.rows.length;
    h.state.auto = false;
    renders.length = 0;
    for (let i = 0; i < 5; i++) {
      h.asked.length = 0;
      h.state.v = 10 + i;
      fd.resync();
      fd.resync();
      await flush();
      // One read (with its count) out, not one per restart.
      expect(h.asked.filter((a) => !a.count)).toHaveLength(1);
      await h.answer();
      expect(core.rows.every((r) => r.v === 10 + i)).toBe(true);
    }
    expect(renders.filter((r) => r.rows < held)).toEqual([]);
    stop();
  });

  it('new filters still start over (other rows), with nothing of the old list applied', async () => {
    const { h, core, stop } = await list();
    h.state.auto = false;
    core.source = { ...core.source, key: 'k2', countKey: 'k2' };
    core.select();
    expect(core.rows).toEqual([]);
    expect(core.total).toBeUndefined();
    await h.answer();
    expect(core.rows).toHaveLength(50);
    stop();
  });
});
