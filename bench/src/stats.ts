// Order statistics for benchmark samples (milliseconds).

export interface Summary {
  n: number;
  min: number;
  median: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile: the smallest sample with at least p% of samples at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('no samples');
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) throw new RangeError('no samples');
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    n,
    min: sorted[0] as number,
    median,
    p99: percentile(sorted, 99),
    max: sorted[n - 1] as number,
    mean: sorted.reduce((a, b) => a + b, 0) / n,
  };
}
