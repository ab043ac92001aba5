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
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from '../api/client.js';
import type { InventoryItem } from '../api/types.js';
import { BeforeSubscription, readNoting, type Noted } from './live-position.js';
import { feedOf, followFeed, onceASecond } from './read-and-follow.js';
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
  error: string | undefined;
  /** Asks for rows up to this index (the virtual table's last visible row). */
  want: (index: number) => void;
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
}

export const PAGE = 100;
/** Pages when far behind (a scrollbar dragged down): fewer round trips. */
const BIG_PAGE = 1000;

export function usePagedList<Row>(cluster: string, source: PagedListSource<Row>): PagedList<Row> {
  const { key } = source;
  // The latest functions, without making the effects below start over when a caller re-creates them.
  const src = useRef(source);
  src.current = source;
  const [, setVersion] = useState(0);
  const state = useRef({
    key: '',
    countKey: '',
    rows: [] as Row[],
    total: undefined as number | undefined,
    cursor: null as string | null,
    done: false,
    loading: false,
    error: undefined as string | undefined,
    wanted: 0,
    generation: 0,
    /** This generation's answers that went out before the feed was subscribed. */
    before: new BeforeSubscription(),
  });
  const render = useCallback(() => setVersion((v) => v + 1), []);
  /** Lists the rows held again (set by the effect that follows the feed). */
  const relist = useRef<() => void>(() => undefined);
  /** A page or count of this generation answered; if it went out before the subscription, checked. */
  const noted = useCallback(
    <T>(gen: number, answer: Noted<T>): T => {
      const s = state.current;
      if (answer.before && gen === s.generation) {
        s.before.note(answer.before.position);
        const sub = feedOf(cluster).subscription();
        if (sub && s.before.check(sub.position)) relist.current();
      }
      return answer.value;
    },
    [cluster],
  );

  /** Loads pages until the wanted index is covered (one request at a time). */
  const pump = useCallback(async () => {
    const s = state.current;
    // Children's effects run first: nothing is fetched before the list's own key is set.
    if (s.key !== key || s.loading || s.done || s.rows.length > s.wanted) return;
    const gen = s.generation;
    s.loading = true;
    try {
      while (!s.done && s.rows.length <= s.wanted && gen === s.generation) {
        const behind = s.wanted - s.rows.length;
        const first = s.cursor === null;
        // The count is its own request beside the first page: counting 100k index entries takes the
        // database tens of ms, and the rows need not wait for it. Not asked again for a new sort.
        const subscribed = feedOf(cluster).subscription() !== undefined;
        if (first && s.total === undefined)
          readNoting(subscribed, (signal) => src.current.fetchPage(null, 1, true, signal)).then(
            (answer) => {
              const c = noted(gen, answer);
              if (gen !== s.generation) return;
              s.total = c.total;
              render();
            },
            () => undefined,
          );
        const limit = first ? FIRST_PAGE : behind > BIG_PAGE / 2 ? BIG_PAGE : PAGE;
        const answer = await readNoting(subscribed, (signal) => src.current.fetchPage(s.cursor, limit, false, signal));
        if (gen !== s.generation) return;
        const uid = src.current.uid;
        const seen = new Set(s.rows.map(uid));
        const page = answer.value;
        s.rows = [...s.rows, ...page.items.filter((r) => !seen.has(uid(r)))];
        s.cursor = page.nextCursor;
        s.done = page.nextCursor === null;
        s.error = undefined;
        render();
        noted(gen, answer);
      }
    } catch (err) {
      if (gen === s.generation) {
        s.error = errorText(err);
        render();
      }
    } finally {
      if (gen === s.generation) s.loading = false;
    }
  }, [render, key, cluster, noted]);

  /** Starts the list over (new filters or sort, or the feed restarted and rows may be stale). */
  const restart = useCallback(
    (keepCount = false) => {
      const s = state.current;
      s.generation++;
      s.rows = [];
      if (!keepCount) s.total = undefined;
      s.cursor = null;
      s.done = false;
      s.loading = false;
      s.wanted = 0;
      s.before.clear();
      render();
      void pump();
    },
    [pump, render],
  );

  useEffect(() => {
    const s = state.current;
    if (s.key === key) return;
    // Only the sort changed: the same rows in another order, the same count.
    const sameCount = s.key !== '' && s.countKey === source.countKey;
    s.key = key;
    s.countKey = source.countKey;
    restart(sameCount);
  }, [key, source.countKey, restart]);

  useEffect(() => {
    // Up to a page held, a refresh lists them again; beyond, only the count (see the top).
    relist.current = () => {
      const s = state.current;
      const gen = s.generation;
      const again = s.rows.length <= PAGE;
      src.current.fetchPage(null, again ? Math.max(PAGE, s.rows.length) : 1, true).then(
        (page) => {
          if (gen !== s.generation) return;
          s.total = page.total;
          if (again) {
            s.rows = page.items;
            s.cursor = page.nextCursor;
            s.done = page.nextCursor === null;
          }
          render();
        },
        () => undefined,
      );
    };
    const refresh = onceASecond(() => relist.current());
    const stopFeed = followFeed(cluster, {
      change: (upserts, deletes) => {
        const s = state.current;
        const held: Held<Row> = { rows: [...s.rows], total: s.total };
        if (src.current.live(held, upserts, deletes, refresh.ask)) {
          s.rows = held.rows;
          s.total = held.total;
          render();
        }
      },
      resync: () => restart(),
      // Answers that went out before the subscription: list again if one may lack a change.
      subscribed: (sub) => {
        if (state.current.before.check(sub.position)) relist.current();
      },
    });
    return () => {
      stopFeed();
      refresh.cancel();
    };
  }, [cluster, key, render, restart]);

  const want = useCallback(
    (index: number) => {
      const s = state.current;
      if (index > s.wanted) s.wanted = index;
      void pump();
    },
    [pump],
  );

  const s = state.current;
  return { rows: s.rows, total: s.total, loading: s.loading, error: s.error, want };
}
