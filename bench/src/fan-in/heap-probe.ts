// Preloaded into the fan-in's hub process (`--import`) when FANIN_HEAP_DIR is
// set: samples the main thread's V8 heap every 100 ms — finer than the
// bench's 2 s /metrics samples — and at exit writes to that directory the
// largest heapUsed seen with its heap spaces, the largest and smallest per
// second (gc-summary.js reads them beside the bench's marks), and how many
// samples fell in each 10 MB step. heapUsed is this thread's isolate only: the
// checkpoint and timeline writer threads' heaps are not in it (RSS has them).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics } from 'node:v8';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.FANIN_HEAP_DIR;
if (dir && isMainThread) {
  let peak = { heapUsed: 0, at: 0, spaces: {} as Record<string, number> };
  const histogram = new Map<number, number>();
  /** Per second since start: the largest and smallest heapUsed sampled (the smallest ≈ live data after a GC). */
  const series: [number, number, number][] = [];
  const t0 = Date.now();
  const timer = setInterval(() => {
    const { heapUsed } = process.memoryUsage();
    const second = Math.floor((Date.now() - t0) / 1000);
    const mb = Math.round(heapUsed / 1e6);
    const last = series[series.length - 1];
    if (last?.[0] === second) {
      last[1] = Math.max(last[1], mb);
      last[2] = Math.min(last[2], mb);
    } else series.push([second, mb, mb]);
    const step = Math.floor(heapUsed / 10e6) * 10;
    histogram.set(step, (histogram.get(step) ?? 0) + 1);
    if (heapUsed > peak.heapUsed) {
      const spaces: Record<string, number> = {};
      for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = s.space_used_size;
      peak = { heapUsed, at: (Date.now() - t0) / 1000, spaces };
    }
  }, 100);
  timer.unref();
  process.on('exit', () => {
    const out = {
      pid: process.pid,
      startedAt: t0,
      peak,
      series: series.map((r) => r.join(' ')),
      samplesPerStepMB: Object.fromEntries([...histogram].sort((a, b) => a[0] - b[0])),
    };
    writeFileSync(join(dir, `heap-probe-${process.pid}.json`), JSON.stringify(out, null, 1));
  });
}
