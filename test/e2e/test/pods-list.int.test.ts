// Issue 18: the Pods page as a person uses it on a big cluster — the hub
// pages, sorts and filters; the table is virtual. A second cluster in the
// same hub is seeded with 1,234 pods (store rows as the agent writes them):
// the count is right, only a screenful of rows is in the DOM, scrolling to the
// end reaches the last pod, the filter shows the match, the status filter
// counts right, a header sorts either way. On the real cluster, a pod created
// and deleted shows up in and leaves the list live.
import * as k8s from '@kubernetes/client-node';
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
});
