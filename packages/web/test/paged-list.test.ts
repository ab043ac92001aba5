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

/** Pod i of a list of n: zero-padded to one width, so the names sort as the numbers do. */
const podName = (i: number, n = 1000): string => `pod-${String(i).padStart(Math.max(4, String(n - 1).length), '0')}`;

/**
 * The hub: `names` in order (pod-0000 …) at version `v`, keyset-paged as the
 * hub pages (a cursor is the name a page ended with: the next starts after
 * it); each request waits until the test answers it (or answers at once when
 * `auto`). `asked` logs every request, as the hub saw it.
 */
function hub(n: number) {
  const state = { v: 1, auto: true, fail: false, names: Array.from({ length: n }, (_, i) => podName(i, n)) };
  const asked: { cursor: string | null; limit: number; count: boolean }[] = [];
  const waiting: (() => void)[] = [];
  /** The first index after a cursor's name (binary search: the names are sorted). */
  const after = (cursor: string): number => {
    let lo = 0;
    let hi = state.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((state.names[mid] ?? '') <= cursor) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const fetchPage = async (cursor: string | null, limit: number, count: boolean): Promise<Page<Row>> => {
    asked.push({ cursor, limit, count });
    if (!state.auto) await new Promise<void>((resolve) => waiting.push(resolve));
    if (state.fail) throw new Error('hub unreachable');
    const all = state.names;
    const from = cursor === null ? 0 : after(cursor);
    const items = all.slice(from, from + limit).map((name) => ({ name, v: state.v }));
    const next = from + limit < all.length ? (items.at(-1)?.name ?? null) : null;
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

/**
 * A list over the test hub and feed, what every render showed kept in order.
 * `cursors`: the source builds a cursor from a row (as the inventory lists
 * do); without, re-reads start at the page ends held.
 */
async function list(n = 1000, cursors = true) {
  const h = hub(n);
  const fd = feed();
  const source: PagedListSource<Row> = {
    key: 'k',
    countKey: 'k',
    fetchPage: h.fetchPage,
    uid: (r) => r.name,
    live,
    ...(cursors ? { cursorAfter: (r: Row) => r.name } : {}),
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

  it('reads the rows in view again while showing them, then swaps the answer in', async () => {
    const { h, fd, core, renders, stop } = await list();
    // Scrolled to rows 260–300: 50 + 100 + 100 + 100 rows held.
    core.want(260, 300);
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
    // Read again from a page above the view (row 160) to the rows held: the rows in view are the hub's now.
    expect(core.rows.slice(160).every((r) => r.v === 2)).toBe(true);
    expect(core.view.refreshing).toBe(false);
    expect(h.asked.filter((a) => !a.count).reduce((n, a) => n + a.limit, 0)).toBe(held - 160);
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

/** The rows the hub was asked for (pages, not counts) since the log was last cleared. */
const rowsAsked = (asked: readonly { limit: number; count: boolean }[]): number =>
  asked.filter((a) => !a.count).reduce((n, a) => n + a.limit, 0);

describe('paged list: a feed restart deep in a long list reads what is in view, not every row held', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  /** 20,000 pods, scrolled to rows 15,000–15,060 (as the virtual table asks: in view, and read ahead). */
  async function deep(cursors = true) {
    const l = await list(20_000, cursors);
    l.core.want(15_000, 15_060);
    await settle();
    expect(l.core.rows.length).toBeGreaterThan(15_060);
    return l;
  }
  /** Until reads of many pages are in (each page a few ticks). */
  const settle = async () => {
    for (let i = 0; i < 50; i++) await flush();
  };
  const pn = (i: number): string => podName(i, 20_000);
  const names = (rows: readonly Row[], from: number, to: number) => rows.slice(from, to).map((r) => r.name);

  it('asks the hub for about a screenful around the view, shows it in place, and reads the count again', async () => {
    const { h, fd, core, renders, stop } = await deep();
    const inView = names(core.rows, 15_000, 15_060);
    h.state.v = 2;
    h.state.auto = false;
    h.asked.length = 0;
    renders.length = 0;
    fd.resync();
    await flush();
    expect(core.view.refreshing).toBe(true);
    // The count, and one read starting a page above the view (not from the top).
    expect(h.asked.filter((a) => a.count)).toHaveLength(1);
    expect(h.asked.filter((a) => !a.count).map((a) => a.cursor)).toEqual([pn(14_899)]);
    await h.answer();
    expect(core.view.refreshing).toBe(false);
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(300);
    // The rows in view are the hub's answer, each in its place; nothing shown between had fewer rows above them.
    expect(names(core.rows, 15_000, 15_060)).toEqual(inView);
    expect(core.rows.slice(14_900, 15_160).every((r) => r.v === 2)).toBe(true);
    expect(renders.filter((r) => r.rows < 15_060)).toEqual([]);
    expect(core.total).toBe(20_000);
    stop();
  });

  it('rows above the view were not read again: read as soon as they come into view, in place', async () => {
    const { h, fd, core, stop } = await deep();
    h.state.v = 2;
    fd.resync();
    await flush();
    // Stale above the window: what the hub said before the restart.
    expect(core.rows[5_000]?.v).toBe(1);
    h.state.v = 3;
    h.asked.length = 0;
    // Scrolled up to rows 5,000–5,060: read from a page above them, not from the top, nor the 10,000 rows between.
    core.want(5_000, 5_060);
    await flush();
    expect(h.asked.filter((a) => !a.count).map((a) => a.cursor)).toEqual([pn(4_899)]);
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(300);
    expect(names(core.rows, 5_000, 5_060)).toEqual(Array.from({ length: 60 }, (_, i) => pn(5_000 + i)));
    expect(core.rows.slice(4_900, 5_160).every((r) => r.v === 3)).toBe(true);
    // Scrolled back down: the rows there load again (fresh), in their place.
    h.asked.length = 0;
    core.want(15_000, 15_060);
    await settle();
    expect(h.asked.filter((a) => a.cursor === null)).toEqual([]);
    expect(names(core.rows, 15_000, 15_060)).toEqual(Array.from({ length: 60 }, (_, i) => pn(15_000 + i)));
    expect(core.rows.slice(15_000, 15_060).every((r) => r.v === 3)).toBe(true);
    stop();
  });

  it('pods deleted during the feed gap leave the view at the restart, and the part above when it comes into view', async () => {
    const { h, fd, core, stop } = await deep();
    // Deleted while the feed was down (no change message): one in view, one far above.
    h.state.names = h.state.names.filter((n) => n !== pn(15_010) && n !== pn(3_000));
    fd.resync();
    await flush();
    expect(core.rows.some((r) => r.name === pn(15_010))).toBe(false);
    expect(core.total).toBe(19_998);
    // Still held above (stale), until scrolled to — then gone, its neighbours in place.
    expect(core.rows[3_000]?.name).toBe(pn(3_000));
    core.want(2_990, 3_050);
    await flush();
    expect(core.rows.some((r) => r.name === pn(3_000))).toBe(false);
    expect(names(core.rows, 2_999, 3_001)).toEqual([pn(2_999), pn(3_001)]);
    stop();
  });

  it('without a cursor built from a row, starts at the nearest page end held above: still not from the top', async () => {
    const { h, fd, core, stop } = await deep(false);
    h.state.v = 2;
    h.asked.length = 0;
    fd.resync();
    await flush();
    expect(h.asked.filter((a) => !a.count && a.cursor === null)).toEqual([]);
    // Scrolled there with pages of 1,000: at most one of them more than the window.
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(1_300);
    expect(core.rows.slice(15_000, 15_060).every((r) => r.v === 2)).toBe(true);
    stop();
  });

  it("changes arriving while the window's read is out are applied over its answer; a restart meanwhile reads again after", async () => {
    const { h, fd, core, stop } = await deep();
    h.state.v = 2;
    h.state.auto = false;
    fd.resync();
    await flush();
    fd.change([cm(pn(15_020), 9)], [{ kind: 'Pod', uid: pn(15_030) }]);
    await h.answer();
    expect(core.rows.find((r) => r.name === pn(15_020))).toEqual({ name: pn(15_020), v: 9 });
    expect(core.rows.some((r) => r.name === pn(15_030))).toBe(false);
    expect(core.rows[15_030]?.name).toBe(pn(15_031));
    // Two restarts while a read is out: one more read after its answer, not one each.
    h.asked.length = 0;
    fd.resync();
    fd.resync();
    fd.resync();
    await h.answer();
    expect(h.asked.filter((a) => !a.count)).toHaveLength(2);
    expect(core.view.refreshing).toBe(false);
    stop();
  });

  it('a row changed since it was read is not where a re-read starts: its new sort value may place it elsewhere', async () => {
    const { h, fd, core, stop } = await deep();
    // The row just above the window changed (under a status sort, its phase: a new place in the list, not yet moved).
    fd.change([cm(pn(14_899), 5)]);
    h.asked.length = 0;
    fd.resync();
    await flush();
    // Read from the row above it, whose values are the hub's as read; the changed row is read again too.
    expect(h.asked.filter((a) => !a.count).map((a) => a.cursor)).toEqual([pn(14_898)]);
    expect(core.rows[14_899]).toEqual({ name: pn(14_899), v: 1 });
    stop();
  });

  it("the bench's baseline (fullReread) reads every row held again, from the top", async () => {
    const { h, fd, core, stop } = await deep();
    core.fullReread = true;
    const held = core.rows.length;
    h.asked.length = 0;
    fd.resync();
    await settle();
    expect(h.asked.filter((a) => !a.count)[0]?.cursor).toBeNull();
    expect(rowsAsked(h.asked)).toBe(held);
    stop();
  });
});
