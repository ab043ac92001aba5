// Deep links that open a shell (issue 17), for runbooks and alerts: a signed-out
// person follows one, signs in, is shown what it will run and where, confirms,
// and the command runs in the named container; someone without pod:exec who
// follows the same link is refused by the hub (and the refusal is audited).
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { addUser } from '../../../packages/hub/test/support/identity.js';
import { openConsole, screenshotOnFailure, signIn, type Console } from '../src/console.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);

describe('console: shell deep links', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-link');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'multi' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            { name: 'app', image: 'shop/app:1' },
            { name: 'sidecar', image: 'shop/proxy:2' },
          ],
        },
      },
    });
    await eventually(
      'multi running',
      async () => (await core.readNamespacedPod({ namespace: ns, name: 'multi' })).status?.phase === 'Running',
    );
    c = await openConsole({ signIn: false });
  });
  afterAll(async () => {
    await c.close();
  });

  const link = () =>
    `${c.url}/c/${c.cluster}/shell/${ns}/multi?` +
    new URLSearchParams([
      ['container', 'sidecar'],
      ['command', 'sh'],
      ['command', '-c'],
      ['command', 'echo "from-the-runbook-$((40 + 2))"; sleep 30'],
    ]).toString();

  it('survives the sign-in, says what it will run, and runs it in the named container once confirmed', async () => {
    const { page } = c;
    await page.goto(link());
    await page.getByLabel('Username').fill(c.user.username);
    await page.getByLabel('Password').fill(c.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const panel = page.getByRole('region', { name: 'Shell link' });
    await expect
      .poll(() => panel.getByLabel('Command').textContent())
      .toBe(`sh -c 'echo "from-the-runbook-$((40 + 2))"; sleep 30'`);
    expect(await panel.textContent()).toContain('sidecar');
    // Nothing runs before the click.
    const sessions = async () => {
      const res = await c.pipeline.hub.app.inject({
        url: '/api/v1/sessions',
        headers: { authorization: `Bearer ${c.user.token}` },
      });
      return res.json<{ items: { pod: string; container: string; command: string[] }[] }>().items;
    };
    expect(await sessions()).toEqual([]);
    await c.screenshot('shell-link');

    await panel.getByRole('button', { name: 'Open shell' }).click();
    await page.getByRole('heading', { name: `Pod ${ns}/multi` }).waitFor();
    const terminal = page.getByTestId('terminal-s1').locator('.xterm-rows');
    await expect.poll(() => terminal.textContent(), { timeout: 20_000 }).toContain('from-the-runbook-42');
    const items = await sessions();
    expect(items.map((s) => [s.pod, s.container, s.command])).toEqual([
      ['multi', 'sidecar', ['sh', '-c', 'echo "from-the-runbook-$((40 + 2))"; sleep 30']],
    ]);
    // The link was replaced by the pod page: a reload opens no second shell.
    expect(new URL(page.url()).pathname).toBe(`/c/${c.cluster}/pods/${ns}/multi`);
    await page.reload();
    await page.getByRole('heading', { name: `Pod ${ns}/multi` }).waitFor();
    expect(await sessions()).toHaveLength(1);
  });

  it('is refused by the hub for someone without pod:exec, and the refusal is audited', async () => {
    const viewer = await addUser(c.pipeline.hub, { bindings: [{ role: 'viewer', cluster: c.cluster, namespace: ns }] });
    const context = await c.browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, c.url, viewer);
      await page.goto(link());
      await page.getByRole('region', { name: 'Shell link' }).getByRole('button', { name: 'Open shell' }).click();
      const terminal = page.getByTestId('terminal-s1').locator('.xterm-rows');
      await expect
        .poll(() => terminal.textContent(), { timeout: 20_000 })
        .toMatch(/Could not open the shell: .*pod:exec/);
      const audit = await c.pipeline.hub.app.inject({
        url: `/api/v1/audit?action=shell.start&actor=${viewer.username}`,
        headers: { authorization: `Bearer ${c.user.token}` },
      });
      const records = audit.json<{ items: { outcome: string; actor: string }[] }>().items;
      // The WebSocket attempt, and the console's plain GET that learns why (browsers hide a refused upgrade's answer).
      expect(records.length).toBeGreaterThan(0);
      expect(new Set(records.map((r) => `${r.actor} ${r.outcome}`))).toEqual(new Set([`${viewer.username} denied`]));
      // No session was started (the admin sees everyone's).
      const all = await c.pipeline.hub.app.inject({
        url: '/api/v1/sessions',
        headers: { authorization: `Bearer ${c.user.token}` },
      });
      expect(all.json<{ items: { user: string }[] }>().items.filter((s) => s.user === viewer.username)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('names what is wrong with a malformed link and offers nothing to open', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/shell/${ns}/multi?container=Side_Car`);
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('This shell link is not valid: "Side_Car" is not a container name (a DNS label).');
    expect(await page.getByRole('button', { name: 'Open shell' }).count()).toBe(0);
  });
});
