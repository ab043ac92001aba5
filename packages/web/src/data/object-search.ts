// The top bar's search, asked of the hub (GET …/search?q=, issue 18): the hub
// ranks a few index ranges; the console no longer lists 14 kinds whole for it.
// Typing waits DEBOUNCE_MS for a pause, and a newer query aborts the older one.
import { useEffect, useState } from 'react';
import type { ObjectSearchHit, ObjectSearchResult } from '@wheelhouse/protocol/core';
import { api, errorText } from '../api/client.js';

export const SEARCH_DEBOUNCE_MS = 120;

export interface ObjectSearchState {
  /** The matches of `query` (the last answered query's while a newer one is out). */
  items: ObjectSearchHit[];
  /** The query `items` answer. */
  query: string;
  searching: boolean;
  error: string | null;
}

export const searchUrl = (cluster: string): string => `/api/v1/clusters/${encodeURIComponent(cluster)}/search`;

export function useObjectSearch(cluster: string, query: string): ObjectSearchState {
  const [state, setState] = useState<ObjectSearchState>({ items: [], query: '', searching: false, error: null });
  const q = query.trim();
  useEffect(() => {
    if (!q) {
      setState({ items: [], query: '', searching: false, error: null });
      return;
    }
    setState((s) => ({ ...s, searching: true, error: null }));
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api<ObjectSearchResult>(searchUrl(cluster), { query: { q }, signal: abort.signal }).then(
        (res) => setState({ items: res.items, query: q, searching: false, error: null }),
        (err: unknown) => {
          if (abort.signal.aborted) return;
          setState({ items: [], query: q, searching: false, error: errorText(err) });
        },
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [cluster, q]);
  return state;
}
