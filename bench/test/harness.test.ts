import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../src/stats.js';
import { formatResult, runBenchmark } from '../src/harness.js';

describe('benchmark statistics', () => {
  it('computes median and nearest-rank p99', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = summarize(samples);
    expect(s.median).toBe(50.5);
    expect(s.p99).toBe(99);
    expect(s.min).toBe(1);
    expect(s.max).toBe(100);
    expect(percentile([5], 99)).toBe(5);
    expect(() => summarize([])).toThrow('no samples');
  });
});

describe('benchmark harness', () => {
  it('interleaves the candidates, alternating who goes first, and reports the ratio', async () => {
    const sleep = (ms: number) => () => new Promise<void>((r) => setTimeout(r, ms));
    const r = await runBenchmark(
      {
        name: 'sleep',
        description: 'fast vs slow sleeper',
        rounds: 6,
        warmup: 0,
        subject: { label: 'fast', run: sleep(2) },
        baseline: { label: 'slow', run: sleep(20) },
      },
      6,
    );
    expect(r.order).toEqual([
      'fast',
      'slow',
      'slow',
      'fast',
      'fast',
      'slow',
      'slow',
      'fast',
      'fast',
      'slow',
      'slow',
      'fast',
    ]);
    expect(r.subject.summary.n).toBe(6);
    expect(r.ratio).toBeLessThan(0.5);
    expect(formatResult(r)).toMatch(/ratio \(median fast \/ slow\): 0\.\d\dx/);
  });

  it('takes the samples a candidate returns (the latencies of a load phase) instead of timing it', async () => {
    const r = await runBenchmark(
      {
        name: 'phases',
        description: 'latencies per phase',
        rounds: 2,
        warmup: 0,
        subject: { label: 'many', run: () => Promise.resolve(), samples: () => Promise.resolve([10, 20, 30]) },
        baseline: { label: 'one', run: () => Promise.resolve(), samples: () => Promise.resolve([5, 5]) },
      },
      2,
    );
    expect(r.subject.summary.n).toBe(6);
    expect(r.subject.summary.median).toBe(20);
    expect(r.baseline.summary.n).toBe(4);
    expect(r.ratio).toBe(4);
  });
});
