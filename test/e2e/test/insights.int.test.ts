// The diagnosis path in the console: a deploy makes a workload crash-loop; the
// workloads list shows an insight badge, the workload's Insights tab says what
// changed just before ("… after revision 2 changed image ledger 1.4 → 1.5") and
// offers the rollback with the revision prefilled; running it fixes Kubernetes
// and the insight resolves. A workload that fails with no change says so.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, terminalState, type Console } from '../src/console.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);

function deployment(name: string, image: string, labels: Record<string, string> = {}): k8s.V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...labels } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image }] },
      },
    },
  };
}

describe('console: insights and root-cause hints', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-insights');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('ledger', 'registry.local/ledger:1.4') });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: deployment('batchy', 'registry.local/batchy:2.0', { 'wheelhouse.dev/simulate': 'crashloop' }),
    });
    await eventually('ledger revision 1 available', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'ledger' });
      return d.status?.availableReplicas === 1;
    });
    c = await openConsole({ agent: { insightsDebounceMs: 100 } });
  });
  afterAll(async () => {
    await c.close();
  });

  it('points at the deploy that broke it and rolls back to the previous revision, prefilled', async () => {
    const { page } = c;
    // Revision 2: a new image that crash-loops.
    await apps.patchNamespacedDeployment(
      {
        namespace: ns,
        name: 'ledger',
        body: {
          spec: {
            template: {
              metadata: { labels: { 'wheelhouse.dev/simulate': 'crashloop' } },
              spec: { containers: [{ name: 'app', image: 'registry.local/ledger:1.5' }] },
            },
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    await page.goto(`${c.url}/c/${c.cluster}/workloads?namespace=${ns}`);
    const badge = page.locator('table[aria-label="Workloads"] tr[data-name="ledger"] a.badge');
    await badge.waitFor({ timeout: 60_000 });
    await expect.poll(() => badge.textContent()).toMatch(/^\d+ insights?$/);
    await badge.click();

    const card = page.locator('li.insight[data-check="crash-loop"][data-state="open"]');
    await card.waitFor();
    const hint = card.getByRole('note', { name: 'Root cause' });
    await expect
      .poll(() => hint.textContent())
      .toMatch(/What changed: Failing since (right|\d+ s) after revision 2 changed image ledger 1\.4 → 1\.5/);
    await c.screenshot('insights-root-cause');

    await hint.getByRole('button', { name: 'Roll back to revision 1?' }).click();
    const dialog = page.getByRole('dialog', { name: `Roll back: Deployment ${ns}/ledger` });
    // Prefilled: revision 1 is the one chosen in the dialog's revision picker.
    const previous = dialog.getByRole('table', { name: 'Revisions' }).locator('tr[data-revision="1"]');
    await expect.poll(() => previous.getByRole('radio').isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Run roll back' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'ledger' });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('registry.local/ledger:1.4');
    expect(d.spec?.template.metadata?.labels?.['wheelhouse.dev/simulate']).toBeUndefined();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    // Fixed: the crash loop's card turns resolved (the old pods are gone), live.
    await page
      .locator('li.insight[data-check="crash-loop"][data-state="resolved"]')
      .first()
      .waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('li.insight[data-check="crash-loop"][data-state="open"]').count()).toBe(0);
  });

  it('says when nothing changed before a workload started failing', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/insights?namespace=${ns}`);
    const card = page.locator('li.insight[data-check="crash-loop"][data-state="open"]', { hasText: 'batchy' });
    await card.waitFor({ timeout: 60_000 });
    await expect
      .poll(() => card.getByRole('note', { name: 'Root cause' }).textContent())
      .toMatch(/No change: Nothing changed on Deployment batchy in the 30 min before it started failing/);
    await expect.poll(() => card.getByRole('button', { name: /Roll back/ }).count()).toBe(0);
    await c.screenshot('insights');
  });
});
