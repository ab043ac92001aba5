// Settings → Notifications in Chromium: an administrator adds a rule whose
// webhook is a real HTTP server in this test, sees it listed with the URL
// masked, presses "Send test", reads how the delivery went (and the receiver
// got it), and deletes the rule; an invalid URL is refused by the hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SCREENSHOTS, openConsole, screenshotOnFailure, type Console } from '../src/console.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../packages/hub/test/support/webhook-receiver.js';

describe('console: notification rules', () => {
  let c: Console;
  let rx: WebhookReceiver;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    rx = await startWebhookReceiver();
    c = await openConsole({ bindings: [{ role: 'account-admin' }] });
  });
  afterAll(async () => {
    await c.close();
    await rx.close();
  });

  it('adds a rule (URL masked), sends a test that arrives and shows as delivered, deletes it', async () => {
    const { page } = c;
    await page.getByRole('link', { name: 'Notifications' }).click();
    const form = page.getByRole('form', { name: 'Add a rule' });
    await form.waitFor();
    await form.getByLabel('Name', { exact: true }).fill('on-call');
    await form.getByLabel('Webhook URL').fill(`${rx.url}/services/T0/B0/secret-token-42`);
    await form.getByLabel('Format').selectOption('slack');
    await form.getByLabel('Minimum severity').selectOption('error');
    await form.getByRole('button', { name: 'Add rule' }).click();

    const table = page.getByRole('table', { name: 'Notification rules' });
    const row = table.getByRole('row', { name: /on-call/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(
      /on-call\*\/\*error\+insight-opened, insight-resolved, action-failedslack http:\/\/127\.0\.0\.1:\d+\/…never sent/,
    );
    expect(await page.content()).not.toContain('secret-token-42');

    await row.getByRole('button', { name: 'Send test' }).click();
    await expect
      .poll(() => page.getByRole('status', { name: 'Test of on-call' }).textContent())
      .toMatch(/^Test delivered \(HTTP 200\)/);
    expect(rx.posts).toHaveLength(1);
    expect(rx.posts[0]?.path).toBe('/services/T0/B0/secret-token-42');
    expect((rx.posts[0]?.body as { text: string }).text).toContain('Test notification of rule "on-call"');
    await expect.poll(() => row.textContent()).toMatch(/delivered \(HTTP 200\).*delivered 1, failed 0/);
    await page.screenshot({ path: join(SCREENSHOTS, 'notifications.png') });

    await row.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => table.textContent()).toContain('No rules.');
    expect(await c.pipeline.hub.notificationRules.list()).toEqual([]);
  });

  it('an invalid URL is refused with the field named, and nothing is added', async () => {
    const { page } = c;
    await page.goto(`${c.url}/settings/notifications`);
    const form = page.getByRole('form', { name: 'Add a rule' });
    await form.getByLabel('Name', { exact: true }).fill('bad');
    // type=url lets ftp:// through; the hub refuses it.
    await form.getByLabel('Webhook URL').fill('ftp://example.org/hook');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/url.*http:\/\/ or https:\/\//);
    expect(await c.pipeline.hub.notificationRules.list()).toEqual([]);
  });
});
