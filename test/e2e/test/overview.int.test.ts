// Across clusters (issue 17): the landing page lists the open insights of every
// cluster the user can see, next to the unhealthy workloads — here two clusters,
// each with its own real agent on the local control plane, both reporting the
// crash loop; a namespace-scoped viewer of one cluster sees only that cluster's row.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@wheelhouse/agent';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { connectCluster } from '../../../packages/hub/test/support/hub-with-agent.js';
import { addUser } from '../../../packages/hub/test/support/identity.js';
import { openConsole, screenshotOnFailure, signIn, type Console } from '../src/console.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);

const crashLooping: k8s.V1Deployment = {
  metadata: { name: 'spinner' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'spinner' } },
    template: {
      metadata: { labels: { app: 'spinner', 'wheelhouse.dev/simulate': 'crashloop' } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'registry.local/spinner:1' }] },
    },
  },
};

describe('console: what is broken now, across clusters', () => {
  let c: Console;
  let ns: string;
  let other: string;
  let second: string;
  let agent2: Agent;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-overview');
    other = await testNamespace('e2e-overview-other');
    for (const namespace of [ns, other]) await apps.createNamespacedDeployment({ namespace, body: crashLooping });
    c = await openConsole({ agent: { insightsDebounceMs: 100 } });
    second = `${c.cluster}-b`;
    ({ agent: agent2 } = await connectCluster(c.pipeline.hub, c.url, second, { agent: { insightsDebounceMs: 100 } }));
  });
  afterAll(async () => {
    await agent2.stop();
    await c.close();
  });

  const rows = (page: Console['page'], namespace = ns) =>
    page.locator('table[aria-label="Open insights"] tbody tr[data-check="crash-loop"]', {
      hasText: `${namespace}/spinner-`,
    });
  const clustersOf = (page: Console['page'], namespace = ns) =>
    rows(page, namespace).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-cluster')));

  it('lists the open insights of every cluster, each linking to the object', async () => {
    const { page } = c;
    await page.goto(`${c.url}/`);
    const table = page.getByRole('table', { name: 'Open insights' });
    await table.waitFor();
    // The page refreshes every 15 s; reload until both agents have reported.
    await eventually(
      'both clusters list the crash loops of both namespaces',
      async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        for (const namespace of [ns, other]) {
          const clusters = await clustersOf(page, namespace);
          if (!clusters.includes(c.cluster) || !clusters.includes(second)) return false;
        }
        return true;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    const mine = rows(page)
      .and(page.locator(`[data-cluster="${c.cluster}"]`))
      .first();
    await expect.poll(() => mine.textContent()).toMatch(new RegExp(`Pod ${ns}/spinner-`));
    await c.screenshot('overview-insights');
    await mine.getByRole('link', { name: new RegExp(`${ns}/spinner-`) }).click();
    await page.waitForURL(new RegExp(`/c/${c.cluster}/.*spinner-`));
  });

  it("shows a namespace-scoped viewer of one cluster only that cluster's insights", async () => {
    const viewer = await addUser(c.pipeline.hub, { bindings: [{ role: 'viewer', cluster: c.cluster, namespace: ns }] });
    const context = await c.browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, c.url, viewer);
      await page.getByRole('table', { name: 'Open insights' }).waitFor();
      await expect.poll(async () => rows(page).count()).toBeGreaterThan(0);
      expect(new Set(await clustersOf(page))).toEqual(new Set([c.cluster]));
      // The same crash loop in another namespace (the admin saw it in both clusters) is not shown.
      expect(await rows(page, other).count()).toBe(0);
      expect(
        await page
          .locator('table[aria-label="Open insights"] tbody tr[data-check]')
          .evaluateAll((trs, n) => trs.filter((tr) => !tr.textContent.includes(`${n}/`)).length, ns),
      ).toBe(0);
    } finally {
      await context.close();
    }
  });
});
