// The demo's workloads as a person sees them first (these are the README's
// screenshots): the workloads list with a crash loop standing out, a workload
// with its pods, the crash-looping service's timeline, the dark theme.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '@wheelhouse/cli';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import * as k8s from '@kubernetes/client-node';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);

describe('console: a tour of the demo workloads', () => {
  let c: Console;
  // The demo's workloads in a namespace of this test's own (the demo command's tests own "demo").
  let demoNs: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    demoNs = await testNamespace('demo');
    await seedDemo(kc, () => undefined, demoNs);
    await eventually(
      'the demo storefront ready',
      async () => {
        const d = await apps.readNamespacedDeployment({ namespace: demoNs, name: 'storefront' });
        return (d.status?.readyReplicas ?? 0) >= 1;
      },
      { timeoutMs: 60_000 },
    );
    c = await openConsole();
  });
  afterAll(async () => c.close());

  const row = (name: string) => c.page.locator(`table[aria-label="Workloads"] tr[data-name="${name}"]`);

  it('lists the demo workloads, the crash loop marked unhealthy with its restarts', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/workloads?namespace=${demoNs}`);
    for (const name of ['storefront', 'checkout', 'payments-worker', 'ledger-db', 'nightly-report'])
      await row(name).waitFor();
    await expect
      .poll(() => row('payments-worker').locator('.badge').first().textContent(), { timeout: 60_000 })
      .toMatch(/down|degraded/);
    await expect
      .poll(async () => Number(await row('payments-worker').locator('td').nth(5).textContent()), { timeout: 60_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => row('storefront').locator('.badge').first().textContent(), { timeout: 60_000 })
      .toBe('healthy');
    await c.screenshot('workloads');
    // "Only unhealthy" leaves the crash loop.
    await page.getByLabel('Only unhealthy').check();
    await expect
      .poll(() =>
        page
          .locator('table[aria-label="Workloads"] tbody tr[data-name]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name'))),
      )
      .toContain('payments-worker');
    expect(await row('storefront').count()).toBe(0);
    await page.getByLabel('Only unhealthy').uncheck();
    // A 1366×768 laptop: the list fits without scrolling sideways.
    await page.setViewportSize({ width: 1366, height: 768 });
    expect(await page.locator('main').evaluate((m) => m.scrollWidth - m.clientWidth)).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await c.screenshot('workloads-dark');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
  });

  it('works from the keyboard: actions menu, dialog, search', async () => {
    const { page } = c;
    await row('storefront')
      .getByRole('button', { name: /Actions for Deployment storefront/ })
      .focus();
    await page.keyboard.press('Enter');
    const focused = () =>
      page.evaluate(() => ({
        role: document.activeElement?.getAttribute('role'),
        text: document.activeElement?.textContent ?? '',
      }));
    await expect.poll(async () => (await focused()).role).toBe('menuitem');
    for (let i = 0; i < 12 && !(await focused()).text.startsWith('Scale'); i++) await page.keyboard.press('ArrowDown');
    expect((await focused()).text).toMatch(/^Scale/);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Scale: Deployment ${demoNs}/storefront` });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);

    await page.getByRole('combobox', { name: 'Search objects' }).focus();
    await page.keyboard.type('payments-worker');
    await page
      .getByRole('option', { name: /Deployment.*payments-worker/ })
      .first()
      .waitFor();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Deployment ${demoNs}/payments-worker` }).waitFor();
    await page.goBack();
    await row('storefront').waitFor();
  });

  it('shows a workload with its pods, and the crash loop on its timeline', async () => {
    const { page } = c;
    await row('storefront').getByRole('link', { name: 'storefront' }).click();
    await page.getByRole('heading', { name: `Deployment ${demoNs}/storefront` }).waitFor();
    await expect.poll(() => page.locator('table[aria-label="Pods"] tbody tr[data-name]').count()).toBeGreaterThan(0);
    await c.screenshot('workload');
    await page.setViewportSize({ width: 1366, height: 768 });
    expect(await page.locator('main').evaluate((m) => m.scrollWidth - m.clientWidth)).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1440, height: 900 });

    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${demoNs}/payments-worker?tab=timeline`);
    const restarts = page.getByRole('table', { name: 'Timeline events' }).locator('tr[data-type="container-restart"]');
    await expect.poll(() => restarts.count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await page.getByLabel('Time range').selectOption({ label: 'Last 15 minutes' });
    await expect.poll(() => restarts.count()).toBeGreaterThan(0);
    await c.screenshot('timeline');
  });
});
