// A list paged from the hub (issue 18): the hub filters, sorts and counts in
// SQL; the console holds only the rows scrolled through so far and asks for
// more as the virtual table nears their end. The rows held stay live through
// a list-specific `live` function; a change it cannot place (a new row, a
// changed sort key, a count that moved) asks for a refresh, at most once a
// second — a big cluster's churn must not turn into a stream of page reads.
// Up to a page held, a refresh lists them again in one request (new rows show
// in their sorted place without the rows flashing); beyond, only the count.
// Pages and counts that went out before the feed was subscribed are checked
// against it (live-position.ts): one older than the subscription lists again.
// A feed restart or overflow (frequent under a big cluster's churn) reads the
// rows in view again (a page's margin each side) while they stay on screen, and
// swaps the answer in: a list that emptied on every restart would flicker and
// lose its scroll position, and one that read every row held again would read
// 90,000 rows per restart scrolled deep into 100k pods. The read starts just
// above the view with a keyset cursor built from the row there (cursorAfter) or
// the nearest page boundary held; rows below the answer are dropped (they load
// again as scrolled to), rows above it are kept but stale, and read again
// (the same way) as soon as one of them comes into view.
// Only the rows around the view are held (HELD_MARGIN above it): scrolled to
// the bottom of 100,000 pods, a list holding every row above held 137 MiB of
// JS heap (bench console-pods-restart). Rows further away are released; where they were, the list
// keeps a keyset cursor every page (points), so scrolled back to, they are read
// again from the nearest point — a window read like a restart's — and show as
// the table's loading rows meanwhile. Their positions are as last known (a
// delete in the released part moves them by a row until read again).
// A view that lands far from every row held and every point (a scrollbar
// dragged to the bottom of 100,000 pods: ~90 pages on the way) is read from
// its position in the list (the hub's `at`), not by walking the pages above:
// the rows skipped are released rows with no point, read (the same way) when
// scrolled to.
// Scrolling up onto released rows (after a jump, or more than the margin up),
// the rows above are read ahead before they come into view (ABOVE of them),
// joined to those held at the first held row, and rows far below the view are
// released in turn: a wheel scrolling up shows rows, not a re-read every page.
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from '../api/client.js';
import type { InventoryItem } from '../api/types.js';
import { BeforeSubscription, readNoting, type Noted } from './live-position.js';
import {
  feedOf,
  followFeed,
  onceASecond,
  type Deletes,
  type Feed,
  type Throttled,
  type Upserts,
} from './read-and-follow.js';
import { FIRST_PAGE, type PageFrom } from '../start/first-requests.js';

export interface Page<Row> {
  items: Row[];
  nextCursor: string | null;
  total?: number;
}

export interface PagedList<Row> {
  /** The rows held: those around the view, the first at index `offset` of the list. */
  rows: Row[];
  /** The list index of rows[0]: the rows above it are released (read again when scrolled to). */
  offset: number;
  /** The row at this index of the list, if held. */
  row: (index: number) => Row | undefined;
  /** Items matching the filters, undefined until the first count is in. */
  total: number | undefined;
  loading: boolean;
  /** The rows shown are being read again after a feed restart; they stay until the answer replaces them. */
  refreshing: boolean;
  /** The last read failed (the rows held, if any, stay). */
  error: string | undefined;
  /**
   * The rows in view: the virtual table's first and last rendered rows (the
   * last with what it reads ahead). Rows are read down to `last`; a feed
   * restart re-reads around them; stale rows among them are read again.
   */
  want: (first: number, last: number) => void;
}

/** What a list's live function sees and may change: the rows held and the total. */
export interface Held<Row> {
  rows: Row[];
  total: number | undefined;
}

export interface PagedListSource<Row> {
  /** Changes whenever the filters or sort change: the list starts over. */
  key: string;
  /**
   * Changes whenever the filters change (not the sort): a new sort of the same
   * rows keeps the count it has, rather than asking the database to count again
   * beside the new first page (at 100k pods the count is the slower of the two).
   */
  countKey: string;
  /**
   * A page after the hub's cursor, from a list position (a number: the hub's
   * `at`), or from the top. `signal`: api()'s, so the answer's live position is
   * noted (live-position.ts).
   */
  fetchPage: (from: PageFrom, limit: number, count: boolean, signal?: AbortSignal) => Promise<Page<Row>>;
  uid: (row: Row) => string;
  /**
   * Applies inventory changes to the rows held (in place); returns whether
   * anything changed; calls refresh() when the list must be asked again.
   */
  live: (
    held: Held<Row>,
    upserts: readonly InventoryItem[],
    deletes: readonly { kind: string; uid: string }[],
    refresh: () => void,
  ) => boolean;
  /**
   * The hub's cursor that lists from just after this row (its sort values),
   * so a re-read can start right above the view. Without it, a re-read starts
   * at the nearest page boundary held above (up to a BIG_PAGE of rows more).
   */
  cursorAfter?: (row: Row) => string;
}

export const PAGE = 100;
/** Pages when far behind (a scrollbar dragged down): fewer round trips. */
const BIG_PAGE = 1000;
/**
 * Rows held above the view (a few screenfuls of fast scrolling, ~3 MiB of
 * pods); rows further up are released once a PAGE more has gathered. Below the
 * view there are never more than read ahead: a read above the rows held
 * releases those below it.
 */
export const HELD_MARGIN = 2000;
/**
 * Further than this below the nearest row or point whose cursor is known, the
 * view is read from its position (one request) rather than from that cursor
 * down (pages of BIG_PAGE one after another).
 */
export const JUMP = 2 * BIG_PAGE;
/** Rows read ahead above those held once the view nears their top (scrolling up onto released rows). */
export const ABOVE = 5 * PAGE;

/** Switches the bench and the Chromium test set on the page before it starts; nothing a user sets. */
const hooks = globalThis as {
  whFullReread?: boolean;
  whHoldAll?: boolean;
  whWalk?: boolean;
  whJump?: number;
  whHeldMargin?: number;
  whHeld?: { rows: number; peak: number };
};

/**
 * The list's state and its reads, apart from React (the hook below renders it;
 * the unit tests drive it over a test feed). `render` is called whenever what
 * it shows changed.
 */
export class PagedListCore<Row> {
  /** The caller's latest functions (a hook re-creates them every render). */
  source: PagedListSource<Row>;
  /** The cluster's live feed (its changes, restarts and subscription). */
  feed: Feed;
  key = '';
  countKey = '';
  /** The rows held: list indexes offset … offset + rows.length - 1. */
  rows: Row[] = [];
  /** The list index of rows[0]; the rows above are released. */
  offset = 0;
  total: number | undefined = undefined;
  error: string | undefined = undefined;
  /** Where the rows held end: the hub's cursor after the last, and whether it is the list's last. */
  private cursor: string | null = null;
  private done = false;
  private loading = false;
  /** The list index rows are read down to. */
  private wanted = 0;
  /** The rows in view (want's first and last, list indexes). */
  private view0 = 0;
  private view1 = 0;
  /** The hub's cursor after each page's last row (by uid): where a re-read can start without cursorAfter. */
  private readonly marks = new Map<string, string>();
  /**
   * Released rows: list index → the hub's cursor that lists from that index
   * on (the cursor after the row above it), about one a page.
   */
  private readonly points = new Map<number, string>();
  /**
   * Rows as the hub answered them (not since replaced by a change): a cursor
   * built from one is where the row sits in the list. One a change replaced may
   * have a new sort value (a pod's phase under the status sort) while it still
   * sits where it was read: a read from it would land elsewhere.
   */
  private readonly asRead = new WeakSet<object>();
  /** The first rows held (this many) were held before the last feed restart and not read since: stale until read again. */
  private staleUntil = 0;
  /**
   * The bench's baseline only (bench/src/benchmarks/console-restart.ts): a
   * feed restart reads every row held again, from the top, as before windows.
   */
  fullReread = hooks.whFullReread === true;
  /**
   * Rows held above the view (HELD_MARGIN); the bench's baseline
   * (console-restart.ts, `whHoldAll`) holds every row read, as before; the
   * Chromium test (pods-list.int.test.ts) sets a smaller one (`whHeldMargin`).
   */
  margin = hooks.whHoldAll === true ? Infinity : (hooks.whHeldMargin ?? HELD_MARGIN);
  /**
   * How far from a known cursor a read starts at the view's position instead
   * (JUMP); the bench's baseline (console-jump.ts, `whWalk`) never does: it
   * reads every page on the way, as before; the Chromium test
   * (pods-list.int.test.ts) sets a smaller one (`whJump`) for its 1,234 pods.
   */
  jump = hooks.whWalk === true ? Infinity : (hooks.whJump ?? JUMP);
  /** Bumped whenever what is out may no longer be applied (new filters, a feed restart's read). */
  private generation = 0;
  /** A read of the rows in view (after a feed restart, or of stale rows), while it is out. */
  private reread: Reread | undefined;
  /** This generation's answers that went out before the feed was subscribed. */
  private readonly before = new BeforeSubscription();
  private readonly small: Throttled;

  constructor(
    feed: string | Feed,
    source: PagedListSource<Row>,
    private readonly draw: () => void,
  ) {
    this.feed = feedOf(feed);
    this.source = source;
    this.small = onceASecond(() => this.refreshSmall());
  }

  /** What it shows changed. */
  private render(): void {
    // The Chromium test's count of the rows held (set by its init script only).
    const probe = hooks.whHeld;
    if (probe) {
      probe.rows = this.rows.length;
      probe.peak = Math.max(probe.peak, this.rows.length);
    }
    this.draw();
  }

  get view(): Omit<PagedList<Row>, 'want' | 'row'> {
    return {
      rows: this.rows,
      offset: this.offset,
      total: this.total,
      loading: this.loading,
      refreshing: this.reread !== undefined && this.reread.ahead !== true,
      error: this.error,
    };
  }

  /** The row at this list index, if held. */
  row(index: number): Row | undefined {
    return index < this.offset ? undefined : this.rows[index - this.offset];
  }

  /** Where the rows held end (a list index). */
  private get end(): number {
    return this.offset + this.rows.length;
  }

  /** The source's key changed (or is first set): the list starts over; only the sort changed keeps the count. */
  select(): void {
    const { key, countKey } = this.source;
    if (this.key === key) return;
    const sameCount = this.key !== '' && this.countKey === countKey;
    this.key = key;
    this.countKey = countKey;
    this.restart(sameCount);
  }

  /** The rows in view: read down to `last`; stale or released ones among them are read again. */
  want(first: number, last: number): void {
    this.view0 = Math.max(0, first);
    this.view1 = Math.max(this.view0, last);
    if (last > this.wanted) this.wanted = last;
    // Scrolling up: rows far below go (not while a page is out: it is appended at the end held).
    if (!this.reread && !this.loading && this.releaseBelow()) this.render();
    this.next();
  }

  /** What the view needs next: the rows above read ahead, a window read, or pages below. */
  private next(): void {
    if (this.reread || this.key !== this.source.key) return void this.pump();
    if (this.nearTop()) this.readAbove();
    else if (this.mustRead()) this.read(false);
    else void this.pump();
  }

  /**
   * The view is within half a page of the top of the rows held (a window read
   * holds a page above the view: a few rows of scroll do not set this off), with released rows
   * above and the view still on rows held (scrolled up, not dragged away): the
   * rows above are read ahead and joined. Not over stale rows: those are read
   * again by a window read first.
   */
  private nearTop(): boolean {
    return (
      this.offset > 0 &&
      this.staleUntil === 0 &&
      !this.fullReread &&
      this.view0 < this.offset + PAGE / 2 &&
      this.view1 >= this.offset
    );
  }

  /**
   * The view needs a window read: it starts among stale or released rows above
   * those held fresh, or below the rows held with a point nearer than their end
   * (scrolled back down after the rows there were released).
   */
  private mustRead(): boolean {
    if (this.view0 < this.offset + this.staleUntil) return true;
    if (this.done || this.view0 <= this.end) return false;
    // Dragged far below the rows held: read at the view (windowStart jumps there) rather than walk down.
    if (this.view0 - PAGE - this.end > this.jump) return true;
    for (const index of this.points.keys()) if (index > this.end && index <= this.view0) return true;
    return false;
  }

  /** Follows the feed until the returned function is called: changes in place, a restart re-reads. */
  follow(): () => void {
    const stop = followFeed(this.feed, {
      change: (u, d) => this.change(u, d),
      resync: () => this.resync(),
      // Answers that went out before the subscription: list again if one may lack a change.
      subscribed: (sub) => {
        if (this.before.check(sub.position)) this.refreshSmall();
      },
    });
    return () => {
      stop();
      this.small.cancel();
    };
  }

  /** Starts the list over: new filters or sort show other rows. */
  private restart(keepCount: boolean): void {
    this.generation++;
    this.rows = [];
    this.offset = 0;
    if (!keepCount) this.total = undefined;
    this.cursor = null;
    this.done = false;
    this.loading = false;
    this.wanted = 0;
    this.reread = undefined;
    this.marks.clear();
    this.points.clear();
    this.staleUntil = 0;
    this.before.clear();
    this.render();
    void this.pump();
  }

  /** Loads pages until the wanted index is covered (one request at a time; none while a re-read is out). */
  private async pump(): Promise<void> {
    // Children's effects run first: nothing is fetched before the list's own key is set.
    if (this.key !== this.source.key || this.reread || this.loading || this.done || this.end > this.wanted) return;
    const gen = this.generation;
    this.loading = true;
    try {
      while (!this.done && this.end <= this.wanted && gen === this.generation) {
        const behind = this.wanted - this.end;
        const first = this.cursor === null;
        // The count is its own request beside the first page: counting 100k index entries takes the
        // database tens of ms, and the rows need not wait for it. Not asked again for a new sort.
        const subscribed = this.feed.subscription() !== undefined;
        if (first && this.total === undefined)
          readNoting(subscribed, (signal) => this.source.fetchPage(null, 1, true, signal)).then(
            (answer) => {
              const c = this.noted(gen, answer);
              if (gen !== this.generation) return;
              this.total = c.total;
              this.render();
            },
            () => undefined,
          );
        const limit = first ? FIRST_PAGE : behind > BIG_PAGE / 2 ? BIG_PAGE : PAGE;
        const cursor = this.cursor;
        const answer = await readNoting(subscribed, (signal) => this.source.fetchPage(cursor, limit, false, signal));
        if (gen !== this.generation) return;
        const page = answer.value;
        this.rows = appendNew(this.rows, this.asAnswered(page.items), this.source.uid);
        this.mark(page);
        this.cursor = page.nextCursor;
        this.done = page.nextCursor === null;
        this.error = undefined;
        // A scrollbar dragged to the bottom reads every page on the way: only those near the view stay.
        this.releaseAbove();
        this.render();
        this.noted(gen, answer);
      }
    } catch (err) {
      if (gen === this.generation) {
        this.error = errorText(err);
        this.render();
      }
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** A page or count of this generation answered; if it went out before the subscription, checked. */
  private noted<T>(gen: number, answer: Noted<T>): T {
    if (answer.before && gen === this.generation) {
      this.before.note(answer.before.position);
      const sub = this.feed.subscription();
      if (sub && this.before.check(sub.position)) this.refreshSmall();
    }
    return answer.value;
  }

  private change(upserts: Upserts, deletes: Deletes): void {
    // What a re-read is fetching may predate this change: it is applied over the answer too.
    this.reread?.pending.push([upserts, deletes]);
    // Only the rows held are live: a released row is read again, as it is then, when scrolled to.
    const held: Held<Row> = { rows: [...this.rows], total: this.total };
    const firstFresh = this.rows[this.staleUntil];
    const end = this.end;
    if (this.source.live(held, upserts, deletes, this.small.ask)) {
      this.staleUntil = freshFrom(held.rows, this.staleUntil, firstFresh, this.source.uid);
      this.rows = held.rows;
      this.total = held.total;
      // Rows deleted from those held move the released rows below them up.
      this.shiftPoints(end, this.end - end);
      this.render();
    }
  }

  /**
   * The feed restarted or overflowed: the rows held may be stale. Those in
   * view stay on screen (and with them the scroll position, selection and
   * focus) while they are read again, with a page's margin each side; then the
   * answer replaces them in one render. One read at a time: a restart while
   * one is out reads again after its answer, so a feed that restarts every few
   * seconds cannot starve the list.
   */
  private resync(): void {
    if (this.reread) this.reread.again = true;
    else this.read(true);
  }

  /** Starts a read of the rows in view (with the count after a restart); what pump or a small refresh has out is older. */
  private read(count: boolean): void {
    const gen = ++this.generation;
    this.loading = false;
    const reread: Reread = { pending: [], again: false };
    this.reread = reread;
    this.render();
    void this.readWindow(gen, reread, count);
  }

  /**
   * Where a read of the rows in view starts: a page above the first (or the
   * top), at a list index whose cursor is known — built from the row above,
   * a page's end held, or a point where rows were released — whichever is
   * nearest above; if that is more than `jump` rows above, at that index itself
   * (its position in the list: the hub seeks it).
   */
  private windowStart(): { index: number; from: PageFrom } {
    if (this.fullReread) return { index: 0, from: null };
    const target = Math.max(0, this.view0 - PAGE);
    const known = this.knownAbove(target);
    return target - known.index > this.jump ? { index: target, from: target } : known;
  }

  /** The nearest list index at or above `target` whose cursor is known (or the top). */
  private knownAbove(target: number): { index: number; from: string | null } {
    const { cursorAfter, uid } = this.source;
    let best: { index: number; from: string | null } = { index: 0, from: null };
    // Points among the rows held are not used: those rows' own cursors place a read exactly.
    for (const [index, cursor] of this.points)
      if (index <= target && index > best.index && (index <= this.offset || index >= this.end))
        best = { index, from: cursor };
    for (let i = Math.min(target, this.end); i > Math.max(this.offset, best.index); i--) {
      const above = this.rows[i - 1 - this.offset] as Row;
      const cursor =
        (cursorAfter && this.isAsRead(above) ? cursorAfter(above) : undefined) ?? this.marks.get(uid(above));
      if (cursor !== undefined) return { index: i, from: cursor };
    }
    return best;
  }

  /**
   * Reads the rows in view again (from windowStart to a page below the last;
   * no further than the rows held when those cover the view) and swaps them
   * in: the rows held above stay, stale; those below are released and load
   * again as scrolled to. A read that starts outside the rows held (released
   * ones scrolled to) releases every row held.
   */
  private async readWindow(gen: number, reread: Reread, count: boolean): Promise<void> {
    const { fetchPage, uid } = this.source;
    const start = this.windowStart();
    const reach = this.end > this.view1 ? Math.min(this.end, this.view1 + PAGE) : this.view1 + PAGE;
    const end = this.fullReread
      ? Math.max(FIRST_PAGE, this.end)
      : Math.max(start.index === 0 ? FIRST_PAGE : start.index + 1, reach);
    const joins = start.index >= this.offset && start.index <= this.end;
    const subscribed = this.feed.subscription() !== undefined;
    const answers: Noted<unknown>[] = [];
    const counted = count
      ? readNoting(subscribed, (signal) => fetchPage(null, 1, true, signal)).then(
          (answer) => (answers.push(answer), answer.value.total),
          () => undefined,
        )
      : Promise.resolve(undefined);
    let rows: Row[] = [];
    const pages: Page<Row>[] = [];
    // The first page from the start (a cursor or a position), the rest after the hub's cursor.
    let from = start.from;
    let cursor: string | null = null;
    let done = false;
    try {
      while (!done && rows.length < end - start.index) {
        const page = from;
        const limit = Math.min(BIG_PAGE, end - start.index - rows.length);
        const answer: Noted<Page<Row>> = await readNoting(subscribed, (signal) =>
          fetchPage(page, limit, false, signal),
        );
        if (gen !== this.generation) return;
        answers.push(answer);
        pages.push(answer.value);
        rows = appendNew(rows, this.asAnswered(answer.value.items), uid);
        cursor = answer.value.nextCursor;
        from = cursor;
        done = cursor === null;
      }
      const total = await counted;
      if (gen !== this.generation) return;
      // The rows held above the answer stay (stale) if it joins them; every other row held is released.
      const cut = joins ? start.index - this.offset : 0;
      const above = this.rows.slice(0, cut);
      this.pointAt(cut, this.rows.length);
      for (const r of this.rows.slice(cut)) this.marks.delete(uid(r));
      // A row read again leaves the stale part (its sort key may have moved it).
      const fresh = new Set(rows.map(uid));
      const kept = above.filter((r) => !fresh.has(uid(r)));
      const held: Held<Row> = { rows: [...kept, ...rows], total: total ?? this.total };
      for (const [u, d] of reread.pending) this.source.live(held, u, d, this.small.ask);
      for (const r of rows) this.marks.delete(uid(r));
      for (const page of pages) this.mark(page);
      this.staleUntil = freshFrom(held.rows, kept.length, rows[0], uid);
      this.offset = joins ? this.offset : start.index;
      this.rows = held.rows;
      this.total = held.total;
      this.cursor = cursor;
      this.done = done;
      // A position past the list's end (it shrank since counted): the count is read again.
      if (typeof start.from === 'number' && rows.length === 0) this.small.ask();
      // The list ends here: points below (read before it shrank) lead nowhere.
      if (done) for (const index of [...this.points.keys()]) if (index >= this.end) this.points.delete(index);
      this.wanted = this.view1;
      this.error = undefined;
      this.releaseAbove();
    } catch (err) {
      if (gen !== this.generation) return;
      // The rows held stay, with the changes since applied; the next restart reads again.
      this.error = errorText(err);
    }
    this.reread = undefined;
    this.render();
    for (const answer of answers) this.noted(gen, answer);
    if (reread.again) this.resync();
    else if (this.error === undefined) this.next();
    else void this.pump();
  }

  /**
   * Reads the ABOVE rows above those held (from the nearest point, or their
   * position) down to the first row held, and joins them: found by uid, so
   * rows added or deleted above since they were released move the rows held to
   * where the hub has them now. Not found (it moved or left): a window read.
   * Rows far below the view are released (releaseBelow), so scrolling up from
   * the bottom holds no more than scrolling down does.
   */
  private readAbove(): void {
    const gen = ++this.generation;
    this.loading = false;
    const reread: Reread = { pending: [], again: false, ahead: true };
    this.reread = reread;
    void this.readAboveOut(gen, reread);
  }

  private async readAboveOut(gen: number, reread: Reread): Promise<void> {
    const { fetchPage, uid } = this.source;
    const target = Math.max(0, this.offset - ABOVE);
    const known = this.knownAbove(target);
    // From a point or the top when near; else the hub seeks the position (one request, not pages on the way).
    const start: { index: number; from: PageFrom } =
      target - known.index > BIG_PAGE / 2 ? { index: target, from: target } : known;
    const first = this.rows[0];
    const firstUid = first === undefined ? undefined : uid(first);
    const subscribed = this.feed.subscription() !== undefined;
    const answers: Noted<unknown>[] = [];
    const pages: Page<Row>[] = [];
    let rows: Row[] = [];
    let from: PageFrom = start.from;
    let joinAt = -1;
    try {
      // The rows down to the first held, and as many more (rows added above since push it down).
      const reach = 2 * (this.offset - start.index) + 1;
      // `from` null is the top at first, the list's end after a page.
      for (let first = true; (first || from !== null) && joinAt < 0 && rows.length < reach; first = false) {
        const page = from;
        const answer: Noted<Page<Row>> = await readNoting(subscribed, (signal) =>
          fetchPage(
            page,
            Math.min(BIG_PAGE, Math.max(PAGE, this.offset - start.index + 1 - rows.length)),
            false,
            signal,
          ),
        );
        if (gen !== this.generation) return;
        answers.push(answer);
        pages.push(answer.value);
        rows = appendNew(rows, this.asAnswered(answer.value.items), uid);
        joinAt = rows.findIndex((r) => uid(r) === firstUid);
        from = answer.value.nextCursor;
      }
    } catch (err) {
      if (gen !== this.generation) return;
      this.error = errorText(err);
      this.reread = undefined;
      this.render();
      return;
    }
    this.reread = undefined;
    for (const answer of answers) this.noted(gen, answer);
    if (reread.again) return this.resync();
    const now = this.rows[0];
    if (joinAt < 0 || this.offset === 0 || now === undefined || uid(now) !== firstUid) {
      // The first row held is not where it was: read the view's window (it replaces what is held).
      this.read(false);
      return;
    }
    const above: Held<Row> = { rows: rows.slice(0, joinAt), total: this.total };
    for (const [u, d] of reread.pending) this.source.live(above, u, d, this.small.ask);
    const held = new Set(this.rows.map(uid));
    const added = above.rows.filter((r) => !held.has(uid(r)));
    // The rows read start at start.index: the first row held is now just below them (the hub's place for
    // it, if rows were added or deleted above since), and the points below the rows held move with it.
    const moved = start.index + added.length - this.offset;
    const end = this.end;
    for (const index of [...this.points.keys()]) if (index >= start.index && index < end) this.points.delete(index);
    this.shiftPoints(end, moved);
    for (const page of pages) this.mark(page);
    this.rows = [...added, ...this.rows];
    this.offset = start.index;
    this.total = above.total;
    this.releaseBelow();
    this.render();
    this.next();
  }

  /**
   * Releases the rows held more than the margin below the view (scrolling
   * up), noting a point where they start; the pages below are then read from
   * it. Only where a cursor after the last row kept is known.
   */
  private releaseBelow(): boolean {
    const { cursorAfter, uid } = this.source;
    const keep = this.view1 + this.margin - this.offset;
    const last = this.rows[keep - 1];
    if (this.rows.length - keep < PAGE || last === undefined) return false;
    const cursor = this.marks.get(uid(last)) ?? (cursorAfter && this.isAsRead(last) ? cursorAfter(last) : undefined);
    if (cursor === undefined) return false;
    this.pointAt(keep, this.rows.length);
    for (const r of this.rows.slice(keep)) this.marks.delete(uid(r));
    this.staleUntil = Math.min(this.staleUntil, keep);
    this.rows = this.rows.slice(0, keep);
    this.cursor = cursor;
    this.done = false;
    this.wanted = Math.min(this.wanted, this.view1);
    return true;
  }

  /** Releases the rows held more than the margin above the view (once a page more has gathered). */
  private releaseAbove(): void {
    const cut = this.view0 - this.margin - this.offset;
    if (cut < PAGE) return;
    const n = Math.min(cut, this.rows.length);
    this.pointAt(0, n);
    for (const r of this.rows.slice(0, n)) this.marks.delete(this.source.uid(r));
    this.rows = this.rows.slice(n);
    this.offset += n;
    this.staleUntil = Math.max(0, this.staleUntil - n);
  }

  /**
   * Notes points for the rows held about to be released, rows[from] …
   * rows[to - 1] (and the row after them, rows[to], when it stays): at about
   * every page, the cursor that lists from there — a page end held, or built
   * from the row above (as the hub read it).
   */
  private pointAt(from: number, to: number): void {
    const { cursorAfter, uid } = this.source;
    let last = -Infinity;
    for (const index of this.points.keys()) if (index < this.offset + from && index > last) last = index;
    for (let i = Math.max(from, 1); i <= Math.min(to, this.rows.length); i++) {
      const index = this.offset + i;
      const above = this.rows[i - 1] as Row;
      const mark = this.marks.get(uid(above));
      if (mark === undefined && index - last < PAGE && i !== to) continue;
      const cursor = mark ?? (cursorAfter && this.isAsRead(above) ? cursorAfter(above) : undefined);
      if (cursor === undefined) continue;
      this.points.set(index, cursor);
      last = index;
    }
  }

  /** Moves the points at or below `from` by `by` rows (rows held were deleted or added above them). */
  private shiftPoints(from: number, by: number): void {
    if (by === 0) return;
    const moved = [...this.points].filter(([index]) => index >= from);
    for (const [index] of moved) this.points.delete(index);
    for (const [index, cursor] of moved) this.points.set(index + by, cursor);
  }

  /** Notes these rows as the hub answered them (see asRead). */
  private asAnswered(items: Row[]): Row[] {
    for (const r of items) if (typeof r === 'object' && r !== null) this.asRead.add(r);
    return items;
  }

  private isAsRead(row: Row): boolean {
    return typeof row === 'object' && row !== null && this.asRead.has(row);
  }

  /** Notes where the page after this one starts (the cursor after its last row). */
  private mark(page: Page<Row>): void {
    const last = page.items.at(-1);
    if (last !== undefined && page.nextCursor !== null) this.marks.set(this.source.uid(last), page.nextCursor);
  }

  /** Up to a page held from the top, the rows are listed again (new ones show in their sorted place); beyond, only the count. */
  private refreshSmall(): void {
    // A re-read out answers for this too.
    if (this.reread) return;
    const gen = this.generation;
    const again = this.offset === 0 && this.rows.length <= PAGE;
    this.source.fetchPage(null, again ? Math.max(PAGE, this.rows.length) : 1, true).then(
      (page) => {
        if (gen !== this.generation) return;
        this.total = page.total;
        if (again) {
          this.rows = this.asAnswered(page.items);
          this.marks.clear();
          this.points.clear();
          this.mark(page);
          this.staleUntil = 0;
          this.cursor = page.nextCursor;
          this.done = page.nextCursor === null;
        }
        this.render();
      },
      () => undefined,
    );
  }
}

/** A read's state while it is out: the changes meanwhile (applied over its answer), and whether a restart followed. */
interface Reread {
  pending: [Upserts, Deletes][];
  again: boolean;
  /** A read ahead above the rows held (readAbove): not a refresh of what is shown. */
  ahead?: boolean;
}

/**
 * Where the fresh rows start now that changes dropped some rows: the row that
 * was first fresh (at `was`, or just above if rows above it left). Not found
 * (it left too): `was`, which can only count a few fresh rows as stale.
 */
function freshFrom<Row>(rows: readonly Row[], was: number, first: Row | undefined, uid: (row: Row) => string): number {
  if (was === 0 || first === undefined) return Math.min(was, rows.length);
  const id = uid(first);
  for (let i = Math.min(was, rows.length - 1); i >= 0 && was - i <= BIG_PAGE; i--) {
    const r = rows[i];
    if (r !== undefined && uid(r) === id) return i;
  }
  return Math.min(was, rows.length);
}

function appendNew<Row>(rows: Row[], items: Row[], uid: (row: Row) => string): Row[] {
  const seen = new Set(rows.map(uid));
  return [...rows, ...items.filter((r) => !seen.has(uid(r)))];
}

export function usePagedList<Row>(cluster: string, source: PagedListSource<Row>): PagedList<Row> {
  const [, setVersion] = useState(0);
  const core = useRef<PagedListCore<Row>>(null);
  core.current ??= new PagedListCore(cluster, source, () => setVersion((v) => v + 1));
  const list = core.current;
  // The latest functions, without making the effects below start over when a caller re-creates them.
  list.source = source;
  list.feed = feedOf(cluster);
  const { key, countKey } = source;
  useEffect(() => list.select(), [list, key, countKey]);
  useEffect(() => list.follow(), [list, cluster, key]);
  const want = useCallback((first: number, last: number) => list.want(first, last), [list]);
  const row = useCallback((index: number) => list.row(index), [list]);
  return { ...list.view, want, row };
}
