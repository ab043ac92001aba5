// Single sign-on in Chromium against a real Dex: the sign-in page offers "Sign
// in with Dex", the person signs in on Dex's own login page and lands back in
// the console; group mapping decides what the console offers (the SRE may
// scale, the developer sees the action disabled with the reason); a forged
// redirect lands on the sign-in page with the reason; signing out ends the
// session at Dex too (RP-initiated logout), so the next sign-in asks again.
// Refusals a person can meet in the browser: a replayed callback and a code
// Dex issued to another application land on the sign-in page with the
// reason, make no session and are audited.
import * as k8s from '@kubernetes/client-node';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDex, type DexUser, type RunningDex } from '@wheelhouse/test-cluster/dex';
import { freePort } from '@wheelhouse/test-cluster/processes';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
const SRE: DexUser = { email: 'sre@example.com', username: 'sam', password: 'sre-password', groups: ['sre'] };
const DEV: DexUser = { email: 'dev@example.com', username: 'dana', password: 'dev-password', groups: ['developers'] };

/** Fills Dex's own login page and submits it. */
async function submitDexLogin(page: Page, user: DexUser, rememberMe = false): Promise<void> {
  await page.locator('#login').fill(user.email);
  await page.locator('#password').fill(user.password);
  if (rememberMe) await page.locator('input[name="remember_me"]').check();
  await page.locator('#submit-login').click();
}

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
        // Another application at the same Dex that (mis)registered the hub's callback.
        { id: 'other-app', secret: 'other-secret', redirectURIs: [`${publicUrl}/api/v1/auth/oidc/callback`] },
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
    await submitDexLogin(page, user, rememberMe);
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
    await submitDexLogin(page, DEV);
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
    expect((await failedSsoAudits()).map((d) => d.reason)).toContain('bad_state');
  });

  it('a replayed callback is refused on the sign-in page, makes no session, and is audited', async () => {
    const context = await c.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${c.url}/login`);
      await page.getByRole('link', { name: 'Sign in with Dex' }).click();
      await page.waitForURL((u) => u.toString().startsWith(dex.issuer));
      // This browser's sign-in cookie as it was, and the redirect Dex sends the browser back with.
      const signInCookie = (await context.cookies(`${c.url}/api/v1/auth/oidc/callback`)).filter(
        (k) => k.name === 'wh_oidc',
      );
      expect(signInCookie).toHaveLength(1);
      const callback = page.waitForRequest((r) => r.url().startsWith(`${c.url}/api/v1/auth/oidc/callback?`));
      await submitDexLogin(page, SRE);
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      const callbackUrl = (await callback).url();
      expect(await sessionCookie(context)).toBeDefined();
      // Same browser, same sign-in cookie, but signed out: only the used-up state stands in the way.
      await context.clearCookies({ name: 'wh_session' });
      await context.addCookies(signInCookie);
      const audited = (await failedSsoAudits()).length;
      const sessions = await sessionCount();

      await page.goto(callbackUrl);
      await page.waitForURL(/\/login\?ssoError=bad_state/);
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toBe('Single sign-on failed (bad_state): unknown or already used state');
      expect(await sessionCookie(context)).toBeUndefined();
      expect(await sessionCount()).toBe(sessions);
      const audit = (await failedSsoAudits()).slice(audited);
      expect(audit).toMatchObject([{ reason: 'bad_state', message: 'unknown or already used state' }]);
    } finally {
      await context.close();
    }
  });

  it('a code Dex issued to another application is refused on the sign-in page, and is audited', async () => {
    const context = await c.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${c.url}/login`);
      // The hub's own sign-in gives this browser a state (and its cookie) ...
      const authorize = page.waitForRequest((r) => r.url().startsWith(`${dex.issuer}/auth?`));
      await page.getByRole('link', { name: 'Sign in with Dex' }).click();
      const forged = new URL((await authorize).url());
      expect(forged.searchParams.get('client_id')).toBe('wheelhouse');
      // ... which goes to Dex's authorize endpoint for the other application.
      forged.searchParams.set('client_id', 'other-app');
      await page.goto(forged.toString());
      const audited = (await failedSsoAudits()).length;
      const sessions = await sessionCount();
      await submitDexLogin(page, SRE);

      await page.waitForURL(/\/login\?ssoError=code_rejected/);
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toMatch(/^Single sign-on failed \(code_rejected\): the token endpoint answered invalid_grant/);
      expect(await sessionCookie(context)).toBeUndefined();
      expect(await sessionCount()).toBe(sessions);
      const audit = (await failedSsoAudits()).slice(audited);
      expect(audit).toMatchObject([{ reason: 'code_rejected', via: 'browser' }]);
    } finally {
      await context.close();
    }
  });

  /** The details of the hub's failed auth.sso records, oldest first. */
  async function failedSsoAudits(): Promise<Record<string, unknown>[]> {
    const rows = await c.pipeline.hub.db
      .selectFrom('audit_log')
      .select('detail')
      .where('action', '=', 'auth.sso')
      .where('outcome', '=', 'failed')
      .orderBy('seq')
      .execute();
    return rows.map((r) => JSON.parse(r.detail ?? '{}') as Record<string, unknown>);
  }

  async function sessionCount(): Promise<number> {
    return (await c.pipeline.hub.db.selectFrom('sessions').select('id_hash').execute()).length;
  }

  async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
    return (await context.cookies(c.url)).find((k) => k.name === 'wh_session')?.value;
  }
});

// The ID token is fetched by the hub (code exchange) after the browser's
// redirect arrives, so holding the redirect back cannot age it (and a Dex told
// to sign tokens with a negative lifetime answers a negative expires_in, which
// is refused before the token's exp is read). Instead this hub's clock runs an
// hour ahead of Dex's for token checks: Dex's 10-minute ID tokens arrive expired.
describe('console: single sign-on with an expired ID token', () => {
  let c: Console;
  let dex: RunningDex;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    dex = await startDex({
      users: [SRE],
      clients: [{ id: 'wheelhouse', secret: 'e2e-secret', redirectURIs: [`${publicUrl}/api/v1/auth/oidc/callback`] }],
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
          groupMappings: [{ group: 'sre', role: 'operator', cluster: '*', namespace: '*' }],
          clockSkewSeconds: 3600,
        },
      },
    });
  });
  afterAll(async () => {
    await c.close();
    await dex.stop();
  });

  it('is refused on the sign-in page with the reason, makes no session, and is audited', async () => {
    const { page } = c;
    await page.goto(`${c.url}/login`);
    await page.getByRole('link', { name: 'Sign in with Dex' }).click();
    await submitDexLogin(page, SRE);

    await page.waitForURL(/\/login\?ssoError=token_rejected/);
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toMatch(/^Single sign-on failed \(token_rejected\): .*"exp"/);
    expect((await c.context.cookies(c.url)).map((k) => k.name)).not.toContain('wh_session');
    expect(await c.pipeline.hub.db.selectFrom('sessions').select('id_hash').execute()).toEqual([]);
    const audit = await c.pipeline.hub.db
      .selectFrom('audit_log')
      .select(['actor', 'outcome', 'detail'])
      .where('action', '=', 'auth.sso')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.outcome).toBe('failed');
    expect(JSON.parse(audit[0]?.detail ?? '{}')).toMatchObject({ reason: 'token_rejected', via: 'browser' });
  });
});
