// Newest-first lists a scoped caller reads (issue 13 item 8) are the merge of
// one index seek per scope the caller may see (a cluster, or a namespace of
// one). Each seek reads at most `perStream` rows, so a page reads at most
// READ_BUDGET rows however many scopes there are; a merge stops where a cut
// stream could still hold newer rows, so a page may be short, never wrong.

/** Rows one list request reads at most across its seeks (plus one per seek). */
export const READ_BUDGET = 2000;

/** How many rows each of `streams` seeks may read for a page of `limit`. */
export function perStreamLimit(limit: number, streams: number): number {
  return Math.max(2, Math.min(limit + 1, Math.ceil(READ_BUDGET / Math.max(1, streams))));
}

/**
 * Merges streams each sorted newest first (`compare(a, b) < 0` when a comes
 * first). A stream that returned `perStream` rows may have more beyond its
 * last row; rows after the earliest such cut are left for the next page.
 */
export function mergeNewestFirst<R>(
  streams: readonly R[][],
  perStream: number,
  limit: number,
  compare: (a: R, b: R) => number,
): { items: R[]; more: boolean } {
  const all = streams.flat().sort(compare);
  let horizon: R | undefined;
  for (const s of streams) {
    const last = s.at(-1);
    if (s.length >= perStream && last !== undefined && (horizon === undefined || compare(last, horizon) < 0))
      horizon = last;
  }
  const safe = horizon === undefined ? all : all.filter((r) => compare(r, horizon) <= 0);
  return { items: safe.slice(0, limit), more: safe.length > limit || horizon !== undefined };
}
