// Issue 18, the console's start-up: index.html's preload (packages/web/src/start/preload.ts) asks for
// the session and the opened page's first requests at once, and the page uses those answers instead of
// asking again — with the filters and sort in the address. With an expired session the console shows
// the sign-in form and none of the preloaded data; signed in again, the page asks afresh and shows it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { InventoryItem } from '@wheelhouse/protocol';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';
import { seedCluster, seededPod } from '../src/seeded-items.js';
import { liveReads } from '../src/live-reads.js';

const SEEDED = 'seeded-start';
const PODS = 300;

function pod(i: number): InventoryItem {
  return seededPod({
    namespace: `shop-${i % 2}`,
    name: `api-${String(i).padStart(3, '0')}`,
    uid: `uid-${i}`,
    createdAt: Date.now() - i * 60_000,
    summary: { phase: i % 3 === 0 ? 'Failed' : 'Running' },
  });
}

/** The page's requests and responses to the API, in the order the browser saw them. */
function apiTraffic(page: Page): string[] {
  const seen: string[] = [];
  const path = (u: string): string => u.replace(/^https?:\/\/[^/]+/, '');
  page.on('request', (r) => {
    if (path(r.url()).startsWith('/api/')) seen.push(`ask ${path(r.url())}`);
  });
  page.on('response', (r) => {
    if (path(r.url()).startsWith('/api/')) seen.push(`got ${path(r.url())} ${r.status()}`);
  });
  return seen;
}

describe('console: the start-up preload', () => {
  let c: Console;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    c = await openConsole({ bindings: [{ role: 'viewer' }] });
    await seedCluster(c.pipeline.hub, SEEDED, { Pod: Array.from({ length: PODS }, (_, i) => pod(i)) });
  });
  afterAll(async () => c.close());

  const rows = (page: Page) => page.locator('table[aria-label="Pods"] tbody tr[data-name]');

  it('asks the session and the Pods page’s first page (filters and sort from the address) at once, each once', async () => {
    const page = await c.context.newPage();
    const traffic = apiTraffic(page);
    // Failed pods by name, last first: api-297, api-294, …
    await page.goto(`${c.url}/c/${SEEDED}/pods?status=Failed&sort=name&order=desc`);
    await expect.poll(() => rows(page).first().getAttribute('data-name')).toBe('api-297');
    await expect.poll(() => page.getByRole('status', { name: 'Pod count' }).textContent()).toBe('100 pods');
    const firstPage = traffic.filter((t) => t.startsWith('ask ') && t.includes('kind=Pod') && t.includes('limit=50'));
    expect(firstPage).toEqual([
      `ask /api/v1/clusters/${SEEDED}/resources?kind=Pod&status=Failed&sort=name&order=desc&limit=50`,
    ]);
    const count = traffic.filter((t) => t.startsWith('ask ') && t.includes('count=true'));
    expect(count).toHaveLength(1);
    // Both left before the session check answered: not one after the other.
    const meAnswered = traffic.findIndex((t) => t.startsWith('got /api/v1/me '));
    expect(meAnswered).toBeGreaterThan(-1);
    expect(traffic.indexOf(firstPage[0] ?? '')).toBeLessThan(meAnswered);
    expect(traffic.indexOf(count[0] ?? '')).toBeLessThan(meAnswered);
    await page.close();
  });

  it('asks the Nodes page’s first nodes, their pod counts with them, before the session check answers, once each', async () => {
    const page = await c.context.newPage();
    const traffic = apiTraffic(page);
    const live = liveReads(page);
    await page.goto(`${c.url}/c/${c.cluster}/nodes`);
    await expect
      .poll(() => page.locator('table[aria-label="Nodes"] td[data-col="pods"]').first().textContent())
      .toMatch(/^\d/);
    // The node list's count and first page, each node with its pods counted (paged by the hub, not the whole list).
    const nodes = await live.split((u) => u.searchParams.get('kind') === 'Node' || u.pathname.endsWith('/nodes'), 2);
    expect(nodes.first).toEqual([
      `/api/v1/clusters/${c.cluster}/nodes?sort=name&order=asc&count=true&limit=1`,
      `/api/v1/clusters/${c.cluster}/nodes?sort=name&order=asc&limit=50`,
    ]);
    // The real cluster changes all the time (node heartbeats, the other test file's pods): listed once more
    // (count and rows in one request) only when those answers were older than the live socket's subscription.
    expect(nodes.again, nodes.why).toEqual(
      nodes.stale ? [`/api/v1/clusters/${c.cluster}/nodes?sort=name&order=asc&count=true&limit=100`] : [],
    );
    const meAnswered = traffic.findIndex((t) => t.startsWith('got /api/v1/me '));
    for (const ask of nodes.first) expect(traffic.indexOf(`ask ${ask}`)).toBeLessThan(meAnswered);
    // No whole-cluster pod counts: a recount (pods changing meanwhile) names the nodes in view.
    for (const ask of traffic.filter((t) => t.includes('/pods-by-node'))) expect(ask).toContain('pods-by-node?nodes=');
    await page.close();
  });

  it('with an expired session shows the sign-in form and no preloaded pods; signed in, asks afresh and shows them', async () => {
    const context = await c.browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addCookies([{ name: 'wh_session', value: 'expired-or-revoked', url: c.url }]);
    const page = await context.newPage();
    const traffic = apiTraffic(page);
    await page.goto(`${c.url}/c/${SEEDED}/pods?sort=name`);
    await page.getByLabel('Username').waitFor();
    // The preload asked (and the hub refused it, as it refuses the session): nothing of it is shown.
    expect(traffic).toContain(`got /api/v1/clusters/${SEEDED}/resources?kind=Pod&sort=name&order=asc&limit=50 401`);
    expect(await rows(page).count()).toBe(0);
    await page.getByLabel('Username').fill(c.user.username);
    await page.getByLabel('Password').fill(c.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where they were, with rows from a request of its own (the refused answer is not reused).
    await expect.poll(() => rows(page).first().getAttribute('data-name')).toBe('api-000');
    expect(new URL(page.url()).pathname).toBe(`/c/${SEEDED}/pods`);
    expect(traffic.filter((t) => t.includes('kind=Pod&sort=name&order=asc&limit=50 200'))).toHaveLength(1);
    await context.close();
  });
});
