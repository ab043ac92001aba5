// The Pods page's scrollbar dragged deep into N pods (issue 18, helper brief
// "jumpto"): N pods (--pods, default 30,000 and 100,000) seeded in the hub's
// SQLite store as console-pods seeds them; a fresh page at the top of the
// list, then its scroll position set to the very bottom (one page) and to
// 90 % (another), as a dragged scrollbar sets it. Timed on the bench's clock
// from the scroll to the row scrolled to shown with no loading rows in view
// (its polling: ~60 ms is its floor).
//
// Subject: the console as built (a view far below every known cursor is read
// at its position: the hub's `?at=`). Baseline, in the same run and browser,
// alternating: the same console with `whWalk` set before it starts (every
// page on the way down read first, as before; paged-list.ts keeps it for this
// only). Rows and requests: counted at the hub, around its store's `query`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '@wheelhouse/e2e/chromium';
import type { Hub } from '@wheelhouse/hub';
import type { Benchmark } from '../harness.js';
import { summarize } from '../stats.js';
import { DEFAULT_NODE_COUNT, signInViewer } from './console-pods.js';
import {
  closeBench,
  openPodsPage,
  scrollPods,
  seededHub,
  settled,
  watchPodQueries,
  type BenchBrowser,
} from './console-restart.js';

/** One drag: how long until its rows showed, and what the hub served for it. */
interface Drag {
  ms: number;
  requests: number;
  rows: number;
}

export function consoleJumpBenchmark(pods: number, nodes = DEFAULT_NODE_COUNT): Promise<Benchmark> {
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-jump-'));
  let hub: Hub | undefined;
  let b: BenchBrowser | undefined;
  /** The drag being counted at the hub (the wrapped store adds to it). */
  let counting: Drag | undefined;
  const drags = {
    subject: { bottom: [] as Drag[], deep: [] as Drag[] },
    baseline: { bottom: [] as Drag[], deep: [] as Drag[] },
  };

  /** A fresh page at the top of the Pods list, its scrollbar dragged to `depth` (1: the bottom). */
  async function drag(walk: boolean, depth: number): Promise<Drag> {
    const { context, page } = await openPodsPage(b, pods, walk ? { whWalk: true } : {});
    try {
      await settled(page, 0);
      const d: Drag = { ms: 0, requests: 0, rows: 0 };
      counting = d;
      const t0 = performance.now();
      const index = await scrollPods(page, pods, depth);
      d.ms = performance.now() - t0;
      counting = undefined;
      // The row shown there is the hub's row at that position (the page's default sort: namespace, ascending).
      const shown = await page
        .locator(`table[aria-label="Pods"] tbody tr[data-index="${index}"]`)
        .getAttribute('data-name');
      const at = await hub?.inventory.query('bench', {
        kind: 'Pod',
        sort: 'namespace',
        order: 'asc',
        at: index,
        limit: 1,
      });
      if (shown !== at?.items[0]?.name)
        throw new Error(`row ${index}: ${shown ?? '?'}, the hub's ${at?.items[0]?.name ?? '?'}`);
      return d;
    } finally {
      counting = undefined;
      await context.close();
    }
  }

  async function round(side: 'subject' | 'baseline'): Promise<number[]> {
    const walk = side === 'baseline';
    const bottom = await drag(walk, 1);
    const deep = await drag(walk, 0.9);
    drags[side].bottom.push(bottom);
    drags[side].deep.push(deep);
    return [deep.ms];
  }

  const describe = (xs: Drag[]): string => {
    const med = (ns: number[]) => summarize(ns.length > 0 ? ns : [0]).median.toFixed(0);
    return `median ${med(xs.map((x) => x.ms))} ms, ${med(xs.map((x) => x.rows))} rows in ${med(xs.map((x) => x.requests))} requests (the count was read with the page, before the drag; each run: ${xs.map((x) => `${x.ms.toFixed(0)} ms ${x.rows}/${x.requests}`).join(', ')})`;
  };

  return Promise.resolve({
    name: `console-pods-jump-${pods}`,
    description: `console Pods page, ${pods.toLocaleString('en-US')} pods seeded in the hub's SQLite store, a fresh page's scrollbar dragged from the top to 90 % (the figure; to the bottom in the notes): read at the position (subject) vs every page on the way (baseline, whWalk), Chromium, the bench's clock scroll → rows shown`,
    rounds: 4,
    warmup: 1,
    setup: async () => {
      const seeded = await seededHub(dir, pods, nodes, log);
      hub = seeded.hub;
      // The hub's side of each drag: every page (and count) of the bench cluster's Pods list its store answers.
      watchPodQueries(hub, (q, rows) => {
        if (!counting) return;
        counting.requests++;
        counting.rows += q.count === true ? 0 : rows;
      });
      b = { url: seeded.url, cookie: await signInViewer(hub, seeded.url), browser: await launchChromium() };
    },
    teardown: () => closeBench(b?.browser, hub, dir),
    subject: {
      label: 'dragged to 90 %: read at the position',
      run: async () => {
        await round('subject');
      },
      samples: () => round('subject'),
    },
    baseline: {
      label: 'dragged to 90 %: every page on the way',
      run: async () => {
        await round('baseline');
      },
      samples: () => round('baseline'),
    },
    notes: () => [
      `dragged to the bottom (a fresh page each): subject ${describe(drags.subject.bottom)}; baseline ${describe(drags.baseline.bottom)}`,
      `dragged to 90 % (a fresh page each): subject ${describe(drags.subject.deep)}; baseline ${describe(drags.baseline.deep)}`,
      `each side's lists include its warm-up round (first); the figures above exclude it`,
    ],
  });
}
