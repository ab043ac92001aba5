// Issue 18, docs/console.md "First reads and the live feed": a page's first
// reads go out before its live socket is subscribed, so a change the hub
// stores between a read's answer and the subscription reaches the page by
// neither — the page showed it stale until the object's next change or a
// reload. The race, made deterministic: the page's live socket is held (not
// connected to the hub) while the pod changes after the page's read answered,
// then released; the page must show the change without a reload. In a quiet
// cluster the read is asked once: its answer's live position is as new as the
// subscription's.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, WebSocketRoute } from 'playwright-core';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';
import { seedCluster, seededPod } from '../src/seeded-items.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const SEEDED = 'seeded-live-first-reads';

const bareP = (name: string): k8s.V1Pod => ({
  metadata: { name, labels: { app: 'live-first-reads' } },
  spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: 'shop/api:1' }] },
});

/**
 * Holds the page's live sockets: the page sees them open, the hub does not see them at all, until
 * release() connects them (and resolves once the hub's `subscribed` message reached the page).
 */
async function holdLiveSockets(page: Page): Promise<{ release: () => Promise<void> }> {
  const held: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/api\/v1\/live\?/, (ws) => {
    held.push(ws);
  });
  return {
    release: async () => {
      await expect.poll(() => held.length, { message: 'the page opened its live socket' }).toBeGreaterThan(0);
      await Promise.all(
        held.map(
          (ws) =>
            new Promise<void>((subscribed) => {
              const hub = ws.connectToServer();
              hub.onMessage((m) => {
                ws.send(m);
                if (typeof m === 'string' && m.includes('"type":"subscribed"')) subscribed();
              });
              ws.onMessage((m) => hub.send(m));
            }),
        ),
      );
    },
  };
}

/** The page's reads of one object by name (the pod page's read, preloaded or its own). */
function podReads(page: Page, name: string): string[] {
  const asked: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith('/resources') && u.searchParams.get('name') === name) asked.push(r.url());
  });
  return asked;
}

describe('console: a change between a page’s first read and its live subscription', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-livepos');
    c = await openConsole({ bindings: [{ role: 'viewer' }] });
    await seedCluster(c.pipeline.hub, SEEDED, { Pod: [seededPod({ namespace: 'shop', name: 'quiet-1' })] });
  });
  afterAll(async () => c.close());

  const inHub = (name: string) => c.pipeline.hub.inventory.get(c.cluster, 'Pod', ns, name);

  it("shows a pod deleted after its page's read answered and before the live socket subscribed, without a reload", async () => {
    await core.createNamespacedPod({ namespace: ns, body: bareP('gone-soon') });
    await eventually('the pod in the hub', async () => (await inHub('gone-soon')) !== null);
    const page = await c.context.newPage();
    const reads = podReads(page, 'gone-soon');
    const live = await holdLiveSockets(page);
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/gone-soon`);
    // The read answered: the pod's page.
    await page.getByRole('link', { name: 'Shell link' }).waitFor();
    // Deleted now: stored and published by the hub while the page's socket is not subscribed.
    await core.deleteNamespacedPod({ namespace: ns, name: 'gone-soon', gracePeriodSeconds: 0 });
    await eventually('the deletion in the hub', async () => (await inHub('gone-soon')) === null);
    await live.release();
    await expect
      .poll(() => page.locator('main').textContent(), { timeout: 15_000 })
      .toContain('This pod does not exist (any more).');
    // Asked again once: its answer was older than the subscription.
    expect(reads).toHaveLength(2);
    await page.close();
  });

  it('lists a pod created after the Pods page’s first page answered and before the live socket subscribed', async () => {
    await core.createNamespacedPod({ namespace: ns, body: bareP('early') });
    await eventually('the first pod in the hub', async () => (await inHub('early')) !== null);
    const page = await c.context.newPage();
    const live = await holdLiveSockets(page);
    await page.goto(`${c.url}/c/${c.cluster}/pods?namespace=${ns}`);
    const rows = page.locator('table[aria-label="Pods"] tbody tr[data-name]');
    await expect
      .poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name'))))
      .toEqual(['early']);
    await core.createNamespacedPod({ namespace: ns, body: bareP('late') });
    await eventually('the new pod in the hub', async () => (await inHub('late')) !== null);
    await live.release();
    await expect
      .poll(() => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-name'))), { timeout: 15_000 })
      .toEqual(['early', 'late']);
    await page.close();
  });

  it('offers a namespace created after the Pods page listed the namespaces and before the live socket subscribed', async () => {
    const page = await c.context.newPage();
    const live = await holdLiveSockets(page);
    await page.goto(`${c.url}/c/${c.cluster}/pods`);
    const options = () => page.getByRole('combobox', { name: 'Namespace' }).locator('option').allTextContents();
    await expect.poll(options).toContain(ns);
    const later = await testNamespace('e2e-livepos-later');
    await eventually(
      'the namespace in the hub',
      async () => (await c.pipeline.hub.inventory.get(c.cluster, 'Namespace', '', later)) !== null,
    );
    expect(await options()).not.toContain(later);
    await live.release();
    await expect.poll(options, { timeout: 15_000 }).toContain(later);
    await page.close();
  });

  it('asks the read once when nothing was published between it and the subscription', async () => {
    const page = await c.context.newPage();
    const reads = podReads(page, 'quiet-1');
    const live = await holdLiveSockets(page);
    await page.goto(`${c.url}/c/${SEEDED}/pods/shop/quiet-1`);
    await page.getByRole('link', { name: 'Shell link' }).waitFor();
    await live.release();
    // Time for a second read to go out, were one asked.
    await page.waitForTimeout(1500);
    expect(reads).toHaveLength(1);
    await page.close();
  });
});
