// Issue 18: the Pods page as a person uses it on a big cluster — the hub
// pages, sorts and filters; the table is virtual. A second cluster in the
// same hub is seeded with 1,234 pods (store rows as the agent writes them):
// the count is right, only a screenful of rows is in the DOM, scrolling to the
// end reaches the last pod, the filter shows the match, the status filter
// counts right, a header sorts either way. On the real cluster, a pod created
// and deleted shows up in and leaves the list live. A live-feed overflow or
// restart reads the rows on screen again without emptying the table or moving
// its scroll position — deep in the list, only about a screenful of them,
// counted where the hub serves them; rows above that were not read again are
// read when scrolled back to. Scrolled to the bottom, only the rows around the
// view are held (a test hook makes the margin small enough for 1,234 pods);
// scrolled back up, the rows released are read again from a cursor near them.
// The scrollbar dragged straight to the bottom (a test hook makes the distance
// that counts as far small enough for 1,234 pods) reads the rows there at their
// position, in a request or two, not every page on the way.
import * as k8s from '@kubernetes/client-node';
import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryItem } from '@wheelhouse/protocol';
import { kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';
import { seedCluster, seededPod } from '../src/seeded-items.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const SEEDED = 'seeded';
const PODS = 1234;
const PHASES = ['Running', 'Running', 'Pending', 'Failed'];
const NAMESPACES = ['shop-a', 'shop-b', 'shop-c'];

function pod(i: number): InventoryItem {
  const phase = PHASES[i % PHASES.length] ?? 'Running';
  return seededPod({
    namespace: NAMESPACES[i % NAMESPACES.length] ?? 'shop-a',
    name: `api-${String(i).padStart(4, '0')}`,
    uid: `uid-${i}`,
    createdAt: Date.now() - i * 60_000,
    summary: {
      phase,
      containers: [
        {
          name: 'app',
          ready: phase === 'Running',
          restartCount: 0,
          state: phase === 'Running' ? 'running' : 'waiting',
          reason: null,
          exitCode: null,
          lastTerminated: null,
        },
      ],
    },
  });
}
const all = Array.from({ length: PODS }, (_, i) => pod(i));
const byNamespaceThenName = [...all].sort((a, b) =>
  a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1,
);

describe('console: the Pods page at scale (server-side paging, virtual rows)', () => {
  let c: Console;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    c = await openConsole({ bindings: [{ role: 'viewer' }] });
    await seedCluster(c.pipeline.hub, SEEDED, { Pod: all });
  });
  afterAll(async () => c.close());

  const rows = () => c.page.locator('table[aria-label="Pods"] tbody tr[data-name]');
  const count = () => c.page.getByRole('status', { name: 'Pod count' });
  const firstName = () => rows().first().getAttribute('data-name');
  /** What the hub's store serves the seeded cluster's Pods list from now (every page, as answered) until restore(). */
  const countServed = () => {
    const { inventory } = c.pipeline.hub;
    const query = inventory.query.bind(inventory);
    const served: { rows: number; count: boolean; cursor: boolean; at?: number }[] = [];
    inventory.query = async (...args: Parameters<typeof query>) => {
      const answer = await query(...args);
      const [cluster, q] = args;
      if (cluster === SEEDED && q.kind === 'Pod')
        served.push({ rows: answer.items.length, count: q.count === true, cursor: q.cursor !== undefined, at: q.at });
      return answer;
    };
    return { served, restore: () => void (inventory.query = query) };
  };
  /** The seeded Pods page opened in `page` (the count in): its scroller, its loading rows, the names in view. */
  const openPods = async (page: Page) => {
    await page.goto(`${c.url}/c/${SEEDED}/pods`);
    await expect.poll(() => page.getByRole('status', { name: 'Pod count' }).textContent()).toBe('1,234 pods');
    return {
      scroller: page.getByLabel('Pods, scrollable'),
      loadingRows: page.locator('table[aria-label="Pods"] tbody td.hint'),
      inView: () =>
        page
          .locator('table[aria-label="Pods"] tbody tr[data-name]')
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name') ?? '')),
    };
  };
  const indexOf = (name: string | undefined) => byNamespaceThenName.findIndex((p) => p.name === name);
  /** The rows the hub lists from the first of these names on, as many (what the rows shown must be). */
  const inOrder = (names: string[]) =>
    byNamespaceThenName
      .slice(indexOf(names[0]))
      .slice(0, names.length)
      .map((p) => p.name);

  it('counts every pod, keeps only a screenful in the DOM, and scrolling to the end reaches the last pod', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${SEEDED}/pods`);
    await expect.poll(() => count().textContent()).toBe('1,234 pods');
    expect(await firstName()).toBe(byNamespaceThenName[0]?.name);
    const inDom = await rows().count();
    expect(inDom).toBeGreaterThan(5);
    expect(inDom).toBeLessThan(80);
    const last = byNamespaceThenName.at(-1)?.name ?? '';
    const scroller = page.getByLabel('Pods, scrollable');
    // As a person drags the scrollbar down: more rows load as the end comes into view.
    await expect
      .poll(async () => {
        await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
        return page.locator(`tr[data-name="${last}"]`).isVisible();
      })
      .toBe(true);
    const names = await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name')));
    expect(names.at(-1)).toBe(last);
    expect(names).toEqual(byNamespaceThenName.slice(-names.length).map((p) => p.name));
    expect(await rows().count()).toBeLessThan(80);
  });

  it('filters by name and status on the hub and counts the matches', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${SEEDED}/pods`);
    await page.getByLabel('Filter by name').fill('api-0777');
    await expect.poll(() => count().textContent()).toBe('1 pod');
    await expect.poll(() => rows().evaluateAll((trs) => trs.map((tr) => tr.dataset.name))).toEqual(['api-0777']);
    await page.getByLabel('Filter by name').fill('api-12');
    // api-1200 … api-1233
    await expect.poll(() => count().textContent()).toBe('34 pods');
    await page.getByLabel('Filter by name').fill('');
    await page.getByLabel('Status').selectOption('Failed');
    const failed = all.filter((p) => p.kind === 'Pod' && p.summary.phase === 'Failed').length;
    await expect.poll(() => count().textContent()).toBe(`${failed} pods`);
    // The count and the first page are two requests: the rows may come a moment after the count.
    await expect.poll(() => rows().first().getByText('Failed').count()).toBeGreaterThan(0);
    expect(await rows().evaluateAll((trs) => trs.filter((tr) => !tr.textContent.includes('Failed')).length)).toBe(0);
  });

  it('sorts by a column header, either way', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${SEEDED}/pods`);
    await expect.poll(() => count().textContent()).toBe('1,234 pods');
    // A new sort of the same pods asks only for the rows: the count stays (it is the slower query at 100k).
    const counted: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('count=true')) counted.push(r.url());
    });
    await page.getByRole('button', { name: 'Name', exact: true }).click();
    await expect.poll(firstName).toBe('api-0000');
    await page.getByRole('button', { name: /^Name [▲▼]$/ }).click();
    await expect.poll(firstName).toBe('api-1233');
    // Oldest first: the pod created longest ago.
    await page.getByRole('button', { name: 'Age' }).click();
    await expect.poll(firstName).toBe('api-1233');
    await page.getByRole('button', { name: /^Age [▲▼]$/ }).click();
    await expect.poll(firstName).toBe('api-0000');
    expect(counted).toEqual([]);
    expect(await count().textContent()).toBe('1,234 pods');
  });

  it('shows a pod created on the real cluster and drops it when deleted, live', async () => {
    const { page } = c;
    const ns = await testNamespace('e2e-podslist');
    await page.goto(`${c.url}/c/${c.cluster}/pods?namespace=${ns}`);
    await expect.poll(() => count().textContent()).toBe('0 pods');
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'arrives-live' }, spec: { containers: [{ name: 'app', image: 'shop/live:1' }] } },
    });
    await expect.poll(() => page.locator('tr[data-name="arrives-live"]').count()).toBe(1);
    await expect.poll(() => count().textContent()).toBe('1 pod');
    await core.deleteNamespacedPod({ namespace: ns, name: 'arrives-live', gracePeriodSeconds: 0 });
    await expect.poll(() => page.locator('tr[data-name="arrives-live"]').count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => count().textContent()).toBe('0 pods');
  });
  it('a live-feed overflow or restart reads the rows again in place: never an empty table, the scroll position kept', async () => {
    // Its own page whose live socket goes through the test (to the real hub), so the test can deliver the
    // hub's overflow notice — what a socket whose browser fell 4 MiB behind gets — or drop the socket.
    const page = await c.context.newPage();
    let live: WebSocketRoute | undefined;
    await page.routeWebSocket(/\/api\/v1\/live/, (ws) => {
      ws.connectToServer();
      live = ws;
    });
    try {
      await page.goto(`${c.url}/c/${SEEDED}/pods`);
      await expect.poll(() => page.getByRole('status', { name: 'Pod count' }).textContent()).toBe('1,234 pods');
      await expect.poll(() => live !== undefined).toBe(true);
      const scroller = page.getByLabel('Pods, scrollable');
      // Scrolled down past the first pages, the rows there loaded, the table focused.
      await scroller.evaluate((el) => el.scrollTo(0, 8000));
      const loadingRows = page.locator('table[aria-label="Pods"] tbody td.hint');
      await expect.poll(() => loadingRows.count()).toBe(0);
      await scroller.focus();
      const scrollTop = await scroller.evaluate((el) => el.scrollTop);
      expect(scrollTop).toBeGreaterThan(7000);
      const inView = await page
        .locator('table[aria-label="Pods"] tbody tr[data-name]')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name') ?? ''));
      const [first, second, third] = [inView[10], inView[12], inView[8]].map((name) =>
        all.find((p) => p.name === name),
      );
      if (!first || !second || !third) throw new Error('no rows in view');
      // A person's text selection in a row that does not change, and that row's element marked.
      await page.evaluate((name) => {
        const tr = document.querySelector(`tr[data-name="${name}"]`);
        if (!tr) throw new Error('no row');
        (tr as unknown as { marked: boolean }).marked = true;
        getSelection()?.selectAllChildren(tr);
      }, third.name);
      const selected = await page.evaluate(() => getSelection()?.toString() ?? '');
      expect(selected).toContain(third.name);
      // Every change of the table from here on: how often it held no pod row, whether it said it was busy.
      await page.evaluate(() => {
        const table = document.querySelector('table[aria-label="Pods"]');
        const seen = { empty: 0, busy: 0, mutations: 0 };
        (window as unknown as { seen: typeof seen }).seen = seen;
        if (!table) throw new Error('no table');
        new MutationObserver(() => {
          seen.mutations++;
          if (table.querySelectorAll('tbody tr[data-name]').length === 0) seen.empty++;
          if (table.getAttribute('aria-busy') === 'true') seen.busy++;
        }).observe(table, { subtree: true, childList: true, attributes: true });
      });
      const seen = () =>
        page.evaluate(() => (window as unknown as { seen: { empty: number; busy: number; mutations: number } }).seen);
      const row = (name: string) => page.locator(`tr[data-name="${name}"]`);
      // The hub's copy changes without a live message (as when messages were dropped), then the overflow notice.
      await c.pipeline.hub.inventory.applyChanges(
        SEEDED,
        [{ ...first, resourceVersion: '2', summary: { ...first.summary, phase: 'Succeeded' } } as InventoryItem],
        [],
      );
      const table = page.locator('table[aria-label="Pods"]');
      const reread = page.waitForResponse((r) => r.url().includes('/resources?') && !r.url().includes('count=true'));
      live?.send(
        JSON.stringify({ type: 'overflow', message: 'live messages were dropped while you were slow; refetch' }),
      );
      await reread;
      await expect.poll(() => table.getAttribute('aria-busy')).not.toBe('true');
      // The rows stayed while they were read again, in the same place.
      expect((await seen()).empty).toBe(0);
      expect(await scroller.evaluate((el) => el.scrollTop)).toBe(scrollTop);
      await expect.poll(() => row(first.name).textContent()).toContain('Completed');
      // The socket dropped: the console reconnects and reads again.
      await c.pipeline.hub.inventory.applyChanges(
        SEEDED,
        [{ ...second, resourceVersion: '2', summary: { ...second.summary, phase: 'Succeeded' } } as InventoryItem],
        [],
      );
      await live?.close();
      await expect.poll(() => row(second.name).textContent()).toContain('Completed');
      const s = await seen();
      expect(s.mutations).toBeGreaterThan(0);
      expect(s.empty).toBe(0);
      // A discreet busy state while it read.
      expect(s.busy).toBeGreaterThan(0);
      expect(await scroller.evaluate((el) => el.scrollTop)).toBe(scrollTop);
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Pods, scrollable');
      // The same row element (never re-created), the selection in it kept.
      expect(
        await page.evaluate(
          (name) => (document.querySelector(`tr[data-name="${name}"]`) as unknown as { marked?: boolean }).marked,
          third.name,
        ),
      ).toBe(true);
      expect(await page.evaluate(() => getSelection()?.toString() ?? '')).toBe(selected);
      expect(await loadingRows.count()).toBe(0);
    } finally {
      await page.close();
    }
  });
  it('a restart deep in the list re-reads about a screenful (counted at the hub), the rows in place; rows above when scrolled to', async () => {
    const page = await c.context.newPage();
    let live: WebSocketRoute | undefined;
    await page.routeWebSocket(/\/api\/v1\/live/, (ws) => {
      ws.connectToServer();
      live = ws;
    });
    const { served, restore } = countServed();
    try {
      await page.goto(`${c.url}/c/${SEEDED}/pods`);
      await expect.poll(() => page.getByRole('status', { name: 'Pod count' }).textContent()).toBe('1,234 pods');
      await expect.poll(() => live !== undefined).toBe(true);
      const scroller = page.getByLabel('Pods, scrollable');
      const table = page.locator('table[aria-label="Pods"]');
      const loadingRows = page.locator('table[aria-label="Pods"] tbody td.hint');
      const inView = () =>
        page
          .locator('table[aria-label="Pods"] tbody tr[data-name]')
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name') ?? ''));
      // A pod near the top, read when the page opened, changes on the hub without a live message.
      const above = byNamespaceThenName[20];
      if (!above) throw new Error('no pod');
      await expect.poll(() => page.locator(`tr[data-name="${above.name}"]`).textContent()).not.toContain('Completed');
      // Deep: row 1,000 of 1,234, every row above it loaded on the way.
      await scroller.evaluate((el) => el.scrollTo(0, 41 * 1000));
      // Served first, then shown: "no loading rows" alone can hold before the scroll has been handled at all.
      await expect.poll(() => served.filter((s) => !s.count).reduce((n, s) => n + s.rows, 0)).toBeGreaterThan(1000);
      await expect.poll(() => loadingRows.count()).toBe(0);
      const scrollTop = await scroller.evaluate((el) => el.scrollTop);
      const before = await inView();
      expect(before).toEqual(
        byNamespaceThenName
          .slice(byNamespaceThenName.findIndex((p) => p.name === before[0]))
          .slice(0, before.length)
          .map((p) => p.name),
      );
      const changed = all.find((p) => p.name === before[15]);
      if (!changed) throw new Error('no rows in view');
      for (const p of [above, changed])
        await c.pipeline.hub.inventory.applyChanges(
          SEEDED,
          [{ ...p, resourceVersion: '3', summary: { ...p.summary, phase: 'Succeeded' } } as InventoryItem],
          [],
        );
      await page.evaluate(() => {
        const seen = { empty: 0 };
        (window as unknown as { seen: typeof seen }).seen = seen;
        const table = document.querySelector('table[aria-label="Pods"]');
        if (!table) throw new Error('no table');
        new MutationObserver(() => {
          if (table.querySelectorAll('tbody tr[data-name]').length === 0) seen.empty++;
        }).observe(table, { subtree: true, childList: true });
      });
      served.length = 0;
      live?.send(
        JSON.stringify({ type: 'overflow', message: 'live messages were dropped while you were slow; refetch' }),
      );
      await expect.poll(() => page.locator(`tr[data-name="${changed.name}"]`).textContent()).toContain('Completed');
      await expect.poll(() => table.getAttribute('aria-busy')).not.toBe('true');
      // The hub served the count and about a screenful (the rows in view, a page each side) — not the 1,000 held.
      const rows = served.filter((s) => !s.count);
      expect(served.filter((s) => s.count)).toHaveLength(1);
      expect(
        rows.every((s) => s.cursor),
        JSON.stringify(served),
      ).toBe(true);
      expect(rows.reduce((n, s) => n + s.rows, 0)).toBeLessThan(400);
      // In place: the same rows in view, the scroll position kept, never an empty table.
      expect(await inView()).toEqual(before);
      expect(await scroller.evaluate((el) => el.scrollTop)).toBe(scrollTop);
      expect((await page.evaluate(() => (window as unknown as { seen: { empty: number } }).seen)).empty).toBe(0);
      // The pod near the top was not read again yet; scrolled back there, it is: a screenful read from the hub.
      served.length = 0;
      await scroller.evaluate((el) => el.scrollTo(0, 0));
      await expect.poll(() => page.locator(`tr[data-name="${above.name}"]`).textContent()).toContain('Completed');
      expect(served.filter((s) => !s.count).reduce((n, s) => n + s.rows, 0)).toBeLessThan(400);
      expect(await loadingRows.count()).toBe(0);
    } finally {
      restore();
      await page.close();
    }
  });
  it('scrolled to the bottom and back to the top, only the rows around the view are held; released ones are read again from a cursor', async () => {
    const page = await c.context.newPage();
    // Test hooks (paged-list.ts): a margin of 200 rows above the view, and the count of rows held.
    await page.addInitScript(() => Object.assign(window, { whHeldMargin: 200, whHeld: { rows: 0, peak: 0 } }));
    const { served, restore } = countServed();
    const held = () => page.evaluate(() => (window as unknown as { whHeld: { rows: number; peak: number } }).whHeld);
    const rowsServed = () => served.filter((s) => !s.count).reduce((n, s) => n + s.rows, 0);
    try {
      const { scroller, loadingRows, inView } = await openPods(page);
      const last = byNamespaceThenName.at(-1)?.name ?? '';
      // To the bottom: every row on the way read once, only those near the view kept.
      await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await expect.poll(async () => (await inView()).at(-1)).toBe(last);
      await expect.poll(() => loadingRows.count()).toBe(0);
      const bottom = await inView();
      expect(bottom).toEqual(inOrder(bottom));
      const atBottom = await held();
      expect(atBottom.rows).toBeGreaterThan(0);
      expect(atBottom.rows).toBeLessThan(500);
      expect(atBottom.peak).toBeLessThan(PODS);
      // To the middle: released rows, read again from a cursor near them (not from the top), in place.
      served.length = 0;
      await scroller.evaluate((el) => el.scrollTo(0, 41 * 600));
      await expect.poll(() => rowsServed()).toBeGreaterThan(0);
      await expect.poll(() => loadingRows.count()).toBe(0);
      const middle = await inView();
      expect(middle.length).toBeGreaterThan(5);
      expect(middle).toEqual(inOrder(middle));
      expect(byNamespaceThenName.findIndex((p) => p.name === middle[0])).toBeGreaterThan(550);
      expect(byNamespaceThenName.findIndex((p) => p.name === middle[0])).toBeLessThan(620);
      expect(await scroller.evaluate((el) => el.scrollTop)).toBe(41 * 600);
      const reads = served.filter((s) => !s.count);
      expect(
        reads.every((s) => s.cursor),
        JSON.stringify(served),
      ).toBe(true);
      expect(rowsServed()).toBeLessThan(400);
      // To the top: the first pods again, as the hub lists them.
      await scroller.evaluate((el) => el.scrollTo(0, 0));
      await expect.poll(async () => (await inView())[0]).toBe(byNamespaceThenName[0]?.name);
      await expect.poll(() => loadingRows.count()).toBe(0);
      const top = await inView();
      expect(top).toEqual(byNamespaceThenName.slice(0, top.length).map((p) => p.name));
      // And back to the bottom: from a cursor near it, not every row between read again.
      served.length = 0;
      await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await expect.poll(async () => (await inView()).at(-1)).toBe(last);
      await expect.poll(() => loadingRows.count()).toBe(0);
      expect(served.filter((s) => !s.count).every((s) => s.cursor)).toBe(true);
      expect(rowsServed()).toBeLessThan(600);
      const end = await held();
      expect(end.rows).toBeLessThan(500);
      expect(end.peak).toBeLessThan(PODS);
    } finally {
      restore();
      await page.close();
    }
  });

  it('the scrollbar dragged to the bottom reads the rows there at their position: a request or two, the hub’s rows in order', async () => {
    const page = await c.context.newPage();
    // Test hook (paged-list.ts): further than 300 rows below every known cursor counts as far (2,000 by default).
    await page.addInitScript(() => Object.assign(window, { whJump: 300 }));
    const { served, restore } = countServed();
    const reads = () => served.filter((s) => !s.count);
    const rowsServed = () => reads().reduce((n, s) => n + s.rows, 0);
    try {
      const { scroller, loadingRows, inView } = await openPods(page);
      await expect.poll(() => loadingRows.count()).toBe(0);
      const last = byNamespaceThenName.at(-1)?.name ?? '';
      served.length = 0;
      await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await expect.poll(async () => (await inView()).at(-1)).toBe(last);
      await expect.poll(() => loadingRows.count()).toBe(0);
      const bottom = await inView();
      expect(bottom.length).toBeGreaterThan(5);
      expect(bottom).toEqual(inOrder(bottom));
      // A read at the position near the bottom (one or two requests), not the ~1,100 rows above in pages.
      expect(reads().length, JSON.stringify(served)).toBeLessThanOrEqual(2);
      // (A page the list had out before the drag may be counted first: served is noted as answers come.)
      expect(reads().find((r) => r.at !== undefined)?.at, JSON.stringify(served)).toBeGreaterThan(1000);
      expect(rowsServed()).toBeLessThan(400);
      /** Scrolled to row `row` (41 px a row): the hub served some rows, none loading; the first row in view's index, the rows the hub's in order. */
      const scrolledTo = async (row: number): Promise<number> => {
        served.length = 0;
        await scroller.evaluate((el, top) => el.scrollTo(0, top), 41 * row);
        await expect.poll(() => rowsServed()).toBeGreaterThan(0);
        await expect.poll(() => loadingRows.count()).toBe(0);
        const names = await inView();
        expect(names).toEqual(inOrder(names));
        return indexOf(names[0]);
      };
      // Up to the middle, never read: the same, at its position.
      const middle = await scrolledTo(600);
      expect(middle).toBeGreaterThan(550);
      expect(middle).toBeLessThan(620);
      expect(rowsServed()).toBeLessThan(400);
      // A little further up (rows just above, never read): read too, in place.
      const above = await scrolledTo(450);
      expect(above).toBeGreaterThan(400);
      expect(above).toBeLessThan(470);
    } finally {
      restore();
      await page.close();
    }
  });

  it('scrolled up by a wheel after the scrollbar was dragged to the bottom: the rows above are read ahead, never a busy table or a loading row in view', async () => {
    const page = await c.context.newPage();
    // Test hooks (paged-list.ts): a jump beyond 300 rows (2,000 by default), a margin of 200 held rows (2,000).
    await page.addInitScript(() =>
      Object.assign(window, { whJump: 300, whHeldMargin: 200, whHeld: { rows: 0, peak: 0 } }),
    );
    const { served, restore } = countServed();
    const reads = () => served.filter((s) => !s.count);
    try {
      const { scroller, loadingRows, inView } = await openPods(page);
      await expect.poll(() => loadingRows.count()).toBe(0);
      const last = byNamespaceThenName.at(-1)?.name ?? '';
      await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await expect.poll(async () => (await inView()).at(-1)).toBe(last);
      await expect.poll(() => loadingRows.count()).toBe(0);
      served.length = 0;
      // From here on: whether the table ever said it was busy (a re-read of what is shown).
      await page.evaluate(() => {
        const table = document.querySelector('table[aria-label="Pods"]');
        if (!table) throw new Error('no table');
        const seen = { busy: 0 };
        (window as unknown as { seen: typeof seen }).seen = seen;
        new MutationObserver(() => {
          if (table.getAttribute('aria-busy') === 'true') seen.busy++;
        }).observe(table, { attributes: true });
      });
      // Up 1,000 rows, 20 rows (41 px each) a step, each step's rows in before the next: a loading row in
      // view at a step is a read the list did not make ahead.
      let missing = 0;
      const top = await scroller.evaluate((el) => el.scrollTop);
      for (let y = top - 20 * 41; y > top - 1_000 * 41; y -= 20 * 41) {
        await scroller.evaluate((el, to) => el.scrollTo(0, to), y);
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        if ((await loadingRows.count()) > 0) missing++;
        await expect.poll(() => loadingRows.count()).toBe(0);
        const names = await inView();
        expect(names).toEqual(inOrder(names));
      }
      expect(
        await page.evaluate(() => (window as unknown as { seen: { busy: number } }).seen.busy),
        JSON.stringify(served),
      ).toBe(0);
      // A step may land before the read ahead it set off is in; not most of them.
      expect(missing).toBeLessThanOrEqual(5);
      // A few reads of up to 500 rows (ABOVE) ahead, not one per screenful.
      expect(reads().length, JSON.stringify(served)).toBeLessThanOrEqual(5);
      const held = await page.evaluate(() => (window as unknown as { whHeld: { rows: number } }).whHeld.rows);
      expect(held).toBeLessThan(1_000);
    } finally {
      restore();
      await page.close();
    }
  });
});
