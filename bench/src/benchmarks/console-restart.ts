// The Pods page's feed restart deep in the list (issue 18, helper brief
// "deepreread"): N pods (--pods, default 30,000 and 100,000) seeded in the
// hub's SQLite store as console-pods seeds them, the page scrolled to ~90 % of
// the list (every row above loaded on the way, as a dragged scrollbar loads
// them), then the hub's overflow notice delivered on the page's live socket —
// what a socket that fell 4 MiB behind gets, and what a restart does too.
//
// Subject: the console as built (re-reads the rows in view, a page each side,
// from a cursor built from the row above them). Baseline, in the same run and
// browser: the same console with `whFullReread` and `whHoldAll` set before it
// starts (every row scrolled through held, and all of them read again, as
// before; paged-list.ts keeps both for this only).
//
// Memory (helper brief "deepheap"): before the restarts, each side's Pods page
// in a context of its own, its JS heap after a forced GC at the top, at
// DEPTH, at the very bottom and back at the top — subject: rows released away
// from the view (HELD_MARGIN); baseline: `whHoldAll`, every row held.
// Each has its own page, scrolled once; each round is one restart. Measured:
// the page's own clock from the table turning busy to the answer swapped in
// (aria-busy back to false), and — at the hub, wrapping its store's query, not
// the console's claims — the rows and requests served for that restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { launchChromium } from '@wheelhouse/e2e/chromium';
import { createHub, type Hub } from '@wheelhouse/hub';
import type { Benchmark } from '../harness.js';
import { summarize } from '../stats.js';
import { DEFAULT_NODE_COUNT, seedSyntheticCluster, signInViewer } from './console-pods.js';

/** How deep the page is scrolled before each restart: ~90 % of the list. */
const DEPTH = 0.9;

interface Served {
  requests: number;
  rows: number;
  /** Each of the restart's queries in the hub's store, ms (count and rows go out together). */
  hubMs: number[];
  /** The rows each page request asked for (its limit). */
  limits: number[];
  /** Page clock: busy → the last of its /resources answers in; that → swapped in (the console's own work). */
  network?: number;
  console?: number;
  /** Page clock: busy → swapped in. */
  total?: number;
}

/** One page of the console, scrolled deep, whose live socket the bench can send the hub's notices on. */
interface Deep {
  page: Page;
  live: () => WebSocketRoute | undefined;
  /** What the hub served this page's Pods list per restart. */
  served: Served[];
  /** Rows read on the way down (the baseline holds them all; the subject those within HELD_MARGIN of the view). */
  held: number;
}

/** The page's JS heap (bytes, after a forced GC) at the top, at DEPTH, at the bottom and back at the top. */
interface HeapAt {
  top: number;
  deep: number;
  bottom: number;
  back: number;
  /** From the scroll back to the top to its rows shown (no loading rows), ms (the bench's clock). */
  backMs: number;
}

const describeHeap = (h: HeapAt | undefined): string => {
  const mib = (n: number | undefined) => ((n ?? 0) / 1048576).toFixed(1);
  return `top ${mib(h?.top)}, ${DEPTH * 100} % ${mib(h?.deep)}, bottom ${mib(h?.bottom)}, back at the top ${mib(h?.back)} (its rows shown in ${(h?.backMs ?? 0).toFixed(0)} ms)`;
};

/** Waits until the Pods table shows the row at list index `index` and none of its loading rows (scrolled there, read). */
export async function settled(page: Page, index: number): Promise<void> {
  await page.waitForFunction(
    (index) =>
      document.querySelector(`table[aria-label="Pods"] tbody tr[data-index="${index}"]`) !== null &&
      document.querySelectorAll('table[aria-label="Pods"] tbody td.hint').length === 0,
    index,
  );
}

/** A hub on a new SQLite store in `dir`, listening, with `pods` pods seeded as console-pods seeds them. */
export async function seededHub(
  dir: string,
  pods: number,
  nodes: number,
  log: (s: string) => void,
): Promise<{ hub: Hub; url: string }> {
  const hub = await createHub({ dataDir: dir, logger: false });
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = hub.app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const t0 = Date.now();
  await seedSyntheticCluster(hub, pods, nodes);
  log(`seeded ${pods} pods in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { hub, url };
}

/** Calls `seen` with every query of the bench cluster's Pods list the hub's store answers (at the hub, not the console's claims). */
export function watchPodQueries(
  hub: Hub,
  seen: (q: { count?: boolean; limit: number }, rows: number, ms: number) => void,
): void {
  const { inventory } = hub;
  const query = inventory.query.bind(inventory);
  inventory.query = async (...args: Parameters<typeof query>) => {
    const t0 = performance.now();
    const answer = await query(...args);
    const [cluster, q] = args;
    if (cluster === 'bench' && q.kind === 'Pod') seen(q, answer.items.length, performance.now() - t0);
    return answer;
  };
}

/** Closes what a console bench opened. */
/** A console bench's browser, signed in to its hub as a viewer. */
export interface BenchBrowser {
  browser: Browser;
  url: string;
  cookie: string;
}

/**
 * A fresh 1440×900 context, signed in, on the bench cluster's Pods page, once
 * it shows the count: `hooks` (paged-list.ts's bench switches) set before the
 * console starts; `beforeLoad` (routes, counters) just before it loads.
 */
export async function openPodsPage(
  b: BenchBrowser | undefined,
  pods: number,
  hooks: Record<string, boolean>,
  beforeLoad?: (page: Page) => Promise<void>,
): Promise<{ context: BrowserContext; page: Page }> {
  if (!b) throw new Error('no browser');
  const context = await b.browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addCookies([{ name: 'wh_session', value: b.cookie, url: b.url }]);
  const page = await context.newPage();
  page.setDefaultTimeout(600_000);
  if (Object.keys(hooks).length > 0) await page.addInitScript((h) => Object.assign(window, h), hooks);
  await beforeLoad?.(page);
  await page.goto(`${b.url}/c/bench/pods`);
  await page.getByText(`${pods.toLocaleString('en-US')} pods`).waitFor();
  return { context, page };
}

/** The Pods table's scrollbar set to `depth` of its height (1: the very bottom), as dragged; the row there shown. Its index. */
export async function scrollPods(page: Page, pods: number, depth: number): Promise<number> {
  await page
    .getByLabel('Pods, scrollable')
    .evaluate((el, d) => el.scrollTo(0, d === 1 ? el.scrollHeight : el.scrollHeight * d), depth);
  const index = depth === 1 ? pods - 1 : Math.floor(pods * depth);
  await settled(page, index);
  return index;
}

export async function closeBench(browser: Browser | undefined, hub: Hub | undefined, dir: string): Promise<void> {
  await browser?.close();
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
}

export function consoleRestartBenchmark(pods: number, nodes = DEFAULT_NODE_COUNT): Promise<Benchmark> {
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-restart-'));
  let hub: Hub | undefined;
  let b: BenchBrowser | undefined;
  /** The restart being counted at the hub (the wrapped store adds to it). */
  let counting: Served | undefined;
  const pages: { subject?: Deep; baseline?: Deep } = {};
  /** The page's JS heap at each depth, per side (see heapDeep). */
  const heaps: { subject?: HeapAt; baseline?: HeapAt } = {};

  /**
   * The Pods page's JS heap (after a forced GC, through the DevTools protocol:
   * performance.memory is coarse and lags) at the top, scrolled to DEPTH, at the
   * very bottom (every row loaded on the way), and back at the top — in a
   * context of its own, closed after.
   */
  async function heapDeep(holdAll: boolean): Promise<HeapAt> {
    // The baseline as before: every row held, every page on the way read (whWalk: no read at a position).
    const { context, page } = await openPodsPage(b, pods, holdAll ? { whHoldAll: true, whWalk: true } : {});
    try {
      const cdp = await context.newCDPSession(page);
      const heap = async (): Promise<number> => {
        await cdp.send('HeapProfiler.collectGarbage');
        const { usedSize } = await cdp.send('Runtime.getHeapUsage');
        return usedSize;
      };
      await settled(page, 0);
      const top = await heap();
      await scrollPods(page, pods, DEPTH);
      const deep = await heap();
      await scrollPods(page, pods, 1);
      const bottom = await heap();
      const t0 = performance.now();
      await scrollPods(page, pods, 0);
      const backMs = performance.now() - t0;
      const back = await heap();
      return { top, deep, bottom, back, backMs };
    } finally {
      await context.close();
    }
  }

  /** A fresh context on the Pods page, scrolled to DEPTH with every row above loaded. */
  async function openDeep(fullReread: boolean): Promise<Deep> {
    let socket: WebSocketRoute | undefined;
    const loadCount: Served = { requests: 0, rows: 0, hubMs: [], limits: [] };
    // The baseline as before windows: every row held (whHoldAll), and every one read again; every page on the way read.
    const { page } = await openPodsPage(
      b,
      pods,
      fullReread ? { whFullReread: true, whHoldAll: true, whWalk: true } : {},
      async (page) => {
        await page.routeWebSocket(/\/api\/v1\/live/, (ws) => {
          ws.connectToServer();
          socket = ws;
        });
        counting = loadCount;
      },
    );
    const t0 = Date.now();
    await scrollPods(page, pods, DEPTH);
    counting = undefined;
    const first = await page.locator('table[aria-label="Pods"] tbody tr[data-name]').first().getAttribute('data-name');
    log(
      `${fullReread ? 'baseline' : 'subject'} page: scrolled to ${first ?? '?'} in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${loadCount.rows} rows in ${loadCount.requests} requests loaded`,
    );
    return { page, live: () => socket, served: [], held: loadCount.rows };
  }

  /** One restart: the overflow notice sent, timed in the page from busy to the answer swapped in. */
  async function restart(deep: Deep): Promise<number[]> {
    const { page } = deep;
    const socket = deep.live();
    if (!socket) throw new Error('no live socket');
    // The page's resource timings hold 250 entries: this restart's requests must find room.
    await page.evaluate(() => performance.clearResourceTimings());
    const before = await page.getByLabel('Pods, scrollable').evaluate((el) => el.scrollTop);
    const timed = page.evaluate(
      () =>
        new Promise<{ busy: number; done: number }>((resolve) => {
          const table = document.querySelector('table[aria-label="Pods"]');
          if (!table) throw new Error('no table');
          let busy: number | undefined;
          const seen = new MutationObserver(() => {
            const now = performance.now();
            const b = table.getAttribute('aria-busy') === 'true';
            if (b && busy === undefined) busy = now;
            if (!b && busy !== undefined) {
              seen.disconnect();
              resolve({ busy, done: now });
            }
          });
          seen.observe(table, { attributes: true, attributeFilter: ['aria-busy'] });
        }),
    );
    const served: Served = { requests: 0, rows: 0, hubMs: [], limits: [] };
    counting = served;
    socket.send(
      JSON.stringify({ type: 'overflow', message: 'live messages were dropped while you were slow; refetch' }),
    );
    const { busy, done } = await timed;
    counting = undefined;
    const answered = await page.evaluate(
      (from) =>
        Math.max(
          from,
          ...(performance.getEntriesByType('resource') as PerformanceResourceTiming[])
            .filter((e) => e.name.includes('/resources?') && e.startTime >= from - 50)
            .map((e) => e.responseEnd),
        ),
      busy,
    );
    served.network = answered - busy;
    served.console = done - answered;
    served.total = done - busy;
    deep.served.push(served);
    // Still where the person left it: the bench measures a re-read in place, not a jump.
    const after = await page.getByLabel('Pods, scrollable').evaluate((el) => el.scrollTop);
    if (after !== before) throw new Error(`the list moved: scrollTop ${before} → ${after}`);
    return [done - busy];
  }

  const describeServed = (d: Deep | undefined): string => {
    const s = d?.served ?? [];
    const rows = summarize(s.map((x) => x.rows));
    const req = summarize(s.map((x) => x.requests));
    const ms = (xs: number[]) => summarize(xs.length > 0 ? xs : [0]).median.toFixed(0);
    const split = `; page clock busy → answers in median ${ms(s.map((x) => x.network ?? 0))} ms, answers in → swapped in median ${ms(s.map((x) => x.console ?? 0))} ms; the hub's store per query median ${ms(s.flatMap((x) => x.hubMs))} ms (largest per restart median ${ms(s.map((x) => Math.max(0, ...x.hubMs)))} ms)`;
    return `rows served per restart median ${rows.median.toFixed(0)} (min ${rows.min.toFixed(0)}, max ${rows.max.toFixed(0)}) in median ${req.median.toFixed(0)} requests (count included); ${d?.held ?? 0} rows read on the way there; every run's rows: ${s.map((x) => x.rows).join(', ')} (page requests' limits: ${s.map((x) => (x.limits.length > 6 ? `${x.limits.length} pages` : x.limits.join('+'))).join(', ')})${split}; every restart busy → swapped in (ms, warm-up first): ${s.map((x) => (x.total ?? 0).toFixed(0)).join(', ')}`;
  };

  return Promise.resolve({
    name: `console-pods-restart-${pods}`,
    description: `console Pods page, ${pods.toLocaleString('en-US')} pods seeded in the hub's SQLite store, scrolled to ${DEPTH * 100} %, a live-feed overflow: the rows in view re-read (subject) vs every row held re-read (baseline, whFullReread), Chromium, page clock busy → swapped in`,
    rounds: 6,
    warmup: 1,
    setup: async () => {
      const seeded = await seededHub(dir, pods, nodes, log);
      hub = seeded.hub;
      // The hub's side of each restart: every page of the bench cluster's Pods list its store answers.
      watchPodQueries(hub, (q, rows, ms) => {
        if (!counting) return;
        counting.requests++;
        counting.rows += q.count === true ? 0 : rows;
        if (q.count !== true) counting.limits.push(q.limit);
        counting.hubMs.push(ms);
      });
      b = { url: seeded.url, cookie: await signInViewer(hub, seeded.url), browser: await launchChromium() };
      heaps.subject = await heapDeep(false);
      heaps.baseline = await heapDeep(true);
      log(`heap: subject ${describeHeap(heaps.subject)}; baseline ${describeHeap(heaps.baseline)}`);
      pages.subject = await openDeep(false);
      pages.baseline = await openDeep(true);
      // The warm-up round's restarts are not counted in the figures below.
    },
    teardown: () => closeBench(b?.browser, hub, dir),
    subject: {
      label: 'restart: rows in view re-read',
      run: async () => {
        if (pages.subject) await restart(pages.subject);
      },
      samples: () => (pages.subject ? restart(pages.subject) : Promise.resolve([])),
    },
    baseline: {
      label: 'restart: every row held re-read',
      run: async () => {
        if (pages.baseline) await restart(pages.baseline);
      },
      samples: () => (pages.baseline ? restart(pages.baseline) : Promise.resolve([])),
    },
    notes: () => [
      `JS heap after a forced GC (MiB), the rows released away from the view (subject) vs every row held (baseline, whHoldAll): subject ${describeHeap(heaps.subject)}; baseline ${describeHeap(heaps.baseline)}`,
      `subject (rows in view): ${describeServed(pages.subject)}`,
      `baseline (every row held): ${describeServed(pages.baseline)}`,
      `times are the page's clock from the table turning busy to the answer swapped in, one restart a round; the first restart of each page (warm-up) is in the rows list above too`,
    ],
  });
}
