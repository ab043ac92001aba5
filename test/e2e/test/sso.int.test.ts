// Single sign-on in Chromium against a real Dex: the sign-in page offers "Sign
// in with Dex", the person signs in on Dex's own login page and lands back in
// the console; group mapping decides what the console offers (the SRE may
// scale, the developer sees the action disabled with the reason); a forged
// redirect lands on the sign-in page with the reason; signing out ends the
// session at Dex too (RP-initiated logout), so the next sign-in asks again.
import * as k8s from '@kubernetes/client-node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDex, type DexUser, type RunningDex } from '@wheelhouse/test-cluster/dex';
import { freePort } from '@wheelhouse/test-cluster/processes';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
const SRE: DexUser = { email: 'sre@example.com', username: 'sam', password: 'sre-password', groups: ['sre'] };
const DEV: DexUser = { email: 'dev@example.com', username: 'dana', password: 'dev-password', groups: ['developers'] };

describe('console: single sign-on with Dex', () => {
  let c: Console;
  let dex: RunningDex;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-sso');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'checkout' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'checkout' } },
          template: {
            metadata: { labels: { app: 'checkout' } },
            spec: { containers: [{ name: 'web', image: 'shop/checkout:3' }] },
          },
        },
      },
    });
    await eventually(
      'checkout ready',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: ns, name: 'checkout' })).status?.readyReplicas === 1,
    );
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    dex = await startDex({
      users: [SRE, DEV],
      clients: [
        {
          id: 'wheelhouse',
          secret: 'e2e-secret',
          redirectURIs: [`${publicUrl}/api/v1/auth/oidc/callback`],
          postLogoutRedirectURIs: [`${publicUrl}/login`],
        },
      ],
    });
    c = await openConsole({
      signIn: false,
      port,
      hub: {
        oidc: {
          issuer: dex.issuer,
          clientId: 'wheelhouse',
          clientSecret: 'e2e-secret',
          publicUrl,
          providerName: 'Dex',
          groupMappings: [
            { group: 'sre', role: 'operator', cluster: '*', namespace: '*' },
            { group: 'developers', role: 'viewer', cluster: '*', namespace: '*' },
          ],
        },
        localAccounts: { mode: 'break-glass', breakGlassUser: 'root' },
      },
    });
  });
  afterAll(async () => {
    await c.close();
    await dex.stop();
  });

  /** From the console's sign-in page through Dex's own login page and back. */
  async function signInWithDex(page: Page, user: DexUser, rememberMe = false): Promise<void> {
    await page.getByRole('link', { name: 'Sign in with Dex' }).click();
    await page.waitForURL((u) => u.toString().startsWith(dex.issuer));
    await page.locator('#login').fill(user.email);
    await page.locator('#password').fill(user.password);
    if (rememberMe) await page.locator('input[name="remember_me"]').check();
    await page.locator('#submit-login').click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  async function scaleMenuItem(page: Page) {
    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/checkout`);
    await page.getByRole('heading', { name: `Deployment ${ns}/checkout` }).waitFor();
    await page.getByRole('button', { name: 'Actions for Deployment checkout' }).click();
    return page.getByRole('menuitem', { name: /^Scale/ });
  }

  it("offers SSO, signs the SRE in on Dex's page, and the operator role lets them scale", async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/workloads`);
    await page.getByRole('link', { name: 'Sign in with Dex' }).waitFor();
    // Passwords are for the break-glass administrator only: folded away.
    expect(await page.getByLabel('Password').isVisible()).toBe(false);
    await c.screenshot('login-sso');
    await signInWithDex(page, SRE, true);
    // Back where the person wanted to go.
    expect(new URL(page.url()).pathname).toBe(`/c/${c.cluster}/workloads`);
    expect(await page.getByRole('link', { name: 'Signed in as' }).textContent()).toBe('Signed in as sre@example.com');

    const scale = await scaleMenuItem(page);
    expect(await scale.isDisabled()).toBe(false);
    await page.keyboard.press('Escape');

    await page.getByRole('link', { name: 'Signed in as' }).click();
    expect(await page.getByLabel('Groups').textContent()).toBe('sre');
    await expect.poll(() => page.getByRole('table', { name: 'Role bindings' }).textContent()).toContain('group sre');
  });

  it('signing out ends the session at Dex too: the next sign-in asks for the password again', async () => {
    const { page } = c;
    // While Dex remembers the SRE, starting another sign-in needs no password (Dex's own session).
    const again = await c.context.newPage();
    await again.goto(`${c.url}/api/v1/auth/oidc/login`);
    await again.getByRole('navigation', { name: 'Main' }).waitFor();
    await again.close();
    // That sign-in replaced this browser's session cookie: reload to pick up the new session's CSRF token.
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    // Dex's end-session endpoint sends the browser back to the console's sign-in page.
    await page.waitForURL(`${c.url}/login`);
    await page.getByRole('link', { name: 'Sign in with Dex' }).click();
    await page.locator('#login').waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/v1/me')).status).catch(() => 0)).not.toBe(200);
  });

  it('the developer, mapped to viewer, sees scaling disabled with the missing permission', async () => {
    const { page } = c;
    await page.locator('#login').fill(DEV.email);
    await page.locator('#password').fill(DEV.password);
    await page.locator('#submit-login').click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    expect(await page.getByRole('link', { name: 'Signed in as' }).textContent()).toBe('Signed in as dev@example.com');
    const scale = await scaleMenuItem(page);
    await expect.poll(() => scale.textContent()).toContain(`you lack action:scale on ${c.cluster}/${ns}`);
    expect(await scale.isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
  });

  it('a forged redirect lands on the sign-in page with the reason, and is audited', async () => {
    const context = await c.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${c.url}/api/v1/auth/oidc/callback?state=forged&code=stolen`);
      await page.waitForURL(/\/login\?ssoError=bad_state/);
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Single sign-on failed (bad_state)');
    } finally {
      await context.close();
    }
    const audit = await c.pipeline.hub.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'auth.sso')
      .where('outcome', '=', 'failed')
      .execute();
    expect(audit.map((a) => JSON.parse(a.detail ?? '{}') as { reason: string }).map((d) => d.reason)).toContain(
      'bad_state',
    );
  });
});
