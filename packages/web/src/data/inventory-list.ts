// One kind's list paged from the hub (issue 18): the hub filters, sorts and
// counts in SQL; the console holds only the rows scrolled through so far and
// asks for more as the virtual table nears their end. The rows it holds stay
// live: changed ones are replaced in place, deleted ones dropped; an object
// new to the list refreshes the count (and the rows while at most a page is
// held) at most once a second — a sorted position further down is met when
// scrolled to.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorText } from '../api/client.js';
import type { InventoryItem } from '../api/types.js';
import { clusterData } from './cluster-data.js';

export type ListSort = 'namespace' | 'name' | 'age' | 'status';

export interface ListParams {
  kind: string;
  namespace?: string;
  /** Name prefix (the hub compares it bytewise; lower-case DNS characters). */
  prefix?: string;
  status?: string;
  sort: ListSort;
  order: 'asc' | 'desc';
}

export interface InventoryList {
  rows: InventoryItem[];
  /** Items matching the filters, undefined until the first page is in. */
  total: number | undefined;
  loading: boolean;
  error: string | undefined;
  /** Asks for rows up to this index (the virtual table's last visible row). */
  want: (index: number) => void;
}

interface Page {
  items: InventoryItem[];
  nextCursor: string | null;
  total?: number;
}

/** The first page: a screenful and some (a page of pods is ~1.8 KB a row to parse on both ends). */
const FIRST_PAGE = 50;
const PAGE = 100;
/** Pages when far behind (a scrollbar dragged down): fewer round trips. */
const BIG_PAGE = 1000;

/** Does an item (new or changed) belong to the list under these filters? */
function matches(it: InventoryItem, p: ListParams): boolean {
  if (it.kind !== p.kind) return false;
  if (p.namespace && it.namespace !== p.namespace) return false;
  if (p.prefix && !it.name.startsWith(p.prefix)) return false;
  if (p.status && !(it.kind === 'Pod' && it.summary.phase === p.status)) return false;
  return true;
}

export function useInventoryList(cluster: string, params: ListParams): InventoryList {
  const key = JSON.stringify(params);
  const [, setVersion] = useState(0);
  const state = useRef({
    key: '',
    rows: [] as InventoryItem[],
    total: undefined as number | undefined,
    cursor: null as string | null,
    done: false,
    loading: false,
    error: undefined as string | undefined,
    wanted: 0,
    generation: 0,
  });
  const render = useCallback(() => setVersion((v) => v + 1), []);

  const fetchPage = useCallback(
    async (cursor: string | null, limit: number, count: boolean): Promise<Page> => {
      const p = JSON.parse(key) as ListParams;
      return api<Page>(`/api/v1/clusters/${encodeURIComponent(cluster)}/resources`, {
        query: {
          kind: p.kind,
          namespace: p.namespace,
          prefix: p.prefix,
          status: p.status,
          sort: p.sort,
          order: p.order,
          count: count || undefined,
          limit,
          cursor,
        },
      });
    },
    [cluster, key],
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
        // database tens of ms, and the rows need not wait for it.
        if (first)
          fetchPage(null, 1, true).then(
            (c) => {
              if (gen !== s.generation) return;
              s.total = c.total;
              render();
            },
            () => undefined,
          );
        const page = await fetchPage(s.cursor, first ? FIRST_PAGE : behind > BIG_PAGE / 2 ? BIG_PAGE : PAGE, false);
        if (gen !== s.generation) return;
        const seen = new Set(s.rows.map((r) => r.uid));
        s.rows = [...s.rows, ...page.items.filter((r) => !seen.has(r.uid))];
        s.cursor = page.nextCursor;
        s.done = page.nextCursor === null;
        s.error = undefined;
        render();
      }
    } catch (err) {
      if (gen === s.generation) {
        s.error = errorText(err);
        render();
      }
    } finally {
      if (gen === s.generation) s.loading = false;
    }
  }, [fetchPage, render, key]);

  /** Starts the list over (new filters, or the feed restarted and rows may be stale). */
  const restart = useCallback(() => {
    const s = state.current;
    s.generation++;
    s.rows = [];
    s.total = undefined;
    s.cursor = null;
    s.done = false;
    s.loading = false;
    s.wanted = 0;
    render();
    void pump();
  }, [pump, render]);

  useEffect(() => {
    if (state.current.key === key) return;
    state.current.key = key;
    restart();
  }, [key, restart]);

  // Live: keep the rows on hand current; recount when something new may match.
  useEffect(() => {
    const data = clusterData(cluster);
    const p = JSON.parse(key) as ListParams;
    let recount: ReturnType<typeof setTimeout> | undefined;
    const scheduleRecount = (): void => {
      recount ??= setTimeout(() => {
        recount = undefined;
        const s = state.current;
        const gen = s.generation;
        // Up to a page held: list it again in one request, so new objects show in their sorted place
        // without the rows flashing; beyond, only the count (a new row is met when scrolled to). At most
        // once a second: a big cluster's churn must not turn into a stream of page reads.
        const again = s.rows.length <= PAGE;
        fetchPage(null, again ? Math.max(PAGE, s.rows.length) : 1, true).then(
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
      }, 1000);
    };
    const offInv = data.onInventory((upserts, deletes) => {
      const s = state.current;
      let changed = false;
      const at = new Map(s.rows.map((r, i) => [r.uid, i]));
      for (const it of upserts) {
        if (it.kind !== p.kind) continue;
        const i = at.get(it.uid);
        if (i === undefined) {
          if (matches(it, p)) scheduleRecount();
        } else {
          s.rows[i] = it;
          changed = true;
          // A sort key may have changed (a new phase): its place may be elsewhere now.
          if (p.sort === 'status') scheduleRecount();
        }
      }
      for (const d of deletes) {
        if (d.kind !== p.kind) continue;
        if (at.has(d.uid)) {
          s.rows = s.rows.filter((r) => r.uid !== d.uid);
          if (s.total !== undefined) s.total = Math.max(0, s.total - 1);
          changed = true;
        }
      }
      // A changed object that no longer matches the filters leaves the list.
      const kept = s.rows.filter((r) => matches(r, p));
      if (kept.length !== s.rows.length) {
        if (s.total !== undefined) s.total = Math.max(0, s.total - (s.rows.length - kept.length));
        s.rows = kept;
        changed = true;
      }
      if (changed) {
        s.rows = [...s.rows];
        render();
      }
    });
    const offResync = data.onResync(restart);
    return () => {
      offInv();
      offResync();
      if (recount) clearTimeout(recount);
    };
  }, [cluster, key, fetchPage, render, restart]);

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
