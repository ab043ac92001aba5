// What the fan-in hub's heap did in each phase, from one run with
// FANIN_HEAP_DIR=<dir> (and FANIN_HUB_NODE_ARGS=--trace-gc-nvp for the GC
// lines): the largest heapUsed heap-probe.ts sampled, and from V8's trace the
// MB allocated and promoted (survived into old space), and every mark-compact
// as heap before → after (after ≈ live data), with before ÷ the previous
// one's after — the growth V8 allowed. A heap peak is where the next
// mark-compact fell, so two builds' peaks compare only beside these.
// Usage: node bench/dist/src/fan-in/gc-summary.js <dir>   (one run per directory)
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface Gc {
  /** ms since the hub's isolate started (≈ the probe's start). */
  at: number;
  major: boolean;
  allocated: number;
  promoted: number;
  before: number;
  after: number;
}

/**
 * V8's --trace-gc-nvp lines (`[pid:isolate] 1234 ms: pause=… gc=s … total_size_before=…`) of the hub's
 * main thread: the isolate with the most lines (the checkpoint and writer threads are isolates of their own).
 */
function parseGcTrace(text: string): Gc[] {
  const lines = [...text.matchAll(/^\[\d+:(0x[0-9a-f]+)\] +(\d+) ms: (.*gc=.*)$/gm)];
  const perIsolate = new Map<string, number>();
  for (const m of lines) perIsolate.set(m[1] ?? '', (perIsolate.get(m[1] ?? '') ?? 0) + 1);
  const main = [...perIsolate].sort((a, b) => b[1] - a[1])[0]?.[0];
  const gcs: Gc[] = [];
  for (const m of lines) {
    if (m[1] !== main || !m[2] || !m[3]) continue;
    const kv = new Map(m[3].split(' ').map((f) => f.split('=', 2) as [string, string]));
    const n = (k: string): number => Number(kv.get(k) ?? 0);
    gcs.push({
      at: Number(m[2]),
      major: kv.get('gc') === 'mc',
      // A GC forced by a heap snapshot reports an underflowed count (~2^64): none.
      allocated: n('allocated') > 2 ** 53 ? 0 : n('allocated'),
      promoted: n('promoted'),
      before: n('total_size_before'),
      after: n('total_size_after'),
    });
  }
  return gcs;
}

const MB = 1e6;

function main(dir: string): void {
  const files = readdirSync(dir);
  const one = (prefix: string): string | undefined => files.find((f) => f.startsWith(prefix));
  const probeFile = one('heap-probe-');
  if (!probeFile) throw new Error(`${dir}: no heap-probe-*.json (run the fan-in with FANIN_HEAP_DIR=${dir})`);
  const probe = JSON.parse(readFileSync(join(dir, probeFile), 'utf8')) as { startedAt: number; series: string[] };
  const series = probe.series.map((r) => r.split(' ').map(Number) as [number, number, number]);
  const marks = readFileSync(join(dir, 'marks.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [t, ...what] = l.split(' ');
      return { at: Number(t) - probe.startedAt, what: what.join(' ') };
    });
  const traceFile = one('hub-output-');
  const gcs = traceFile ? parseGcTrace(readFileSync(join(dir, traceFile), 'utf8')) : [];
  let lastAfter = 0;
  let g = 0;
  marks.forEach((m, i) => {
    if (!m.what.endsWith('connected')) return;
    const end = marks.slice(i).find((e) => e.what.endsWith('drained'))?.at ?? Infinity;
    const peak = Math.max(...series.filter(([s]) => s * 1000 >= m.at && s * 1000 <= end).map(([, max]) => max));
    let allocated = 0;
    let promoted = 0;
    let scavenges = 0;
    const majors: string[] = [];
    for (; g < gcs.length && (gcs[g]?.at ?? 0) < end; g++) {
      const c = gcs[g] as Gc;
      if (c.at >= m.at) {
        allocated += c.allocated;
        promoted += c.promoted;
        if (c.major) {
          const growth = lastAfter >= 10 * MB ? ` (×${(c.before / lastAfter).toFixed(1)})` : '';
          majors.push(
            `${(c.before / MB).toFixed(0)} → ${(c.after / MB).toFixed(0)} MB${growth} at ${(c.at / 1000).toFixed(0)} s`,
          );
        } else scavenges++;
      }
      if (c.major) lastAfter = c.after;
    }
    const phase = m.what.replace(/: connected$/, '');
    console.log(
      `${phase}, connected → drained (${((end - m.at) / 1000).toFixed(0)} s): heapUsed peak ${peak} MB (sampled every 100 ms)` +
        (gcs.length > 0
          ? `; ${(allocated / MB).toFixed(0)} MB allocated, ${(promoted / MB).toFixed(0)} MB promoted, ${scavenges} scavenges; mark-compacts: ${majors.join(', ') || 'none'}`
          : ''),
    );
  });
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: gc-summary <dir of one fan-in run with FANIN_HEAP_DIR>');
main(dir);
