// Runs a Wheelhouse path and a baseline side by side in one process, interleaved
// round by round (alternating which goes first) so that drift in machine load
// hits both alike, and reports median, p99 and the ratio of medians.
import { summarize, type Summary } from './stats.js';

export interface Candidate {
  label: string;
  run: () => Promise<void>;
  /**
   * When set, a round's samples are what this returns (per-message latencies of
   * a load phase, say) instead of the round's duration.
   */
  samples?: () => Promise<number[]>;
}

export interface Benchmark {
  name: string;
  description: string;
  /** Measured rounds per candidate (overridable with --rounds). */
  rounds: number;
  warmup?: number;
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
  subject: Candidate;
  baseline: Candidate;
  /** When one run processes many units (events, pods…), print throughput too. */
  throughput?: { units: number; unit: string };
  /** Extra figures measured during the runs (peak memory…), printed under the result. */
  notes?: () => string[];
}

export interface BenchmarkResult {
  name: string;
  subject: { label: string; summary: Summary };
  baseline: { label: string; summary: Summary };
  /** subject median / baseline median: below 1 means Wheelhouse is faster. */
  ratio: number;
  order: string[];
  throughput?: { units: number; unit: string };
  notes: string[];
}

async function timeOnce(c: Candidate): Promise<number> {
  const t0 = process.hrtime.bigint();
  await c.run();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function runBenchmark(b: Benchmark, rounds = b.rounds): Promise<BenchmarkResult> {
  await b.setup?.();
  try {
    for (let i = 0; i < (b.warmup ?? 2); i++) {
      await b.subject.run();
      await b.baseline.run();
    }
    const subject: number[] = [];
    const baseline: number[] = [];
    const order: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const pair = i % 2 === 0 ? [b.subject, b.baseline] : [b.baseline, b.subject];
      for (const c of pair) {
        order.push(c.label);
        const out = c === b.subject ? subject : baseline;
        if (c.samples) for (const ms of await c.samples()) out.push(ms);
        else out.push(await timeOnce(c));
      }
    }
    const s = summarize(subject);
    const base = summarize(baseline);
    return {
      name: b.name,
      subject: { label: b.subject.label, summary: s },
      baseline: { label: b.baseline.label, summary: base },
      ratio: s.median / base.median,
      order,
      ...(b.throughput ? { throughput: b.throughput } : {}),
      notes: b.notes?.() ?? [],
    };
  } finally {
    await b.teardown?.();
  }
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

export function formatResult(r: BenchmarkResult): string {
  const tp = r.throughput;
  const rate = (s: Summary): string =>
    tp ? `   ${Math.round((tp.units / s.median) * 1000).toLocaleString('en-US')} ${tp.unit}/s` : '';
  const row = (label: string, s: Summary): string =>
    `  ${label.padEnd(34)} n=${String(s.n).padEnd(4)} median ${fmt(s.median).padStart(7)} ms   p99 ${fmt(s.p99).padStart(7)} ms${rate(s)}`;
  return [
    r.name,
    row(r.subject.label, r.subject.summary),
    row(r.baseline.label, r.baseline.summary),
    `  ratio (median ${r.subject.label} / ${r.baseline.label}): ${r.ratio.toFixed(2)}x`,
    ...r.notes.map((n) => `  ${n}`),
  ].join('\n');
}
