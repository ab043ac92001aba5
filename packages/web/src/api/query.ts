// A path with its query string, built one way everywhere: the start-up
// preload (start/preload.ts) and the pages' own requests must spell the same
// request the same way for the page to use the preloaded answer.
export type Query = Record<string, string | number | boolean | undefined | null>;

/** path?k=v&… in the object's key order; undefined, null and '' left out. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
