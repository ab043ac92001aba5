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
import { FIRST_PAGE } from '../start/first-requests.js';

export interface Page<Row> {
  items: Row[];
  nextCursor: string | null;
  total?: number;
}

export interface PagedList<Row> {
  rows: Row[];
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
  /** `signal`: api()'s, so the answer's live position is noted (live-position.ts). */
  fetchPage: (cursor: string | null, limit: number, count: boolean, signal?: AbortSignal) => Promise<Page<Row>>;
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
  rows: Row[] = [];
  total: number | undefined = undefined;
  error: string | undefined = undefined;
  private cursor: string | null = null;
  private done = false;
  private loading = false;
  private wanted = 0;
  /** The rows in view (want's first and last). */
  private view0 = 0;
  private view1 = 0;
  /** The hub's cursor after each page's last row (by uid): where a re-read can start without cursorAfter. */
  private readonly marks = new Map<string, string>();
  /**
   * Rows as the hub answered them (not since replaced by a change): a cursor
   * built from one is where the row sits in the list. One a change replaced may
   * have a new sort value (a pod's phase under the status sort) while it still
   * sits where it was read: a read from it would land elsewhere.
   */
  private readonly asRead = new WeakSet<object>();
  /** Rows above this index were held before the last feed restart and not read since: stale until read again. */
  private staleUntil = 0;
  /**
   * The bench's baseline only (bench/src/benchmarks/console-restart.ts): a
   * feed restart reads every row held again, from the top, as before windows.
   */
  fullReread = (globalThis as { whFullReread?: boolean }).whFullReread === true;
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
    private readonly render: () => void,
  ) {
    this.feed = feedOf(feed);
    this.source = source;
    this.small = onceASecond(() => this.refreshSmall());
  }

  get view(): Omit<PagedList<Row>, 'want'> {
    return {
      rows: this.rows,
      total: this.total,
      loading: this.loading,
      refreshing: this.reread !== undefined,
      error: this.error,
    };
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

  /** The rows in view: read down to `last`; stale ones among them are read again. */
  want(first: number, last: number): void {
    this.view0 = Math.max(0, first);
    this.view1 = Math.max(this.view0, last);
    if (last > this.wanted) this.wanted = last;
    if (this.view0 < this.staleUntil && !this.reread && this.key === this.source.key) this.read(false);
    else void this.pump();
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
    if (!keepCount) this.total = undefined;
    this.cursor = null;
    this.done = false;
    this.loading = false;
    this.wanted = 0;
    this.reread = undefined;
    this.marks.clear();
    this.staleUntil = 0;
    this.before.clear();
    this.render();
    void this.pump();
  }

  /** Loads pages until the wanted index is covered (one request at a time; none while a re-read is out). */
  private async pump(): Promise<void> {
    // Children's effects run first: nothing is fetched before the list's own key is set.
    if (this.key !== this.source.key || this.reread || this.loading || this.done || this.rows.length > this.wanted)
      return;
    const gen = this.generation;
    this.loading = true;
    try {
      while (!this.done && this.rows.length <= this.wanted && gen === this.generation) {
        const behind = this.wanted - this.rows.length;
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
    const held: Held<Row> = { rows: [...this.rows], total: this.total };
    const firstFresh = this.rows[this.staleUntil];
    if (this.source.live(held, upserts, deletes, this.small.ask)) {
      this.staleUntil = freshFrom(held.rows, this.staleUntil, firstFresh, this.source.uid);
      this.rows = held.rows;
      this.total = held.total;
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
   * top), at a row whose cursor is known — built from the row, or a page's end.
   */
  private windowStart(): { index: number; cursor: string | null } {
    const { cursorAfter, uid } = this.source;
    if (this.fullReread) return { index: 0, cursor: null };
    for (let i = Math.min(Math.max(0, this.view0 - PAGE), this.rows.length); i > 0; i--) {
      const above = this.rows[i - 1] as Row;
      const cursor =
        (cursorAfter && this.isAsRead(above) ? cursorAfter(above) : undefined) ?? this.marks.get(uid(above));
      if (cursor !== undefined) return { index: i, cursor };
    }
    return { index: 0, cursor: null };
  }

  /**
   * Reads the rows in view again (from windowStart to a page below the last,
   * no further than the rows held) and swaps them in: the rows above stay,
   * stale; those below are dropped and load again as scrolled to.
   */
  private async readWindow(gen: number, reread: Reread, count: boolean): Promise<void> {
    const { fetchPage, uid } = this.source;
    const start = this.windowStart();
    const end = this.fullReread
      ? Math.max(FIRST_PAGE, this.rows.length)
      : Math.max(start.index === 0 ? FIRST_PAGE : start.index + 1, Math.min(this.rows.length, this.view1 + PAGE));
    const above = this.rows.slice(0, start.index);
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
    let cursor = start.cursor;
    let done = false;
    try {
      while (!done && rows.length < end - start.index) {
        const from: string | null = cursor;
        const limit = Math.min(BIG_PAGE, end - start.index - rows.length);
        const answer: Noted<Page<Row>> = await readNoting(subscribed, (signal) =>
          fetchPage(from, limit, false, signal),
        );
        if (gen !== this.generation) return;
        answers.push(answer);
        pages.push(answer.value);
        rows = appendNew(rows, this.asAnswered(answer.value.items), uid);
        cursor = answer.value.nextCursor;
        done = cursor === null;
      }
      const total = await counted;
      if (gen !== this.generation) return;
      // A row read again leaves the stale part (its sort key may have moved it).
      const fresh = new Set(rows.map(uid));
      const kept = above.filter((r) => !fresh.has(uid(r)));
      const held: Held<Row> = { rows: [...kept, ...rows], total: total ?? this.total };
      for (const [u, d] of reread.pending) this.source.live(held, u, d, this.small.ask);
      for (const r of this.rows.slice(start.index)) this.marks.delete(uid(r));
      for (const r of rows) this.marks.delete(uid(r));
      for (const page of pages) this.mark(page);
      this.staleUntil = freshFrom(held.rows, kept.length, rows[0], uid);
      this.rows = held.rows;
      this.total = held.total;
      this.cursor = cursor;
      this.done = done;
      this.wanted = this.view1;
      this.error = undefined;
    } catch (err) {
      if (gen !== this.generation) return;
      // The rows held stay, with the changes since applied; the next restart reads again.
      this.error = errorText(err);
    }
    this.reread = undefined;
    this.render();
    for (const answer of answers) this.noted(gen, answer);
    if (reread.again) this.resync();
    else if (this.view0 < this.staleUntil && this.error === undefined) this.read(false);
    else void this.pump();
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

  /** Up to a page held, the rows are listed again (new ones show in their sorted place); beyond, only the count. */
  private refreshSmall(): void {
    // A re-read out answers for this too.
    if (this.reread) return;
    const gen = this.generation;
    const again = this.rows.length <= PAGE;
    this.source.fetchPage(null, again ? Math.max(PAGE, this.rows.length) : 1, true).then(
      (page) => {
        if (gen !== this.generation) return;
        this.total = page.total;
        if (again) {
          this.rows = this.asAnswered(page.items);
          this.marks.clear();
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
  return { ...list.view, want };
}
