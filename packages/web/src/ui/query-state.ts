// A filter kept in the URL's query string, so a filtered view can be shared
// and survives reloads.
import { useCallback } from 'react';
import { useSearch, useLocation } from 'wouter';

export function useQueryState(key: string, fallback: string): [string, (v: string) => void] {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const value = new URLSearchParams(search).get(key) ?? fallback;
  const set = useCallback(
    (v: string) => {
      const q = new URLSearchParams(window.location.search);
      if (v === fallback) q.delete(key);
      else q.set(key, v);
      const s = q.toString();
      navigate(s ? `${location}?${s}` : location, { replace: true });
    },
    [key, fallback, location, navigate],
  );
  return [value, set];
}
