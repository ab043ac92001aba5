// Accessibility (issue 20, item 10): axe-core's WCAG 2.1 A/AA rules on every
// page of the console, in the light and the dark theme, with real data from
// the local cluster (a crash loop, a Pending claim, a Service, a ConfigMap):
// no violation of serious or critical impact. Also the skip link, and focus
// returning to the control that opened a dialog after Escape.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { seriousViolations } from '../src/axe.js';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);

describe('console: accessibility', () => {
  let c: Console;
  let ns: string;
  let pod = '';
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-a11y');
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'web-config' }, data: { A: '1' } },
    });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: {
        metadata: { name: 'web-data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: '' },
      },
    });
    await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web', 'wheelhouse.dev/simulate': 'crashloop' } },
            spec: {
              containers: [{ name: 'web', image: 'shop/web:1.0', envFrom: [{ configMapRef: { name: 'web-config' } }] }],
            },
          },
        },
      },
    });
    pod = await eventually('the web pod', async () => {
      const p = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items[0];
      return p?.metadata?.name;
    });
    c = await openConsole();
  });
  afterAll(() => c.close());

  const pages = (): [string, string][] => [
    ['what is broken now', '/'],
    ['clusters', '/clusters'],
    ['workloads', `/c/${c.cluster}/workloads`],
    ['workload', `/c/${c.cluster}/w/Deployment/${ns}/web`],
    ['workload timeline', `/c/${c.cluster}/w/Deployment/${ns}/web?tab=timeline`],
    ['workload YAML', `/c/${c.cluster}/w/Deployment/${ns}/web?tab=yaml`],
    ['workload insights', `/c/${c.cluster}/w/Deployment/${ns}/web?tab=insights`],
    ['insights', `/c/${c.cluster}/insights?state=all`],
    ['resource usage', `/c/${c.cluster}/top`],
    ['pods', `/c/${c.cluster}/pods`],
    ['pod logs', `/c/${c.cluster}/pods/${ns}/${pod}`],
    ['pod containers', `/c/${c.cluster}/pods/${ns}/${pod}?tab=containers`],
    ['pod diagnostics', `/c/${c.cluster}/pods/${ns}/${pod}?tab=diagnostics`],
    ['nodes', `/c/${c.cluster}/nodes`],
    ['node', `/c/${c.cluster}/nodes/kwok-node-0`],
    ['timeline', `/c/${c.cluster}/timeline`],
    ['actions', `/c/${c.cluster}/actions`],
    ['editor', `/c/${c.cluster}/edit?kind=ConfigMap&namespace=${ns}&name=web-config`],
    ['claim', `/c/${c.cluster}/o/PersistentVolumeClaim/${ns}/web-data`],
    ['service', `/c/${c.cluster}/o/Service/${ns}/web`],
    ['config map', `/c/${c.cluster}/o/ConfigMap/${ns}/web-config`],
    ['shell link', `/c/${c.cluster}/shell/${ns}/${pod}?container=web&command=sh`],
    ['join a shell', '/join/00000000-0000-4000-8000-000000000000'],
    ['shell sessions', '/sessions'],
    ['access', '/access'],
    ['account', '/account'],
    ['audit', '/audit'],
  ];

  for (const theme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe violation on any page (${theme} theme)`, async () => {
      const { page } = c;
      await page.goto(`${c.url}/clusters`);
      // Wait for the toggle (either way) before asking which one it is: count() does not wait.
      await page.getByRole('button', { name: /^Switch to (light|dark) theme$/ }).waitFor();
      const toggle = page.getByRole('button', { name: `Switch to ${theme} theme` });
      if (await toggle.count()) await toggle.click();
      await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme ?? 'light')).toBe(theme);
      const found: string[] = [];
      for (const [name, path] of pages()) {
        await page.goto(`${c.url}${path}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        // Let live data and lazy parts (the YAML editor, tables) settle before judging.
        await page.waitForLoadState('networkidle').catch(() => undefined);
        await page.waitForTimeout(300);
        found.push(...(await seriousViolations(page, `${name} (${theme})`)));
      }
      expect(found).toEqual([]);
    });
  }

  it('offers a skip link to the main content, and returns focus to the trigger after Escape', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/workloads?namespace=${ns}`);
    await page.locator('table[aria-label="Workloads"] tr[data-name="web"]').waitFor();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to main content' });
    await expect.poll(() => skip.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    const menu = page.getByRole('button', { name: /Actions for Deployment web/ });
    await menu.click();
    await page.getByRole('menuitem', { name: /^Scale/ }).click();
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await expect.poll(() => menu.evaluate((el) => el === document.activeElement)).toBe(true);
    // Focus put elsewhere as the dialog goes (before its focus return runs) stays there: the
    // dialog is closed and, the moment it leaves the page, the search box is focused.
    await menu.click();
    await page.getByRole('menuitem', { name: /^Scale/ }).click();
    await page.getByRole('dialog').waitFor();
    const kept = await page.evaluate(
      () =>
        new Promise<string | null>((resolve) => {
          const search = document.querySelector<HTMLElement>('[aria-label="Search objects"]');
          new MutationObserver((_, observer) => {
            if (document.querySelector('dialog')) return;
            observer.disconnect();
            search?.focus();
            setTimeout(() => resolve(document.activeElement?.getAttribute('aria-label') ?? null), 100);
          }).observe(document.body, { childList: true, subtree: true });
          document.querySelector('dialog')?.dispatchEvent(new Event('cancel', { cancelable: true }));
        }),
    );
    expect(kept).toBe('Search objects');
  });
});
