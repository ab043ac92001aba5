// Signing in: wrong password is refused in the page, the right one lands on
// the clusters list with the cluster connected; signing out returns to sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsole, type Console } from '../src/console.js';

describe('console: sign in', () => {
  let c: Console;
  beforeAll(async () => {
    c = await openConsole({ signIn: false });
  });
  afterAll(async () => c.close());

  it('refuses a wrong password, signs in, shows the cluster, signs out', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/workloads`);
    await page.getByLabel('Username').fill(c.user.username);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password');
    await c.screenshot('login');

    await page.getByLabel('Password').fill(c.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where the user wanted to go.
    await page.getByRole('heading', { name: 'Workloads' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/c/${c.cluster}/workloads`);

    await page.getByRole('link', { name: 'Clusters' }).click();
    const row = page.getByRole('row', { name: new RegExp(c.cluster) });
    await expect.poll(() => row.textContent()).toMatch(/connected/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    // The session is gone on the hub too.
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    expect(me).toBe(401);
  });
});
