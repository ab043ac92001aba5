// Issue 18: the top bar's "Search objects" box asks the hub (GET …/search?q=)
// instead of listing every object of 14 kinds into the browser. On the real
// cluster a Deployment created through the API server is found by typing part
// of its name and opened with the keyboard; in a second cluster of the same hub
// seeded with 5,000 pods, one pod is found by a word inside its name, alone or
// beside a namespace word. No page of a whole kind (`/resources?kind=…&limit=1000`) is
// ever asked for, and a search the hub refuses shows its error.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';
import { seededPod } from '../src/seeded-items.js';

const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
const SEEDED = 'seeded-search';
const PODS = 5000;

describe('console: the global search asks the hub', () => {
  let c: Console;
  let ns: string;
  const name = `finder-${randomBytes(3).toString('hex')}`;
  /** Requests for a kind's whole list, as the old in-browser search made (and searches sent). */
  const wholeKind: string[] = [];
  const searches: string[] = [];
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-search');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'app', image: 'shop/finder:1' }] },
          },
        },
      },
    });
    c = await openConsole({ bindings: [{ role: 'viewer' }] });
    await c.pipeline.hub.clusters.create(SEEDED, 'test');
    const pods = Array.from({ length: PODS }, (_, i) =>
      seededPod({
        namespace: `team-${i % 5}`,
        name: i === 4321 ? 'shop-needle-7d9' : `api-${String(i).padStart(4, '0')}`,
        uid: `search-${i}`,
      }),
    );
    await c.pipeline.hub.inventory.applySnapshotChunk(SEEDED, 'Pod', 's1', pods, true);
    c.page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.endsWith('/search')) searches.push(r.url());
      // A kind's list page as the old search fetched it: kind and limit=1000 only (and a cursor).
      const keys = [...u.searchParams.keys()].filter((k) => k !== 'cursor').sort();
      if (u.pathname.endsWith('/resources') && keys.join() === 'kind,limit' && u.searchParams.get('limit') === '1000')
        wholeKind.push(r.url());
    });
  });
  afterAll(async () => c.close());

  const box = () => c.page.getByRole('combobox', { name: 'Search objects' });

  it('finds a Deployment of the real cluster by part of its name, and Enter opens it', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/workloads`);
    // What the page itself lists (its namespace filter) is not the search's.
    await page.waitForLoadState('networkidle');
    wholeKind.length = 0;
    await box().focus();
    // The agent reports the new Deployment a moment after it was created: search until it is there.
    await expect
      .poll(
        async () => {
          await box().fill('');
          await page.keyboard.type(`deploy ${name.slice(0, 9)}`);
          return page
            .getByRole('option', { name: new RegExp(`Deployment.*${name}`) })
            .first()
            .waitFor({ timeout: 3000 })
            .then(
              () => true,
              () => false,
            );
        },
        { timeout: 60_000 },
      )
      .toBe(true);
    expect(searches.length).toBeGreaterThan(0);
    expect(wholeKind).toEqual([]);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Deployment ${ns}/${name}` }).waitFor();
  }, 120_000);

  it('finds one pod among 5,000 by a word inside its name, with or without a namespace word, without listing the pods', async () => {
    const { page } = c;
    searches.length = 0;
    await page.goto(`${c.url}/c/${SEEDED}/workloads`);
    await page.waitForLoadState('networkidle');
    wholeKind.length = 0;
    await box().fill('');
    await box().pressSequentially('needle team-1');
    const results = page.getByRole('listbox', { name: 'Search results' });
    await expect.poll(() => results.textContent()).toContain('team-1/shop-needle-7d9');
    expect(await results.getByRole('option').count()).toBe(1);
    // A namespace it is not in finds nothing.
    await box().fill('needle team-2');
    await expect.poll(() => results.textContent()).toContain('Nothing matches');
    // Typing is debounced: a search per pause, not per keystroke (13 typed, then one fill).
    expect(searches.length).toBeLessThanOrEqual(4);
    expect(wholeKind).toEqual([]);
    // The word alone, only inside the name: the hub's "contains" pass over the pods' names.
    await box().fill('needle');
    await page.getByRole('option', { name: /shop-needle-7d9/ }).waitFor();
    expect(await results.getByRole('option').count()).toBe(1);
    await box().press('ArrowDown');
    await box().press('Enter');
    await page.waitForURL(/\/pods\/team-1\/shop-needle-7d9/);
  });

  it('shows the error when the hub refuses a search', async () => {
    const { page } = c;
    await box().fill('a b c d e f g h i');
    const alert = page.getByRole('listbox', { name: 'Search results' }).getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/Search failed: .*querystring\.q.*at most 8 words/);
  });
});
