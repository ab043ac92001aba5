// Shared shells in Chromium with two people against the real cluster: the
// owner opens a shell and shares its link; a second person watches it as an
// observer (sees the output live, cannot type), both see who is in the
// session, and then a third joins as a peer and types into it.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { addUser } from '../../../packages/hub/test/support/identity.js';
import { openConsole, screenshotOnFailure, signIn, type Console } from '../src/console.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

describe('console: shared shells', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-share');
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'pair' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    });
    c = await openConsole({ bindings: [{ role: 'operator', namespace: ns }] });
    await eventually(
      'the pod running in the hub',
      async () => (await c.pipeline.hub.inventory.get(c.cluster, 'Pod', ns, 'pair'))?.summary.phase === 'Running',
      { timeoutMs: 60_000 },
    );
  });
  afterAll(() => c.close());

  async function secondPerson(): Promise<{ page: Page; username: string }> {
    const user = await addUser(c.pipeline.hub, { bindings: [{ role: 'operator', namespace: ns }] });
    const context = await c.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await signIn(page, c.url, user);
    return { page, username: user.username };
  }
  const terminal = (page: Page) => page.getByTestId('terminal-s1').locator('.xterm-rows');

  it('a second person watches the shell live as an observer, both see who is in it; a peer types into it', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/pods?namespace=${ns}`);
    await page.getByRole('button', { name: 'Shell into pair' }).click();
    await page.getByTestId('terminal-s1').click();
    await page.keyboard.type('echo "owner-$((20 + 22))"\n');
    await expect.poll(() => terminal(page).textContent(), { timeout: 20_000 }).toContain('owner-42');
    const invite = page.getByRole('link', { name: 'Invite link of shell pair/app' });
    const link = (await invite.getAttribute('href')) ?? '';
    expect(link).toMatch(/^\/join\/[0-9a-f-]{36}$/);

    // The observer opens the link and watches.
    const bob = await secondPerson();
    await bob.page.goto(`${c.url}${link}`);
    await bob.page.getByRole('button', { name: 'Watch' }).click();
    await expect
      .poll(() => bob.page.getByLabel('In shell pair/app').textContent())
      .toContain(`${c.user.username} (owner), ${bob.username} (observer)`);
    await expect.poll(() => page.getByLabel('In shell pair/app').textContent()).toContain(`${bob.username} (observer)`);
    await page.getByTestId('terminal-s1').click();
    await page.keyboard.type('echo "live-$((6 * 7))"\n');
    await expect.poll(() => terminal(bob.page).textContent(), { timeout: 20_000 }).toContain('live-42');
    // The observer's keys go nowhere.
    await bob.page.getByTestId('terminal-s1').click();
    await bob.page.keyboard.type('echo "observer-$((1 + 1))"\n');
    await page.keyboard.type('echo "after-$((2 + 3))"\n');
    await expect.poll(() => terminal(bob.page).textContent(), { timeout: 20_000 }).toContain('after-5');
    expect(await terminal(page).textContent()).not.toContain('observer-');
    await c.screenshot('shared-shell-owner');

    // A peer joins and types into the owner's shell.
    const carol = await secondPerson();
    await carol.page.goto(`${c.url}${link}`);
    await carol.page.getByRole('button', { name: 'Join as peer' }).click();
    await expect.poll(() => page.getByLabel('In shell pair/app').textContent()).toContain(`${carol.username} (peer)`);
    await carol.page.getByTestId('terminal-s1').click();
    await carol.page.keyboard.type('echo "peer-$((3 + 4))"\n');
    await expect.poll(() => terminal(page).textContent(), { timeout: 20_000 }).toContain('peer-7');
    await expect.poll(() => terminal(bob.page).textContent(), { timeout: 20_000 }).toContain('peer-7');

    // Both joins are in the audit log.
    const rows = await c.pipeline.hub.audit.query({ action: 'shell.join', limit: 10 });
    expect(rows.items.map((r) => `${r.actor}:${r.outcome}`).sort()).toEqual(
      [`${bob.username}:allowed`, `${carol.username}:allowed`].sort(),
    );
  });
});
