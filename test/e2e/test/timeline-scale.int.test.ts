// Issue 18: a workload's Timeline tab as a person uses it when the workload
// has more events than the console loads. A second cluster in the same hub is
// seeded (store rows as the agent writes them) with a crash-looping
// Deployment: 6,000 events of its pods in the last 50 minutes, more than the
// 5,000 the tab loads. The newest rows show, the type chips and the total
// count every event of the range (the hub counts them), a chip hides its type
// from the table and the count, and the note says how many are shown; a crash
// loop cut by the events loaded says "or more" until scrolling loads the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryItem, TimelineEventInput } from '@wheelhouse/protocol';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';
import { seededPod } from '../src/seeded-items.js';

const SEEDED = 'seeded-history';
const EVENTS = 6000;
const now = Date.now();

/** Event i of api's pods, oldest first: restarts (half), BackOff Events, phase changes. */
function event(i: number): TimelineEventInput {
  const pod = `api-7c9f8-${i % 6}`;
  const base = {
    id: `seed:${i}`,
    time: now - 50 * 60_000 + i * 400,
    kind: 'Pod',
    namespace: 'shop',
    name: pod,
    owner: { kind: 'Deployment', name: 'api' },
  };
  if (i % 2 === 0)
    return {
      ...base,
      type: 'container-restart',
      severity: 'error',
      summary: `Container api of ${pod} restarted`,
      data: { container: 'api', restartCount: i, reason: 'Error', exitCode: 137, terminationReason: 'OOMKilled' },
    };
  if (i % 3 === 0)
    return {
      ...base,
      type: 'pod-phase',
      severity: 'warning',
      summary: `Pod ${pod}: Running/Ready → Running/NotReady (${i})`,
      data: { from: 'Running/Ready', to: 'Running/NotReady', phase: 'Running', ready: false, nodeName: 'node-1' },
    };
  return {
    ...base,
    type: 'k8s-event',
    severity: 'warning',
    summary: `BackOff ${i}: Back-off restarting failed container api in pod ${pod}`,
    data: {
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
      count: 1,
      source: 'kubelet',
      eventType: 'Warning',
    },
  };
}
const all = Array.from({ length: EVENTS }, (_, i) => event(i));
const count = (type: string) => all.filter((e) => e.type === type).length;

const deployment: InventoryItem = {
  kind: 'Deployment',
  namespace: 'shop',
  name: 'api',
  uid: 'uid-api',
  resourceVersion: '1',
  createdAt: now - 50 * 60_000,
  labels: { app: 'api' },
  ownerRefs: [],
  summary: {
    replicas: 6,
    readyReplicas: 0,
    availableReplicas: 0,
    updatedReplicas: 6,
    paused: false,
    selector: { app: 'api' },
    images: ['shop/api:1'],
    conditions: { Available: 'False' },
    spec: {},
  },
};

const meta = (kind: string, name: string, owner?: { kind: string; name: string }, namespace = 'shop') => ({
  kind,
  namespace,
  name,
  uid: `uid-${namespace}-${name}`,
  resourceVersion: '1',
  createdAt: now - 10 * 60_000,
  labels: {},
  ownerRefs: owner ? [{ ...owner, uid: `uid-${owner.name}` }] : [],
});
const rsSummary = { replicas: 1, readyReplicas: 1, availableReplicas: 1, images: [] };
/** api's ReplicaSet and a quiet pod of it (no event in the range), and a pod of another workload. */
const inventory: Record<string, InventoryItem[]> = {
  ReplicaSet: [
    { ...meta('ReplicaSet', 'api-7c9f8', { kind: 'Deployment', name: 'api' }), summary: rsSummary },
    { ...meta('ReplicaSet', 'web-5d9c', { kind: 'Deployment', name: 'web' }), summary: rsSummary },
  ] as InventoryItem[],
  Pod: [
    seededPod({ ...meta('Pod', 'api-7c9f8-quiet', { kind: 'ReplicaSet', name: 'api-7c9f8' }) }),
    seededPod({ ...meta('Pod', 'web-5d9c-quiet', { kind: 'ReplicaSet', name: 'web-5d9c' }) }),
  ] as InventoryItem[],
};

describe("console: a workload's timeline with more events than it loads", () => {
  let c: Console;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    c = await openConsole({ bindings: [{ role: 'viewer' }] });
    await c.pipeline.hub.clusters.create(SEEDED, 'test');
    await c.pipeline.hub.inventory.applySnapshotChunk(SEEDED, 'Deployment', 's1', [deployment], true);
    for (const [kind, items] of Object.entries(inventory))
      await c.pipeline.hub.inventory.applySnapshotChunk(SEEDED, kind, 's1', items, true);
    for (let i = 0; i < EVENTS; i += 1000) await c.pipeline.hub.timeline.insert(SEEDED, all.slice(i, i + 1000));
  });
  afterAll(async () => c.close());

  const table = () => c.page.getByRole('table', { name: 'Timeline events' });
  const total = () => c.page.locator('.tl-toolbar .hint[aria-live]');
  const chip = (type: string) => c.page.locator('label.tl-chip', { hasText: type });

  it('shows the newest events, counts every event of the range, and a chip filters table and count', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${SEEDED}/w/Deployment/shop/api?tab=timeline`);
    // The newest event first (a BackOff Event: the last seeded, 5,999, is odd and not a multiple of 3).
    await expect.poll(() => table().locator('tbody tr[data-seq]').first().textContent()).toContain('BackOff 5999');
    await expect.poll(() => total().textContent()).toBe('6,000 of 6,000 events');
    await expect
      .poll(() => page.getByText('The table shows the newest 5,000 of the 6,000 events in this range').isVisible())
      .toBe(true);
    // The chart draws the 1,000 events not loaded (the oldest) as bars counted by the hub, in their lanes
    // (restarts and Kubernetes events; phase changes are pod bands, drawn from loaded events only).
    const notLoaded = all.slice(0, EVENTS - 5000).filter((e) => e.type !== 'pod-phase').length;
    await expect
      .poll(async () => {
        const ns = await page
          .locator('svg rect.tl-density')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-n')));
        return ns.reduce((sum, n) => sum + Number(n), 0);
      })
      .toBe(notLoaded);
    // The chips count the whole range, not only the loaded 5,000.
    expect(
      await chip('container-restart')
        .getByLabel(/events$/)
        .textContent(),
    ).toBe(String(count('container-restart')));
    expect(
      await chip('k8s-event')
        .getByLabel(/events$/)
        .textContent(),
    ).toBe(String(count('k8s-event')));
    await chip('k8s-event').getByRole('checkbox').uncheck();
    const left = EVENTS - count('k8s-event');
    await expect.poll(() => total().textContent()).toBe(`${left.toLocaleString('en-US')} of 6,000 events`);
    await expect.poll(() => table().locator('tbody tr[data-type="k8s-event"]').count()).toBe(0);
    expect(await table().locator('tbody tr[data-type="pod-phase"]').count()).toBeGreaterThan(0);
    // The bars drop the hidden type too; a click on one zooms to its moment, where its events load.
    const restartsNotLoaded = all.slice(0, EVENTS - 5000).filter((e) => e.type === 'container-restart').length;
    await expect
      .poll(async () => {
        const ns = await page
          .locator('svg rect.tl-density')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-n')));
        return ns.reduce((sum, n) => sum + Number(n), 0);
      })
      .toBe(restartsNotLoaded);
    await page.locator('svg rect.tl-density').first().click();
    await expect.poll(() => new URL(page.url()).searchParams.get('zoom')).toMatch(/^\d+-\d+$/);
    await expect.poll(() => table().locator('tbody tr[data-seq]').count()).toBeGreaterThan(0);
  });

  it('renders the rows in view only, and scrolling to the end loads the older events from the hub', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${SEEDED}/w/Deployment/shop/api?tab=timeline`);
    await expect.poll(() => table().locator('tbody tr[data-seq]').first().textContent()).toContain('BackOff 5999');
    await expect.poll(() => total().textContent()).toBe('6,000 of 6,000 events');
    // 5,000 events loaded, a few dozen rows in the page.
    expect(await table().locator('tbody tr[data-seq]').count()).toBeLessThan(100);
    // Each pod's crash loop (1,000 restarts, one every 2.4 s) goes on past the events loaded: its row
    // says so rather than counting only the loaded part as all of it.
    const burst = table().locator('tbody tr[data-burst]').first();
    await expect.poll(() => burst.getAttribute('data-burst-open')).toBe('true');
    expect(Number(await burst.getAttribute('data-burst'))).toBeLessThan(1000);
    expect(await burst.textContent()).toMatch(/restarted \d+× or more \(older events not loaded\)/);
    const scroller = page.locator('.tl-table-wrap');
    // The oldest k8s-event (1) is beyond the 5,000 loaded: scrolling to the end pages to it.
    await expect
      .poll(
        async () => {
          await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
          return table().locator('tbody tr', { hasText: 'BackOff 1:' }).count();
        },
        { timeout: 30_000, interval: 300 },
      )
      .toBe(1);
    expect(await table().locator('tbody tr[data-seq]').count()).toBeLessThan(100);
    // All loaded now: no note, no bars for events not loaded.
    await expect.poll(() => page.getByText('The table shows the newest').count()).toBe(0);
    expect(await page.locator('svg rect.tl-density').count()).toBe(0);
    // And each crash loop is one closed burst of its 1,000 restarts.
    await scroller.evaluate((el) => el.scrollTo(0, 0));
    await expect.poll(() => burst.getAttribute('data-burst')).toBe('1000');
    expect(await burst.getAttribute('data-burst-open')).toBeNull();
    expect(await burst.textContent()).toMatch(/restarted 1000×, OOMKilled/);
  });

  it("draws the workload's quiet pods without waiting for the cluster's whole pod list", async () => {
    const { page } = c;
    // The cluster's whole lists (what the tab read before: every pod of the cluster) never answer here.
    const whole = (url: URL) =>
      ['Pod', 'ReplicaSet', 'Job'].includes(url.searchParams.get('kind') ?? '') &&
      !url.searchParams.has('owner') &&
      !url.searchParams.has('name');
    const asked: string[] = [];
    await page.route(
      (url) => url.pathname.endsWith(`/clusters/${SEEDED}/resources`) && whole(url),
      (route) => {
        asked.push(route.request().url());
        // Held: left unanswered until the page goes.
      },
    );
    await page.goto(`${c.url}/c/${SEEDED}/w/Deployment/shop/api?tab=timeline`);
    const lane = (pod: string) => page.locator('svg text.tl-label.pod title', { hasText: `Pod shop/${pod}` });
    await expect.poll(() => lane('api-7c9f8-quiet').count()).toBe(1);
    expect(await lane('web-5d9c-quiet').count()).toBe(0);
    await page.unrouteAll({ behavior: 'ignoreErrors' });
  });
});
