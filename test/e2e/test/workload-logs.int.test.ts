// A workload's Logs tab in Chromium against the real cluster: every pod's log
// merged and tagged by pod, a rollout's new pods joining while the page
// follows, and filtering by pod and text hiding lines without losing them.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendContainerLog } from '@wheelhouse/test-cluster';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);

describe('console: whole-workload logs', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  async function runningPods(): Promise<string[]> {
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=orders' });
    return pods.items
      .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata?.name ?? '')
      .sort();
  }

  beforeAll(async () => {
    ns = await testNamespace('e2e-wlog');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'orders' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'orders' } },
          template: {
            metadata: { labels: { app: 'orders' } },
            spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'shop/orders:1.0' }] },
          },
        },
      },
    });
    await eventually('orders ready', async () => (await runningPods()).length === 2);
    c = await openConsole({ bindings: [{ role: 'viewer', namespace: ns }] });
  });
  afterAll(() => c.close());

  it('merges the pods, follows a rollout, filters by pod and text without losing lines', async () => {
    const { page } = c;
    const before = await runningPods();
    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/orders?tab=logs`);
    const log = page.getByRole('log', { name: 'Logs of Deployment orders' });
    const status = page.getByRole('group', { name: 'Log options' }).getByRole('status');
    await expect.poll(() => status.textContent()).toMatch(/following/);
    // Each pod's last line: both Kubernetes streams are open.
    for (const pod of before) await expect.poll(() => log.textContent()).toContain(`${pod}/app`);

    const m1 = `e2e-before-${Date.now()}`;
    await appendContainerLog([m1]);
    for (const pod of before)
      await expect.poll(() => log.getByText(`${pod}/app ${m1}`, { exact: true }).count()).toBe(1);

    await apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'orders',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'shop/orders:1.1' }],
    });
    let after: string[] = [];
    await eventually(
      'the rollout to replace both pods',
      async () => {
        after = await runningPods();
        return after.length === 2 && after.every((p) => !before.includes(p));
      },
      { timeoutMs: 60_000 },
    );
    for (const pod of after)
      await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain(`${pod}/app joined`);
    const m2 = `e2e-after-${Date.now()}`;
    await appendContainerLog([m2]);
    for (const pod of after)
      await expect.poll(() => log.getByText(`${pod}/app ${m2}`, { exact: true }).count()).toBe(1);
    // The old pods' lines stay, under their names.
    for (const pod of before) expect(await log.getByText(`${pod}/app ${m1}`, { exact: true }).count()).toBe(1);

    // One pod only: the others' lines are hidden, not lost.
    const pick = after[0] ?? '';
    await page.getByLabel('Pod', { exact: true }).selectOption(pick);
    expect(await log.getByText(`${pick}/app ${m2}`, { exact: true }).count()).toBe(1);
    expect(await log.getByText(`${after[1] ?? ''}/app ${m2}`, { exact: true }).count()).toBe(0);
    await page.getByLabel('Pod', { exact: true }).selectOption('');
    // Text: only matching lines, highlighted.
    await page.getByLabel('Search logs').fill(m2);
    await page.getByLabel('Only matching').check();
    // The two new pods' lines (an old pod still leaving may stream the same line too).
    await expect.poll(() => log.locator('mark').count()).toBeGreaterThanOrEqual(2);
    expect(await log.getByText(m1).count()).toBe(0);
    await c.screenshot('workload-logs');
    await page.getByLabel('Only matching').uncheck();
    await page.getByLabel('Search logs').fill('');
    for (const pod of before) expect(await log.getByText(`${pod}/app ${m1}`, { exact: true }).count()).toBe(1);
  });
});
