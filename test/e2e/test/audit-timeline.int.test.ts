// Evidence and history in the console: the service timeline of a workload
// (deploy diff in the drawer, the action with its state), live log tail, the
// shell recording played back, and the audit log — verified, filtered, and a
// tampered record named after someone edits the database file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendContainerLog } from '@wheelhouse/test-cluster';
import { eventually, kubeConfig, rolledOut, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, terminalState, type Console } from '../src/console.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);

describe('console: timeline, logs, recordings and audit', () => {
  let c: Console;
  let ns: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'wh-e2e-audit-'));
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-ev');
    c = await openConsole({ hub: { dataDir } });
    const tpl = (image: string) => ({
      metadata: { labels: { app: 'checkout' } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image }] },
    });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'checkout' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'checkout' } }, template: tpl('shop/checkout:7.0') },
      },
    });
    await eventually(
      'checkout ready',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: ns, name: 'checkout' })).status?.readyReplicas === 1,
    );
    await apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'checkout',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'shop/checkout:7.1' }],
    });
    await eventually('checkout 7.1 rolled out', async () =>
      rolledOut(await apps.readNamespacedDeployment({ namespace: ns, name: 'checkout' }), 1),
    );
  });
  afterAll(async () => {
    await c.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the workload timeline: the deploy with its diff, and an action with its state', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/checkout?tab=timeline`);
    const table = page.getByRole('table', { name: 'Timeline events' });
    const deploy = table.locator('tr[data-type="spec-change"]');
    await expect.poll(() => deploy.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect.poll(() => table.locator('tr[data-type="pod-phase"]').count()).toBeGreaterThan(0);
    // An action run from the page appears on the same timeline, live, with its final state.
    await page.getByRole('button', { name: /Actions for Deployment checkout/ }).click();
    await page.getByRole('menuitem', { name: /^Annotate/ }).click();
    const dialog = page.getByRole('dialog', { name: `Annotate: Deployment ${ns}/checkout` });
    await dialog.getByLabel('Key').fill('example.com/incident');
    await dialog.getByLabel('Value').fill('incident 4711');
    await dialog.getByRole('button', { name: 'Run annotate' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    // The annotation is on the object, as the API server has it.
    const annotated = await apps.readNamespacedDeployment({ namespace: ns, name: 'checkout' });
    expect(annotated.metadata?.annotations?.['example.com/incident']).toBe('incident 4711');
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await expect
      .poll(() => table.locator('tr[data-type="action"]').allTextContents(), { timeout: 30_000 })
      .toEqual(expect.arrayContaining([expect.stringMatching(/annotate.*succeeded/i)]));
    // One row per command, in its newest state: the pending/dispatched/running steps are not repeated.
    expect(
      (await table.locator('tr[data-type="action"]').allTextContents()).filter((t) =>
        /: (pending|dispatched|running)/.test(t),
      ),
    ).toEqual([]);
    await page.getByLabel('Time range').selectOption({ label: 'Last 15 minutes' });
    await expect.poll(() => deploy.count()).toBeGreaterThan(0);
    // The deploy's drawer shows what changed.
    await deploy.filter({ hasText: '7.1' }).first().getByRole('button').first().click();
    const drawer = page.getByRole('dialog', { name: 'Event details' });
    await expect.poll(() => drawer.textContent()).toMatch(/shop\/checkout:7\.0.*shop\/checkout:7\.1/s);
    // The drawer offers the object's actions right there.
    expect(await drawer.getByRole('button', { name: 'Actions for Deployment checkout' }).isEnabled()).toBe(true);
    await c.screenshot('timeline-drawer');
    await drawer.getByRole('button', { name: 'Close' }).click();
  });

  it('tails the logs of a pod live', async () => {
    const { page } = c;
    const pod =
      (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=checkout' })).items.find(
        (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
      )?.metadata?.name ?? '';
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/${pod}?tab=logs`);
    const log = page.getByRole('log', { name: `Logs of ${pod}/app` });
    await expect
      .poll(() => page.getByRole('group', { name: 'Log options' }).getByRole('status').textContent())
      .toMatch(/following/);
    const marker = `e2e-log-line-${Date.now()}`;
    await appendContainerLog([marker]);
    await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain(marker);
    await page.getByLabel('Search logs').fill(marker);
    await expect.poll(() => log.locator('mark').first().textContent()).toBe(marker);
    await c.screenshot('logs');
  });

  it('plays back a shell recording in the page', async () => {
    const { page } = c;
    const pod =
      (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=checkout' })).items.find(
        (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
      )?.metadata?.name ?? '';
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/${pod}`);
    await page.getByRole('button', { name: `Shell into ${pod}`, exact: true }).click();
    await page.getByTestId('terminal-s1').click();
    await page.keyboard.type('echo "recorded-$((6 * 7))"\n');
    await expect
      .poll(() => page.getByTestId('terminal-s1').locator('.xterm-rows').textContent(), { timeout: 20_000 })
      .toContain('recorded-42');
    await page.getByRole('button', { name: `Close shell ${pod}/app` }).click();
    await page.getByRole('link', { name: 'Shell sessions' }).click();
    const play = page.getByRole('button', { name: new RegExp(`Play recording of ${pod}`) });
    await expect.poll(() => play.count(), { timeout: 20_000 }).toBe(1);
    await play.click();
    const player = page.getByTestId('recording-terminal').locator('.xterm-rows');
    await expect.poll(() => player.textContent(), { timeout: 20_000 }).toContain('recorded-42');
  });

  it('verifies the audit chain, filters records, and names a tampered record', async () => {
    const { page } = c;
    await page.goto(`${c.url}/audit`);
    const status = page.getByRole('status', { name: 'Chain verification' });
    await expect.poll(() => status.textContent()).toMatch(/Chain verified: \d+ records intact/);
    await page.getByLabel('Action', { exact: true }).fill('action:*');
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = page.getByRole('table', { name: 'Audit records' }).locator('tbody tr[data-seq]');
    await expect.poll(async () => (await rows.allTextContents()).every((t) => t.includes('action:'))).toBe(true);
    await expect
      .poll(() => rows.allTextContents())
      .toEqual(expect.arrayContaining([expect.stringContaining('action:annotate')]));
    // The filter is in the URL (a shareable view that survives a reload); times are ISO 8601 (UTC);
    // the target opens the object; the detail reads as fields, not JSON.
    expect(new URL(page.url()).searchParams.get('action')).toBe('action:*');
    await page.reload();
    await expect.poll(async () => (await rows.allTextContents()).every((t) => t.includes('action:'))).toBe(true);
    const annotate = rows.filter({ hasText: 'action:annotate' }).first();
    expect(await annotate.locator('time').textContent()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(await annotate.getByRole('term').allTextContents()).toContain('command id');
    expect(await annotate.textContent()).not.toContain('{"commandId"');
    expect(await annotate.getByRole('link').getAttribute('href')).toMatch(new RegExp(`/c/${c.cluster}/`));
    // Export takes the same filters: the file holds exactly the records the page selects.
    const href = await page.getByRole('link', { name: 'Export JSON lines' }).getAttribute('href');
    expect(href).toContain('action=action%3A*');
    const exported = await page.evaluate(async (u) => (await fetch(u)).text(), href ?? '');
    const actions = exported
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { action: string }).action);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a) => a.startsWith('action:'))).toBe(true);
    // "My actions": what the signed-in person did.
    await page.getByRole('button', { name: 'My actions' }).click();
    expect(new URL(page.url()).searchParams.get('actor')).toBe(c.user.username);
    await expect.poll(async () => (await rows.allTextContents()).every((t) => t.includes(c.user.username))).toBe(true);
    await c.screenshot('audit');

    // Someone with write access to hub.db edits a record: verification names it.
    const raw = new BetterSqlite3(join(dataDir, 'hub.db'));
    raw.exec('DROP TRIGGER audit_no_update;');
    raw.exec("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2");
    raw.close();
    await page.getByRole('button', { name: 'Verify again' }).click();
    await expect.poll(() => status.textContent()).toMatch(/Chain broken at record 2: .*content does not match/);
  });
});
