// The events of a timeline view: fetched page by page for the range, then
// kept current by the live feed (events matching the view are appended).
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorText } from '../api/client.js';
import type { Page, TimelineBuckets, TimelineCounts, TimelineEvent } from '../api/types.js';
import { useTimelineFeed } from '../data/hooks.js';
import { matchesScope, type TimelineScope } from './filter.js';

/** At most this many events are fetched for a range (newest first). */
export const MAX_EVENTS = 5000;
const PAGE_SIZE = 1000;
/** The first page is small and shown at once: the newest rows appear while the rest of the range loads. */
const FIRST_PAGE = 100;
const MAX_LIVE = 20_000;
/** The chart's buckets over a range holding more than is loaded (a few pixels each). */
const BUCKETS = 240;
/** Scrolling the table loads older pages up to this many events (the heap stays well under 150 MiB). */
export const MAX_SCROLLED = 50_000;

export interface TimelineData {
  fetched: readonly TimelineEvent[];
  /** Live events of the view received since it opened (a new array on each change). */
  live: readonly TimelineEvent[];
  loading: boolean;
  error: string | undefined;
  /** More events exist in the range than were fetched. */
  truncated: boolean;
  /** When truncated: how many events the range holds, by type (counted by the hub as the view loaded). */
  counts: TimelineCounts | undefined;
  /** When truncated: the events of the range not loaded, counted per time bucket by the hub (the chart draws them). */
  buckets: TimelineBuckets | undefined;
  /** Loads the next page of older events (the table scrolled near the end of those loaded), up to MAX_SCROLLED. */
  more: () => void;
  reload: () => void;
}

export function useTimelineEvents(
  cluster: string,
  scope: TimelineScope,
  span: number,
  zoom: { from: number; to: number } | null,
): TimelineData {
  const { namespace, kind, name } = scope;
  const [fetched, setFetched] = useState<{
    events: readonly TimelineEvent[];
    truncated: boolean;
    counts?: TimelineCounts | undefined;
    buckets?: TimelineBuckets | undefined;
  }>({
    events: [],
    truncated: false,
  });
  const fetchedRef = useRef(fetched);
  fetchedRef.current = fetched;
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const live = useRef(new Map<number, TimelineEvent>());
  const [liveList, setLiveList] = useState<readonly TimelineEvent[]>([]);
  const flush = useRef<ReturnType<typeof setTimeout> | null>(null);

  const loadingMore = useRef(false);
  const view = useRef({ from: 0, to: undefined as number | undefined, key: '' });
  const more = useCallback(() => {
    const { events, truncated } = fetchedRef.current;
    const oldest = events.at(-1)?.seq;
    if (!truncated || oldest === undefined || loadingMore.current || events.length >= MAX_SCROLLED) return;
    loadingMore.current = true;
    const { from, to, key } = view.current;
    const base = `/api/v1/clusters/${encodeURIComponent(cluster)}/timeline`;
    void (async () => {
      try {
        const page = await api<Page<TimelineEvent>>(base, {
          query: { namespace, kind, name, from, to, cursor: oldest, limit: PAGE_SIZE },
        });
        const last = page.items.at(-1)?.seq;
        const buckets =
          page.nextCursor === null || last === undefined
            ? undefined
            : await api<TimelineBuckets>(`${base}/buckets`, {
                query: { namespace, kind, name, from, to: to ?? Date.now(), buckets: BUCKETS, before: last },
              });
        // The view changed meanwhile: drop the page.
        if (view.current.key !== key) return;
        setFetched((f) => ({
          ...f,
          events: [...f.events, ...page.items],
          truncated: page.nextCursor !== null,
          buckets,
        }));
      } catch {
        // Scrolling again asks again.
      } finally {
        loadingMore.current = false;
      }
    })();
  }, [cluster, namespace, kind, name]);

  const zoomFrom = zoom?.from;
  const zoomTo = zoom?.to;
  useEffect(() => {
    const ctrl = new AbortController();
    const from = zoomFrom ?? Date.now() - span;
    view.current = { from, to: zoomTo, key: `${cluster}|${namespace}|${kind}|${name}|${from}|${zoomTo}|${tick}` };
    setLoading(true);
    setError(undefined);
    void (async () => {
      const items: TimelineEvent[] = [];
      let cursor: number | undefined;
      let truncated = false;
      try {
        for (;;) {
          const page = await api<Page<TimelineEvent>>(`/api/v1/clusters/${encodeURIComponent(cluster)}/timeline`, {
            query: {
              namespace,
              kind,
              name,
              from,
              to: zoomTo,
              cursor,
              limit: cursor === undefined ? FIRST_PAGE : Math.min(PAGE_SIZE, MAX_EVENTS - items.length),
            },
            signal: ctrl.signal,
          });
          items.push(...page.items);
          if (page.nextCursor === null || page.items.length === 0) break;
          if (cursor === undefined && !ctrl.signal.aborted) setFetched({ events: [...items], truncated: false });
          if (items.length >= MAX_EVENTS) {
            truncated = true;
            break;
          }
          cursor = Number(page.nextCursor);
        }
        // The range holds more than is loaded: its true counts, by type, from the hub (an index count).
        // …and the events not loaded (stored before the oldest loaded), per time bucket, for the chart.
        const base = `/api/v1/clusters/${encodeURIComponent(cluster)}/timeline`;
        const oldest = items.at(-1)?.seq;
        const [counts, buckets] = truncated
          ? await Promise.all([
              api<TimelineCounts>(`${base}/counts`, {
                query: { namespace, kind, name, from, to: zoomTo },
                signal: ctrl.signal,
              }),
              api<TimelineBuckets>(`${base}/buckets`, {
                query: { namespace, kind, name, from, to: zoomTo ?? Date.now(), buckets: BUCKETS, before: oldest },
                signal: ctrl.signal,
              }),
            ])
          : [undefined, undefined];
        if (ctrl.signal.aborted) return;
        setFetched({ events: items, truncated, counts, buckets });
        setLoading(false);
      } catch (err) {
        if (ctrl.signal.aborted) return;
        setError(errorText(err));
        setLoading(false);
      }
    })();
    return () => ctrl.abort();
  }, [cluster, namespace, kind, name, span, zoomFrom, zoomTo, tick]);

  // A new view starts without the previous view's live events.
  useEffect(() => {
    live.current = new Map();
    setLiveList([]);
  }, [cluster, namespace, kind, name]);

  useEffect(
    () => () => {
      if (flush.current !== null) clearTimeout(flush.current);
    },
    [],
  );

  // Bursts of live events re-render once (every 200 ms at most).
  useTimelineFeed(cluster, (e) => {
    if (!matchesScope(e, { namespace, kind, name })) return;
    const map = live.current;
    map.set(e.seq, e);
    if (map.size > MAX_LIVE) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    flush.current ??= setTimeout(() => {
      flush.current = null;
      setLiveList([...live.current.values()]);
    }, 200);
  });

  return {
    fetched: fetched.events,
    live: liveList,
    loading,
    error,
    truncated: fetched.truncated,
    counts: fetched.counts,
    buckets: fetched.buckets,
    more,
    reload: () => setTick((t) => t + 1),
  };
}
