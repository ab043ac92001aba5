// What the console lets a person try follows what the hub allows: a viewer on
// a basic-tier cluster sees every action disabled with the reason (missing
// permission, tier not enabled), no shell, no audit log — and the hub agrees
// (the same request is refused with the permission and scope named).
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);

describe('console: permissions and tiers', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-perm');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'ledger' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'ledger' } },
          template: {
            metadata: { labels: { app: 'ledger' } },
            spec: { containers: [{ name: 'db', image: 'shop/ledger:9' }] },
          },
        },
      },
    });
    await eventually(
      'ledger ready',
      async () => (await apps.readNamespacedDeployment({ namespace: ns, name: 'ledger' })).status?.readyReplicas === 1,
    );
    c = await openConsole({
      capabilities: { basic: true, advanced: false, podExec: false },
      bindings: [{ role: 'viewer' }],
    });
  });
  afterAll(async () => c.close());

  it('disables actions with the reason and hides what the user may not open', async () => {
    const { page } = c;
    // Search jumps to the object.
    await page.getByRole('combobox', { name: 'Search objects' }).fill('ledger');
    await page
      .getByRole('option', { name: /Deployment.*ledger/ })
      .first()
      .waitFor();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Deployment ${ns}/ledger` }).waitFor();

    await page.getByRole('button', { name: 'Actions for Deployment ledger' }).click();
    const scale = page.getByRole('menuitem', { name: /^Scale/ });
    await expect.poll(() => scale.textContent()).toContain(`you lack action:scale on ${c.cluster}/${ns}`);
    expect(await scale.isDisabled()).toBe(true);
    const del = page.getByRole('menuitem', { name: /^Delete/ });
    expect(await del.textContent()).toContain(`the advanced tier is not enabled on ${c.cluster}`);
    await page.keyboard.press('Escape');

    const shell = page
      .locator('table[aria-label="Pods"] tbody tr[data-name]')
      .first()
      .getByRole('button', { name: /Shell into/ });
    expect(await shell.isDisabled()).toBe(true);
    expect(await shell.getAttribute('title')).toContain('podExec tier');
    expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0);

    // The hub refuses the same thing on its own, naming permission and scope.
    const res = await page.evaluate(
      async ({ cluster, ns }) => {
        const me = (await (await fetch('/api/v1/me')).json()) as { csrfToken: string };
        const r = await fetch(`/api/v1/clusters/${cluster}/actions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
          body: JSON.stringify({
            action: 'scale',
            target: { kind: 'Deployment', namespace: ns, name: 'ledger' },
            params: { replicas: 3 },
          }),
        });
        return {
          status: r.status,
          body: (await r.json()) as { permission: string; scope: { cluster: string; namespace: string } },
        };
      },
      { cluster: c.cluster, ns },
    );
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ permission: 'action:scale', scope: { cluster: c.cluster, namespace: ns } });
    expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'ledger' })).spec?.replicas).toBe(1);
    await c.screenshot('actions-disabled');
  });
});
