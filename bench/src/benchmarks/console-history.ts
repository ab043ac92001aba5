// The console's history pages at size (issue 18 item 2): a workload's Timeline
// tab with N events, and the Audit page with N records (N from --history,
// default 100,000), in Chromium, against the targets: first rows visible
// ≤ 1 s, filter result ≤ 150 ms, JS heap ≤ 150 MiB.
//
// The hub's SQLite store is seeded directly: timeline events through the
// hub's TimelineStore (as the agent's batches are stored) — a crash-looping
// Deployment `shop/api` whose pods' restarts, Kubernetes Events and phase
// changes spread over the last five hours; audit records through the hub's
// AuditLog (chained and HMAC-keyed like every record), actions and outcomes
// from the catalog, 50 actors. No agent, no kwok: the page reads the store
// through the hub's API as it would with one.
//
// Each round, a fresh browser context (cold HTTP cache), timing in the page's
// own clock (a MutationObserver):
// - Timeline: navigation → first event row; a click on the
//   container-restart chip (to hide restarts) → the table without restart
//   rows and the new count.
// - Audit: navigation → first record row; an actor typed and the filter
//   submitted → the first row that actor's.
// Plus the JS heap, and the chain's verification at N records (its time and
// the longest the hub's event loop was blocked meanwhile). Baselines: the
// first page the hub serves each page over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '@wheelhouse/e2e/chromium';
import { createHub, type Hub } from '@wheelhouse/hub';
import type { InventoryItem, TimelineEventInput } from '@wheelhouse/protocol';
import type { Benchmark } from '../harness.js';
import { summarize } from '../stats.js';
import { signInViewer } from './console-pods.js';

export const DEFAULT_HISTORY_SIZES = [100_000];
const TARGETS = { firstRows: 1000, filter: 150, heapMiB: 150 };
const NS = 'shop';
const APP = 'api';
const SPAN_MS = 5 * 3600_000;
const PODS = 40;
const ACTORS = 50;
/** The actor the audit filter looks for: one record in 2,000, spread over the log. */
const RARE_ACTOR = 'auditor-rare';

const heapOf = (page: Page): Promise<number> =>
  page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);

/** Event i of n (newest last), at a time within the last five hours before `now`. */
export function syntheticEvent(i: number, n: number, now: number): TimelineEventInput {
  const time = now - SPAN_MS + Math.floor((i / n) * (SPAN_MS - 60_000));
  const pod = `${APP}-7c9f8d6b5-${String(i % PODS).padStart(5, 'x')}`;
  const base = {
    id: `bench:${i}`,
    time,
    kind: 'Pod',
    namespace: NS,
    name: pod,
    owner: { kind: 'Deployment', name: APP },
  };
  const r = i % 10;
  if (r < 5)
    return {
      ...base,
      type: 'container-restart',
      severity: 'error',
      summary: `Container ${APP} of ${pod} restarted (OOMKilled, exit 137)`,
      data: {
        container: APP,
        restartCount: Math.floor(i / PODS) + 1,
        reason: 'CrashLoopBackOff',
        exitCode: 137,
        terminationReason: 'OOMKilled',
      },
    };
  if (r < 8)
    return {
      ...base,
      type: 'k8s-event',
      severity: 'warning',
      summary: `BackOff: Back-off restarting failed container ${APP} in pod ${pod}`,
      data: {
        reason: 'BackOff',
        message: `Back-off restarting failed container ${APP} in pod ${pod}_${NS}(0f8c-${i})`,
        count: (i % 50) + 1,
        source: 'kubelet',
        eventType: 'Warning',
      },
    };
  const up = r === 8;
  return {
    ...base,
    type: 'pod-phase',
    severity: up ? 'info' : 'warning',
    summary: `Pod ${pod}: ${up ? 'Running/NotReady → Running/Ready' : 'Running/Ready → Running/NotReady'}`,
    data: {
      from: up ? 'Running/NotReady' : 'Running/Ready',
      to: up ? 'Running/Ready' : 'Running/NotReady',
      phase: 'Running',
      ready: up,
      nodeName: `node-${String(i % 7).padStart(3, '0')}`,
    },
  };
}

function deployment(now: number): InventoryItem {
  return {
    kind: 'Deployment',
    namespace: NS,
    name: APP,
    uid: '0f8c0000-1d2e-4f5a-8b9c-deployment01',
    resourceVersion: '1000',
    createdAt: now - SPAN_MS,
    labels: { app: APP },
    ownerRefs: [],
    summary: {
      replicas: PODS,
      readyReplicas: 0,
      availableReplicas: 0,
      updatedReplicas: PODS,
      paused: false,
      selector: { app: APP },
      images: [`registry.example.com/shop/${APP}:1.4.0`],
      conditions: { Available: 'False', Progressing: 'True' },
      spec: {},
    },
  };
}

const AUDIT_SAMPLES = [
  { action: 'auth.login', outcome: 'succeeded', detail: { ip: '10.0.0.7' } },
  {
    action: 'access',
    outcome: 'denied',
    detail: {
      permission: 'edit',
      scope: { cluster: 'bench' },
      method: 'POST',
      route: '/api/v1/clusters/:cluster/actions',
    },
  },
  { action: 'action:scale', outcome: 'succeeded', detail: { commandId: 'c-1', replicas: 3 } },
  { action: 'shell.start', outcome: 'allowed', detail: { sessionId: 's-1', container: APP } },
] as const;

/** Audit record i: an actor of 50 (the rare one every 2,000th), a catalog action, a cluster target. */
function auditRecord(i: number) {
  const s = AUDIT_SAMPLES[i % AUDIT_SAMPLES.length] ?? AUDIT_SAMPLES[0];
  return {
    actor: i % 2000 === 1999 ? RARE_ACTOR : `user-${i % ACTORS}`,
    action: s.action,
    clusterId: 'bench',
    target: { kind: 'Deployment', namespace: NS, name: `${APP}-${i % 20}` },
    params: { replicas: i % 5 },
    reason: i % 3 === 0 ? 'ticket OPS-1234' : null,
    outcome: s.outcome,
    detail: { ...s.detail },
  };
}

interface Shared {
  hub: Hub;
  browser: Browser;
  url: string;
  cookie: string;
  dir: string;
}

/** One hub and browser for both pages of a size (seeding 100k of each takes a while). */
async function start(size: number, log: (s: string) => void): Promise<Shared> {
  const dir = mkdtempSync(join(tmpdir(), 'wh-bench-history-'));
  const hub = await createHub({ dataDir: dir, logger: false });
  await hub.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = hub.app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  await hub.clusters.create('bench', 'bench');
  const now = Date.now();
  await hub.inventory.applySnapshotChunk('bench', 'Deployment', 'seed', [deployment(now)], true);
  let t0 = Date.now();
  for (let i = 0; i < size; i += 5000) {
    const batch = Array.from({ length: Math.min(5000, size - i) }, (_, j) => syntheticEvent(i + j, size, now));
    await hub.timeline.insert('bench', batch);
  }
  log(`seeded ${size} timeline events in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t0 = Date.now();
  for (let i = 0; i < size; i += 2000) {
    await Promise.all(Array.from({ length: Math.min(2000, size - i) }, (_, j) => hub.audit.append(auditRecord(i + j))));
  }
  log(`seeded ${size} audit records in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const cookie = await signInViewer(hub, url, 'auditor');
  return { hub, browser: await launchChromium(), url, cookie, dir };
}

async function stop(s: Shared | undefined): Promise<void> {
  if (!s) return;
  await s.browser.close();
  await s.hub.close();
  rmSync(s.dir, { recursive: true, force: true });
}

async function freshPage(s: Shared): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await s.browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addCookies([{ name: 'wh_session', value: s.cookie, url: s.url }]);
  const page = await context.newPage();
  page.setDefaultTimeout(120_000);
  return { page, close: () => context.close() };
}

/** Where the first round's time went: each request's start and end in the page's clock. */
async function trace(page: Page): Promise<string> {
  const lines = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map(
        (e) =>
          `${e.name.replace(/^https?:\/\/[^/]+/, '').slice(0, 90)} ${e.startTime.toFixed(0)}→${(e as PerformanceResourceTiming).responseEnd.toFixed(0)}`,
      ),
  );
  return lines.join('\n  ');
}

const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');

export function consoleTimelineBenchmark(size: number): Promise<Benchmark> {
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  let s: Shared | undefined;
  const first: number[] = [];
  const filter: number[] = [];
  const heaps: number[] = [];
  return Promise.resolve({
    name: `console-timeline-${size}`,
    description: `console workload Timeline tab, one Deployment with ${size.toLocaleString('en-US')} events seeded in the hub's SQLite store, Chromium (cold context) vs the hub's first timeline page over HTTP`,
    rounds: 5,
    warmup: 1,
    setup: async () => {
      s = await start(size, log);
    },
    teardown: () => stop(s),
    subject: {
      label: 'Timeline tab: first rows (Chromium)',
      run: async () => {
        if (!s) throw new Error('not set up');
        const { page, close } = await freshPage(s);
        await page.addInitScript(() => {
          const w = window as unknown as Record<string, number | string | undefined>;
          const hint = (): string =>
            Array.from(document.querySelectorAll('.tl-toolbar .hint'))
              .map((e) => e.textContent)
              .join(' ');
          document.addEventListener('click', (e) => (w.whClick = e.timeStamp), true);
          new MutationObserver(() => {
            const rows = document.querySelectorAll('table[aria-label="Timeline events"] tbody tr[data-seq]');
            const now = performance.now();
            if (w.whFirst === undefined && rows.length > 0) w.whFirst = now;
            if (w.whClick !== undefined && w.whFiltered === undefined) {
              const restarts = document.querySelectorAll(
                'table[aria-label="Timeline events"] tbody tr[data-type="container-restart"]',
              ).length;
              if (rows.length > 0 && restarts === 0 && hint() !== w.whHintBefore) w.whFiltered = now;
            }
          }).observe(document, { subtree: true, childList: true, characterData: true });
        });
        await page.goto(`${s.url}/c/bench/w/Deployment/${NS}/${APP}?tab=timeline`);
        await page.locator('table[aria-label="Timeline events"] tbody tr[data-seq]').first().waitFor();
        first.push(await page.evaluate(() => (window as unknown as { whFirst: number }).whFirst));
        if (first.length === 1)
          log(`timeline, first round, first row at ${first[0]?.toFixed(0)} ms:\n  ${await trace(page)}`);
        // Wait for the page to settle (every page it asks for), then filter.
        await page.waitForLoadState('networkidle');
        await page.evaluate(() => {
          const w = window as unknown as Record<string, string>;
          w.whHintBefore = Array.from(document.querySelectorAll('.tl-toolbar .hint'))
            .map((e) => e.textContent)
            .join(' ');
        });
        heaps.push(await heapOf(page));
        await page.locator('label.tl-chip', { hasText: 'container-restart' }).locator('input').click();
        await page.waitForFunction(() => (window as unknown as { whFiltered?: number }).whFiltered !== undefined);
        filter.push(
          await page.evaluate(() => {
            const w = window as unknown as Record<string, number>;
            return (w.whFiltered ?? 0) - (w.whClick ?? 0);
          }),
        );
        await page.waitForLoadState('networkidle');
        heaps.push(await heapOf(page));
        await close();
      },
    },
    baseline: {
      label: 'GET first timeline page (HTTP)',
      run: async () => {
        if (!s) throw new Error('not set up');
        const res = await fetch(
          `${s.url}/api/v1/clusters/bench/timeline?namespace=${NS}&kind=Deployment&name=${APP}&limit=100`,
          { headers: { cookie: `wh_session=${s.cookie}` } },
        );
        const body = (await res.json()) as { items: unknown[] };
        if (res.status !== 200 || body.items.length !== 100) throw new Error(`unexpected answer ${res.status}`);
      },
    },
    notes: () => {
      const f = summarize(first);
      const fi = summarize(filter);
      const mib = summarize(heaps).max / 1048576;
      return [
        `first rows visible (navigation start → first event row, page clock): median ${f.median.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms — target ≤ ${TARGETS.firstRows} ms: ${verdict(f.median <= TARGETS.firstRows)}`,
        `filter result (click on the container-restart chip → the table without restarts, recounted): median ${fi.median.toFixed(0)} ms, p99 ${fi.p99.toFixed(0)} ms — target ≤ ${TARGETS.filter} ms: ${verdict(fi.median <= TARGETS.filter)}`,
        `JS heap (largest seen, network idle before and after the filter): ${mib.toFixed(1)} MiB — target ≤ ${TARGETS.heapMiB} MiB: ${verdict(mib <= TARGETS.heapMiB)}`,
      ];
    },
  });
}

export function consoleAuditBenchmark(size: number): Promise<Benchmark> {
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  let s: Shared | undefined;
  const first: number[] = [];
  const filter: number[] = [];
  const heaps: number[] = [];
  const verifyMs: number[] = [];
  const verifyBlockMs: number[] = [];
  return Promise.resolve({
    name: `console-audit-${size}`,
    description: `console Audit page, ${size.toLocaleString('en-US')} chained records seeded through the hub's AuditLog (SQLite), Chromium (cold context) vs the hub's first audit page over HTTP`,
    rounds: 5,
    warmup: 1,
    setup: async () => {
      s = await start(size, log);
      // The chain's verification at this size: its time, and the event loop's longest stall meanwhile.
      for (let i = 0; i < 3; i++) {
        const h = monitorEventLoopDelay({ resolution: 5 });
        h.enable();
        const t0 = performance.now();
        const res = await fetch(`${s.url}/api/v1/audit/verify`, { headers: { cookie: `wh_session=${s.cookie}` } });
        const body = (await res.json()) as { ok?: boolean; records?: number };
        verifyMs.push(performance.now() - t0);
        h.disable();
        verifyBlockMs.push(h.max / 1e6);
        if (!body.ok || (body.records ?? 0) < size) throw new Error(`verify answered ${JSON.stringify(body)}`);
      }
    },
    teardown: () => stop(s),
    subject: {
      label: 'Audit page: first rows (Chromium)',
      run: async () => {
        if (!s) throw new Error('not set up');
        const { page, close } = await freshPage(s);
        await page.addInitScript((rare: string) => {
          const w = window as unknown as Record<string, number | undefined>;
          document.addEventListener('submit', (e) => (w.whSubmit = e.timeStamp), true);
          new MutationObserver(() => {
            const rows = document.querySelectorAll('table[aria-label="Audit records"] tbody tr[data-seq]');
            const now = performance.now();
            const actor = rows[0]?.querySelectorAll('td')[2]?.textContent;
            if (w.whFirst === undefined && actor) w.whFirst = now;
            if (w.whSubmit !== undefined && w.whFiltered === undefined && actor === rare) w.whFiltered = now;
          }).observe(document, { subtree: true, childList: true, characterData: true });
        }, RARE_ACTOR);
        await page.goto(`${s.url}/audit`);
        await page.waitForFunction(() => (window as unknown as { whFirst?: number }).whFirst !== undefined);
        first.push(await page.evaluate(() => (window as unknown as { whFirst: number }).whFirst));
        if (first.length === 1)
          log(`audit, first round, first row at ${first[0]?.toFixed(0)} ms:\n  ${await trace(page)}`);
        await page.waitForLoadState('networkidle');
        heaps.push(await heapOf(page));
        await page.getByLabel('Actor').fill(RARE_ACTOR);
        await page.getByRole('button', { name: 'Filter', exact: true }).click();
        await page.waitForFunction(() => (window as unknown as { whFiltered?: number }).whFiltered !== undefined);
        filter.push(
          await page.evaluate(() => {
            const w = window as unknown as Record<string, number>;
            return (w.whFiltered ?? 0) - (w.whSubmit ?? 0);
          }),
        );
        heaps.push(await heapOf(page));
        await close();
      },
    },
    baseline: {
      label: 'GET first audit page (HTTP)',
      run: async () => {
        if (!s) throw new Error('not set up');
        const res = await fetch(`${s.url}/api/v1/audit?limit=100`, { headers: { cookie: `wh_session=${s.cookie}` } });
        const body = (await res.json()) as { items: unknown[] };
        if (res.status !== 200 || body.items.length !== 100) throw new Error(`unexpected answer ${res.status}`);
      },
    },
    notes: () => {
      const f = summarize(first);
      const fi = summarize(filter);
      const mib = summarize(heaps).max / 1048576;
      const v = summarize(verifyMs);
      const vb = summarize(verifyBlockMs);
      return [
        `first rows visible (navigation start → first record row, page clock): median ${f.median.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms — target ≤ ${TARGETS.firstRows} ms: ${verdict(f.median <= TARGETS.firstRows)}`,
        `filter result (actor submitted → that actor's newest record first): median ${fi.median.toFixed(0)} ms, p99 ${fi.p99.toFixed(0)} ms — target ≤ ${TARGETS.filter} ms: ${verdict(fi.median <= TARGETS.filter)}`,
        `JS heap (largest seen): ${mib.toFixed(1)} MiB — target ≤ ${TARGETS.heapMiB} MiB: ${verdict(mib <= TARGETS.heapMiB)}`,
        `chain verification of ${size.toLocaleString('en-US')} records (GET /audit/verify, 3 runs): median ${v.median.toFixed(0)} ms; the hub's event loop blocked at most ${vb.max.toFixed(0)} ms at a time meanwhile`,
      ];
    },
  });
}
