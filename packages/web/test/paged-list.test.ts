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
import {
  ABOVE,
  HELD_MARGIN,
  PagedListCore,
  type Held,
  type Page,
  type PagedListSource,
} from '../src/data/paged-list.js';
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
 * it; a number is a position: the page starts at that index); each request
 * waits until the test answers it (or answers at once when `auto`). `asked`
 * logs every request, as the hub saw it.
 */
function hub(n: number) {
  const state = { v: 1, auto: true, fail: false, names: Array.from({ length: n }, (_, i) => podName(i, n)) };
  const asked: { cursor: string | number | null; limit: number; count: boolean }[] = [];
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
  const fetchPage = async (cursor: string | number | null, limit: number, count: boolean): Promise<Page<Row>> => {
    asked.push({ cursor, limit, count });
    if (!state.auto) await new Promise<void>((resolve) => waiting.push(resolve));
    if (state.fail) throw new Error('hub unreachable');
    const all = state.names;
    const from = typeof cursor === 'number' ? cursor : cursor === null ? 0 : after(cursor);
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
  /** The most rows held at any render. */
  const peak = { held: 0 };
  const core: PagedListCore<Row> = new PagedListCore(fd.f, source, () => {
    peak.held = Math.max(peak.held, core.rows.length);
    renders.push({ rows: core.offset + core.rows.length, refreshing: core.view.refreshing, error: core.error });
  });
  core.select();
  const stop = core.follow();
  await flush();
  return { h, fd, core, renders, peak, stop };
}

/**
 * Scrolled down to rows first…last a screenful of pages at a time (a wheel or
 * the keyboard: every row on the way read, as the virtual table asks, 70 rows
 * a view). A scrollbar dragged there is the jump tests' (further below).
 */
async function scrollDown(core: PagedListCore<Row>, first: number, last: number, settle: () => Promise<void>) {
  for (let at = 0; at < first; at += 1_000) {
    core.want(at, at + 70);
    await settle();
  }
  core.want(first, last);
  await settle();
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

/** The list's rows from index `from` to `to` (exclusive; as slice, no further than those held): undefined where released. */
const span = (core: PagedListCore<Row>, from: number, to: number): (Row | undefined)[] =>
  Array.from({ length: Math.max(0, Math.min(to, core.offset + core.rows.length) - from) }, (_, i) =>
    core.row(from + i),
  );

/** The rows the hub was asked for (pages, not counts) since the log was last cleared. */
const rowsAsked = (asked: readonly { limit: number; count: boolean }[]): number =>
  asked.filter((a) => !a.count).reduce((n, a) => n + a.limit, 0);

describe('paged list: a feed restart deep in a long list reads what is in view, not every row held', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  /** 20,000 pods, scrolled to rows 15,000–15,060 (as the virtual table asks: in view, and read ahead). */
  async function deep(cursors = true) {
    const l = await list(20_000, cursors);
    await scrollDown(l.core, 15_000, 15_060, settle);
    expect(l.core.offset + l.core.rows.length).toBeGreaterThan(15_060);
    return l;
  }
  /** Until reads of many pages are in (each page a few ticks). */
  const settle = async () => {
    for (let i = 0; i < 50; i++) await flush();
  };
  const pn = (i: number): string => podName(i, 20_000);
  const names = (core: PagedListCore<Row>, from: number, to: number) => span(core, from, to).map((r) => r?.name);

  it('asks the hub for about a screenful around the view, shows it in place, and reads the count again', async () => {
    const { h, fd, core, renders, stop } = await deep();
    const inView = names(core, 15_000, 15_060);
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
    expect(names(core, 15_000, 15_060)).toEqual(inView);
    expect(span(core, 14_900, 15_160).every((r) => r !== undefined && r.v === 2)).toBe(true);
    expect(renders.filter((r) => r.rows < 15_060)).toEqual([]);
    expect(core.total).toBe(20_000);
    stop();
  });

  it('rows above the view were not read again: read as soon as they come into view, in place', async () => {
    const { h, fd, core, stop } = await deep();
    h.state.v = 2;
    fd.resync();
    await flush();
    // Stale above the window (still held: within HELD_MARGIN of the view): what the hub said before the restart.
    expect(core.row(13_500)?.v).toBe(1);
    h.state.v = 3;
    h.asked.length = 0;
    // Scrolled up to rows 13,500–13,560: read from a page above them, not from the top, nor the rows between.
    core.want(13_500, 13_560);
    await flush();
    expect(h.asked.filter((a) => !a.count).map((a) => a.cursor)).toEqual([pn(13_399)]);
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(300);
    expect(names(core, 13_500, 13_560)).toEqual(Array.from({ length: 60 }, (_, i) => pn(13_500 + i)));
    expect(span(core, 13_400, 13_660).every((r) => r !== undefined && r.v === 3)).toBe(true);
    // Scrolled back down: the rows there load again (fresh), in their place.
    h.asked.length = 0;
    core.want(15_000, 15_060);
    await settle();
    expect(h.asked.filter((a) => a.cursor === null)).toEqual([]);
    expect(names(core, 15_000, 15_060)).toEqual(Array.from({ length: 60 }, (_, i) => pn(15_000 + i)));
    expect(span(core, 15_000, 15_060).every((r) => r !== undefined && r.v === 3)).toBe(true);
    stop();
  });

  it('pods deleted during the feed gap leave the view at the restart, and the part above when it comes into view', async () => {
    const { h, fd, core, stop } = await deep();
    // Deleted while the feed was down (no change message): one in view, one above.
    h.state.names = h.state.names.filter((n) => n !== pn(15_010) && n !== pn(13_500));
    fd.resync();
    await flush();
    expect(core.rows.some((r) => r.name === pn(15_010))).toBe(false);
    expect(core.total).toBe(19_998);
    // Still held above (stale), until scrolled to — then gone, its neighbours in place.
    expect(core.row(13_500)?.name).toBe(pn(13_500));
    core.want(13_490, 13_550);
    await flush();
    expect(core.rows.some((r) => r.name === pn(13_500))).toBe(false);
    expect(names(core, 13_499, 13_501)).toEqual([pn(13_499), pn(13_501)]);
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
    expect(span(core, 15_000, 15_060).every((r) => r !== undefined && r.v === 2)).toBe(true);
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
    expect(core.row(15_030)?.name).toBe(pn(15_031));
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
    expect(core.row(14_899)).toEqual({ name: pn(14_899), v: 1 });
    stop();
  });

  it("the bench's baseline (fullReread) reads every row held again, from the top", async () => {
    const { h, fd, core, stop } = await deep();
    core.fullReread = true;
    const held = core.offset + core.rows.length;
    h.asked.length = 0;
    fd.resync();
    await settle();
    expect(h.asked.filter((a) => !a.count)[0]?.cursor).toBeNull();
    expect(rowsAsked(h.asked)).toBe(held);
    stop();
  });
});

describe('paged list: deep in a long list only the rows around the view are held', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  const N = 20_000;
  const pn = (i: number): string => podName(i, N);
  /** Until reads of many pages are in (each page a few ticks). */
  const settle = async () => {
    for (let i = 0; i < 80; i++) await flush();
  };
  /** What the hub lists at these indexes now (its names, in order). */
  const hubNames = (h: ReturnType<typeof hub>, from: number, to: number) => h.state.names.slice(from, to);
  const shown = (core: PagedListCore<Row>, from: number, to: number) => span(core, from, to).map((r) => r?.name);
  /** A bound on the rows held: the margin above the view, the view and what is read ahead (a page of 1,000). */
  const BOUND = HELD_MARGIN + 1_300;

  /**
   * Scrolled down to the bottom of 20,000 pods a screenful of pages at a time
   * (a wheel or the keyboard, every row on the way read; as the virtual table
   * asks: 40 in view, read ahead). A scrollbar dragged there is `jump` below.
   */
  async function bottom(cursors = true) {
    const l = await list(N, cursors);
    await scrollDown(l.core, N - 40, N + 30, settle);
    expect(shown(l.core, N - 40, N)).toEqual(hubNames(l.h, N - 40, N));
    return l;
  }
  it('scrolled to the bottom, the rows held stay bounded all the way down; the top ones are released', async () => {
    const { core, peak, stop } = await bottom();
    expect(peak.held).toBeLessThanOrEqual(BOUND);
    expect(core.rows.length).toBeLessThanOrEqual(BOUND);
    expect(core.offset).toBeGreaterThan(N - BOUND);
    expect(core.row(0)).toBeUndefined();
    expect(core.row(10_000)).toBeUndefined();
    stop();
  });

  it('scrolled back up, released rows show as loading, then are read from a cursor near them: the right ones, in place', async () => {
    const { h, core, peak, renders, stop } = await bottom();
    h.state.v = 2;
    h.state.auto = false;
    h.asked.length = 0;
    renders.length = 0;
    // The middle of the list: released, so nothing to show there until read (the table's loading rows).
    core.want(10_000, 10_060);
    await flush();
    expect(core.row(10_000)).toBeUndefined();
    expect(core.view.refreshing).toBe(true);
    // One read, from a point at most a page above the view's first row less a page — not from the top.
    const reads = h.asked.filter((a) => !a.count);
    expect(reads).toHaveLength(1);
    const from = reads[0]?.cursor ?? '';
    expect(from >= pn(9_799) && from <= pn(9_899)).toBe(true);
    await h.answer();
    expect(shown(core, 10_000, 10_060)).toEqual(hubNames(h, 10_000, 10_060));
    expect(span(core, 10_000, 10_060).every((r) => r?.v === 2)).toBe(true);
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(400);
    // The list's length did not change: the scrollbar (the count) stays where it was.
    expect(core.total).toBe(N);
    // Back to the top: read from the top, the first rows the hub's first rows.
    h.asked.length = 0;
    core.want(0, 60);
    await h.answer();
    await flush();
    expect(shown(core, 0, 60)).toEqual(hubNames(h, 0, 60));
    // And down to the bottom again: from a point near it, not every page between.
    h.asked.length = 0;
    core.want(N - 40, N + 30);
    await h.answer();
    await settle();
    await h.answer();
    expect(shown(core, N - 40, N)).toEqual(hubNames(h, N - 40, N));
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(400);
    expect(peak.held).toBeLessThanOrEqual(BOUND);
    stop();
  });

  it('live changes to released rows change nothing held; read again, they show as the hub has them', async () => {
    const { h, fd, core, stop } = await bottom();
    const held = core.rows.map((r) => ({ ...r }));
    // A pod far above changed, another deleted (at the hub too).
    h.state.v = 5;
    h.state.names = h.state.names.filter((n) => n !== pn(3_020));
    fd.change([cm(pn(3_010), 5)], [{ kind: 'Pod', uid: pn(3_020) }]);
    await flush();
    expect(core.rows).toEqual(held);
    expect(core.row(3_010)).toBeUndefined();
    core.want(3_000, 3_060);
    await settle();
    expect(shown(core, 3_000, 3_060)).toEqual(hubNames(h, 3_000, 3_060));
    expect(core.row(3_010)).toEqual({ name: pn(3_010), v: 5 });
    expect(core.rows.some((r) => r.name === pn(3_020))).toBe(false);
    // A row held now changes in place, as before.
    fd.change([cm(pn(3_030), 9)]);
    expect(core.rows.find((r) => r.name === pn(3_030))).toEqual({ name: pn(3_030), v: 9 });
    stop();
  });

  it('a restart scrolled to the bottom reads the view there; released rows are read again (fresh) when scrolled to', async () => {
    const { h, fd, core, peak, stop } = await bottom();
    h.state.v = 2;
    h.asked.length = 0;
    fd.resync();
    await settle();
    // The count and the rows in view, from a cursor just above them.
    expect(h.asked.filter((a) => !a.count).map((a) => a.cursor)).toEqual([pn(N - 141)]);
    expect(shown(core, N - 40, N)).toEqual(hubNames(h, N - 40, N));
    expect(span(core, N - 40, N).every((r) => r?.v === 2)).toBe(true);
    // Scrolled up while a second restart's read is out: the restart's read answers, then the view's.
    h.state.v = 3;
    h.state.auto = false;
    fd.resync();
    await flush();
    core.want(5_000, 5_060);
    await h.answer();
    await settle();
    await h.answer();
    await settle();
    expect(shown(core, 5_000, 5_060)).toEqual(hubNames(h, 5_000, 5_060));
    expect(span(core, 5_000, 5_060).every((r) => r?.v === 3)).toBe(true);
    expect(core.view.refreshing).toBe(false);
    expect(peak.held).toBeLessThanOrEqual(BOUND);
    stop();
  });
  it('without a cursor built from a row, released rows are read from the page ends noted: not from the top', async () => {
    const { h, core, peak, stop } = await bottom(false);
    expect(peak.held).toBeLessThanOrEqual(BOUND);
    h.asked.length = 0;
    core.want(10_000, 10_060);
    await settle();
    expect(shown(core, 10_000, 10_060)).toEqual(hubNames(h, 10_000, 10_060));
    expect(h.asked.filter((a) => !a.count && a.cursor === null)).toEqual([]);
    // Pages of 1,000 on the way down: at most one of them more than the window.
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(1_300);
    stop();
  });
  it('a row held deleted moves the released rows below it up by one: read again, each is in its place', async () => {
    const { h, fd, core, stop } = await bottom();
    core.want(10_000, 10_060);
    await settle();
    // Deleted at the hub and on the feed, among the rows held; the rows released below come one place up.
    h.state.names = h.state.names.filter((n) => n !== pn(10_010));
    fd.change([], [{ kind: 'Pod', uid: pn(10_010) }]);
    expect(core.total).toBe(N - 1);
    h.asked.length = 0;
    core.want(N - 41, N + 29);
    await settle();
    expect(h.asked.filter((a) => !a.count && a.cursor === null)).toEqual([]);
    expect(shown(core, N - 41, N - 1)).toEqual(hubNames(h, N - 41, N - 1));
    expect(core.row(N - 1)).toBeUndefined();
    stop();
  });
});

describe('paged list: a scrollbar dragged into rows never read reads them at their position, not every page above', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => vi.useRealTimers());

  const N = 100_000;
  const settle = async () => {
    for (let i = 0; i < 80; i++) await flush();
  };
  const hubNames = (h: ReturnType<typeof hub>, from: number, to: number) => h.state.names.slice(from, to);
  const shown = (core: PagedListCore<Row>, from: number, to: number) => span(core, from, to).map((r) => r?.name);
  const reads = (h: ReturnType<typeof hub>) => h.asked.filter((a) => !a.count);

  /** The first page and the count in; then the scrollbar dragged so rows first… are in view (70 a view, read ahead). */
  async function dragged(first: number) {
    const l = await list(N);
    await settle();
    expect(l.core.total).toBe(N);
    l.h.asked.length = 0;
    l.core.want(first, first + 70);
    await settle();
    return l;
  }

  it('dragged to the bottom of 100,000: one read at the position, exactly the hub’s last rows', async () => {
    const { h, core, stop } = await dragged(N - 40);
    expect(shown(core, N - 40, N)).toEqual(hubNames(h, N - 40, N));
    // One request: from a page above the view, by position; a few hundred rows, not 99,900.
    expect(reads(h).map((a) => a.cursor)).toEqual([N - 140]);
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(400);
    expect(core.view.loading || core.view.refreshing).toBe(false);
    // Nothing above was read: the rows skipped are released (loading rows until scrolled to).
    expect(core.row(50_000)).toBeUndefined();
    expect(core.total).toBe(N);
    stop();
  });

  it('dragged to the middle: read at the position; scrolled on down by the keyset, up by reads of the rows above', async () => {
    const { h, core, peak, stop } = await dragged(50_000);
    expect(shown(core, 50_000, 50_070)).toEqual(hubNames(h, 50_000, 50_070));
    expect(reads(h).map((a) => a.cursor)).toEqual([49_900]);
    // Down a few screens: pages after the rows held, from the hub's cursor (no position).
    h.asked.length = 0;
    for (const first of [50_100, 50_300, 50_600]) {
      core.want(first, first + 70);
      await settle();
      expect(shown(core, first, first + 70)).toEqual(hubNames(h, first, first + 70));
    }
    expect(reads(h).every((a) => typeof a.cursor === 'string')).toBe(true);
    // Up a little, into rows never read just above: read ahead (ABOVE rows, joined to those held), in place.
    h.asked.length = 0;
    core.want(49_850, 49_920);
    await settle();
    expect(shown(core, 49_850, 49_920)).toEqual(hubNames(h, 49_850, 49_920));
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(ABOVE + 1);
    // Up a long way: the same, at that position.
    h.asked.length = 0;
    core.want(20_000, 20_070);
    await settle();
    expect(shown(core, 20_000, 20_070)).toEqual(hubNames(h, 20_000, 20_070));
    expect(reads(h)).toHaveLength(1);
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(400);
    // And to the top: the top's rows.
    core.want(0, 70);
    await settle();
    expect(shown(core, 0, 70)).toEqual(hubNames(h, 0, 70));
    expect(peak.held).toBeLessThanOrEqual(HELD_MARGIN + 1_300);
    stop();
  });

  it('after a jump, live changes apply to the rows held; a restart re-reads the view there, the hub’s rows', async () => {
    const { h, fd, core, stop } = await dragged(N - 40);
    fd.change([cm(podName(N - 10, N), 7), cm(podName(30_000, N), 7)]);
    expect(core.row(N - 10)).toEqual({ name: podName(N - 10, N), v: 7 });
    expect(core.row(30_000)).toBeUndefined();
    // Pods deleted during a feed gap (at the hub): the restart shows the hub's rows at the bottom.
    h.state.v = 2;
    h.state.names = h.state.names.filter((n) => n !== podName(N - 20, N) && n !== podName(10, N));
    h.asked.length = 0;
    fd.resync();
    await settle();
    expect(core.total).toBe(N - 2);
    core.want(N - 42, N - 2 + 30);
    await settle();
    expect(shown(core, N - 42, N - 2)).toEqual(hubNames(h, N - 42, N - 2));
    expect(span(core, N - 42, N - 2).every((r) => r?.v === 2)).toBe(true);
    // The view's rows (from its position or a row held above it) and the rows above it read ahead
    // (the view is within a page of the top of those held), not every page above.
    expect(reads(h).length).toBeLessThanOrEqual(3);
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(400 + ABOVE + 1);
    stop();
  });

  it('a position past the end (the list shrank since counted) reads the count again', async () => {
    const l = await list(N);
    await settle();
    l.h.state.names = l.h.state.names.slice(0, 60_000);
    l.h.asked.length = 0;
    l.core.want(N - 40, N + 30);
    await settle();
    await vi.advanceTimersByTimeAsync(1_500);
    await settle();
    expect(l.h.asked.some((a) => a.count)).toBe(true);
    expect(l.core.total).toBe(60_000);
    l.stop();
  });

  /**
   * Scrolled up a few rows at a time (a wheel: 30 rows a step, 70 in view),
   * each step's reads answered before the next: after every step, whether the
   * rows in view were all there, the list said it was refreshing, and they were the hub's.
   */
  async function wheelUp(l: Awaited<ReturnType<typeof dragged>>, from: number, to: number) {
    const steps = { missing: 0, refreshing: 0, wrong: 0 };
    for (let first = from; first >= to; first -= 30) {
      l.core.want(first, first + 70);
      if (l.core.view.refreshing) steps.refreshing++;
      await settle();
      const names = shown(l.core, first, first + 70);
      if (names.some((n) => n === undefined)) steps.missing++;
      else if (JSON.stringify(names) !== JSON.stringify(hubNames(l.h, first, first + 70))) steps.wrong++;
    }
    return steps;
  }

  it('scrolled up from the bottom by a wheel: the rows above are read ahead and joined — rows in view at every step, never a re-read of the view', async () => {
    const l = await dragged(N - 70);
    const { h, core, peak, stop } = l;
    h.asked.length = 0;
    peak.held = 0;
    // 6,000 rows up, 200 steps.
    const steps = await wheelUp(l, N - 100, N - 6_100);
    expect(steps).toEqual({ missing: 0, refreshing: 0, wrong: 0 });
    // About one read per ABOVE rows scrolled, each at most ABOVE + 1 rows: not a window read every page.
    expect(reads(h).length).toBeLessThanOrEqual(6_000 / ABOVE + 2);
    expect(rowsAsked(h.asked)).toBeLessThanOrEqual(6_000 + 2 * ABOVE);
    // The rows far below were released as the view went up: as bounded as scrolling down.
    expect(peak.held).toBeLessThanOrEqual(HELD_MARGIN + 1_300);
    expect(core.row(N - 10)).toBeUndefined();
    // And back down to the bottom: the hub's rows there (read again from the point where they were released).
    core.want(N - 70, N);
    await settle();
    core.want(N - 70, N);
    await settle();
    expect(shown(core, N - 70, N)).toEqual(hubNames(h, N - 70, N));
    stop();
  });

  it('dragged to 3,000 and scrolled up by a wheel to the very top: the rows above read ahead from the top at the last', async () => {
    const l = await dragged(3_000);
    l.h.asked.length = 0;
    const steps = await wheelUp(l, 2_970, 0);
    expect(steps).toEqual({ missing: 0, refreshing: 0, wrong: 0 });
    expect(l.core.offset).toBe(0);
    expect(reads(l.h).length).toBeLessThanOrEqual(3_000 / ABOVE + 2);
    l.stop();
  });

  it('pods added and deleted above the rows held since the jump: the rows read ahead join at the first row held, where the hub has it now', async () => {
    const l = await dragged(N - 70);
    const { h, core, stop } = l;
    // Three pods created (names sorting among the rows above the view), one deleted, while they were not held.
    const names = [...h.state.names, `${podName(N - 300, N)}a`, `${podName(N - 250, N)}a`, `${podName(N - 200, N)}a`];
    h.state.names = names.filter((n) => n !== podName(N - 400, N)).sort();
    // From the first step that reads ahead (the rows held until then are where the jump read them: the
    // list learns of the moves above when it reads there).
    const steps = await wheelUp(l, N - 130, N - 1_000);
    expect(steps).toEqual({ missing: 0, refreshing: 0, wrong: 0 });
    // The rows held moved two down with the hub's list: the bottom's rows are where the hub has them now.
    core.want(N - 68, N + 2);
    await settle();
    expect(shown(core, N - 68, N + 2)).toEqual(hubNames(h, N - 68, N + 2));
    stop();
  });

  it("the bench's baseline (whWalk) reads every page on the way down", async () => {
    const l = await list(N);
    await settle();
    l.core.jump = Infinity;
    l.h.asked.length = 0;
    l.core.want(N - 40, N + 30);
    for (let i = 0; i < 40; i++) await settle();
    expect(shown(l.core, N - 40, N)).toEqual(hubNames(l.h, N - 40, N));
    expect(reads(l.h).length).toBeGreaterThan(90);
    l.stop();
  });
});
