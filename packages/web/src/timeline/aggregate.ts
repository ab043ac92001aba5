// Dense periods: when more than `threshold` markers fall within `radius`
// pixels, one cluster marker (with a count) replaces them.

export interface Point<T> {
  x: number;
  item: T;
}

export type Mark<T> =
  { kind: 'single'; x: number; item: T } | { kind: 'cluster'; x: number; x0: number; x1: number; items: T[] };

export interface AggregateOptions {
  /** Markers closer than this (pixels) to the first of a run count as one place. */
  radius: number;
  /** More markers than this in one place become a cluster. */
  threshold: number;
  /**
   * Cluster markers are drawn at least this far (pixels) from their
   * neighbours: closer marks are merged into the cluster. Defaults to 2 × radius.
   */
  minGap?: number;
}

/**
 * Marks in x order. Runs of more than threshold points within radius become
 * clusters; others stay single. Marks closer than minGap to a cluster join it,
 * so cluster markers do not overlap.
 */
export function aggregate<T>(points: readonly Point<T>[], opts: AggregateOptions): Mark<T>[] {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const runs: Mark<T>[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i];
    if (!start) break;
    let j = i + 1;
    while (j < sorted.length && (sorted[j]?.x ?? Infinity) - start.x <= opts.radius) j++;
    const run = sorted.slice(i, j);
    if (run.length > opts.threshold) {
      const x0 = start.x;
      const x1 = run[run.length - 1]?.x ?? x0;
      runs.push({ kind: 'cluster', x: (x0 + x1) / 2, x0, x1, items: run.map((p) => p.item) });
      i = j;
    } else {
      runs.push({ kind: 'single', x: start.x, item: start.item });
      i++;
    }
  }
  const minGap = opts.minGap ?? 2 * opts.radius;
  const out: Mark<T>[] = [];
  for (const m of runs) {
    const prev = out[out.length - 1];
    if (prev && (prev.kind === 'cluster' || m.kind === 'cluster') && m.x - prev.x < minGap) {
      const items = [
        ...(prev.kind === 'cluster' ? prev.items : [prev.item]),
        ...(m.kind === 'cluster' ? m.items : [m.item]),
      ];
      const x0 = prev.kind === 'cluster' ? prev.x0 : prev.x;
      const x1 = m.kind === 'cluster' ? m.x1 : m.x;
      out[out.length - 1] = { kind: 'cluster', x: (x0 + x1) / 2, x0, x1, items };
    } else {
      out.push(m);
    }
  }
  return out;
}

/** Counts by a key, largest first (ties by key): the hover breakdown of a cluster. */
export function breakdown<T>(items: readonly T[], keyOf: (t: T) => string): { key: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const it of items) {
    const k = keyOf(it);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
