// Just-in-time access in Chromium with two people: a viewer finds Scale
// disabled, follows "Request access…" to a prefilled request, asks; a peer
// (operator) sees it under "To approve" and approves with a comment; the
// viewer's console now offers Scale. The peer cannot approve their own.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { join } from 'node:path';
import { SCREENSHOTS, openConsole, screenshotOnFailure, signIn, type Console } from '../src/console.js';
import { addUser } from '../../../packages/hub/test/support/identity.js';

const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);

describe('console: just-in-time access', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-jit');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'payments' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'payments' } },
          template: {
            metadata: { labels: { app: 'payments' } },
            spec: { containers: [{ name: 'app', image: 'shop/payments:1' }] },
          },
        },
      },
    });
    await eventually(
      'payments ready',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: ns, name: 'payments' })).status?.readyReplicas === 1,
    );
    c = await openConsole({ bindings: [{ role: 'viewer' }] });
  });
  afterAll(async () => c.close());

  const scaleItem = async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/payments`);
    await page.getByRole('heading', { name: `Deployment ${ns}/payments` }).waitFor();
    await page.getByRole('button', { name: 'Actions for Deployment payments' }).click();
    return page.getByRole('menuitem', { name: /^Scale/ });
  };

  it('a viewer asks from the disabled action, a peer approves, the console then offers it', async () => {
    const { page } = c;
    const scale = await scaleItem();
    expect(await scale.isDisabled()).toBe(true);
    await page.getByRole('menuitem', { name: 'Request access…' }).click();
    const form = page.getByRole('form', { name: 'Request access' });
    await form.waitFor();
    expect(await form.getByLabel('Role').inputValue()).toBe('operator');
    expect(await form.getByLabel('Cluster').inputValue()).toBe(c.cluster);
    expect(await form.getByLabel('Namespace').inputValue()).toBe(ns);
    await form.getByLabel('Reason').fill('INC-77 payments stuck');
    await form.getByRole('button', { name: 'Ask a peer' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Asked for' }).textContent())
      .toContain(`Asked for operator on ${c.cluster}/${ns}`);
    await expect
      .poll(() => page.getByRole('table', { name: 'My requests' }).textContent())
      .toMatch(/INC-77 payments stuck.*pending/);

    // The peer, in their own browser.
    const peer = await addUser(c.pipeline.hub, { bindings: [{ role: 'operator', cluster: c.cluster }] });
    const context = await c.browser.newContext({ viewport: { width: 1440, height: 900 } });
    try {
      const peerPage = await context.newPage();
      await signIn(peerPage, c.url, peer);
      await peerPage.getByRole('link', { name: 'Access' }).click();
      const row = peerPage.getByRole('table', { name: 'To approve' }).getByRole('row', { name: /INC-77/ });
      await row.waitFor();
      await row.getByRole('textbox').fill('go ahead, ping me after');
      await peerPage.screenshot({ path: join(SCREENSHOTS, 'access.png') });
      await row.getByRole('button', { name: 'Approve' }).click();
      await expect
        .poll(() => peerPage.getByRole('table', { name: 'Active grants' }).textContent())
        .toMatch(/INC-77 payments stuck.*approved.*go ahead/);
    } finally {
      await context.close();
    }

    // The viewer's console now offers Scale there (the session reads the grant from the store).
    await page.reload();
    const after = await scaleItem();
    await expect.poll(() => after.isDisabled()).toBe(false);
    await page.keyboard.press('Escape');
  });
});
