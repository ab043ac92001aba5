// The pod page's diagnostics snapshot in Chromium: one click runs ps, free and
// df in the container (kwok's exec runs them on this machine) and the tables
// show what the action returned.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

describe('console: diagnostics snapshot', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-diag');
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'api' }, spec: { containers: [{ name: 'app', image: 'registry.local/api:1' }] } },
    });
    await eventually('the pod runs', async () => {
      const pod = await core.readNamespacedPod({ namespace: ns, name: 'api' });
      return pod.status?.phase === 'Running' || undefined;
    });
    c = await openConsole();
  });
  afterAll(() => c.close());

  it('takes a snapshot from the pod page: top processes, memory available, disks by use', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/api?tab=diagnostics`);
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    const byMemory = page.getByRole('table', { name: /^Top processes by memory \(of \d+\)$/ });
    await byMemory.waitFor({ timeout: 60_000 });
    expect(await byMemory.locator('tbody tr').count()).toBe(10);
    expect(await page.getByRole('table', { name: 'Top processes by CPU' }).locator('tbody tr').count()).toBe(10);
    expect(await page.getByLabel('Memory available').textContent()).toMatch(
      /^Memory available: [\d.]+Gi of [\d.]+Gi \([\d.]+ %\)/,
    );
    const disks = page.getByRole('table', { name: 'Disks by use' });
    expect(await disks.locator('tbody tr td:first-child').allTextContents()).toContain('/');
    expect(await page.getByLabel('Missing tools').count()).toBe(0);
    // What the page shows is the command's result (the agent's parse of what ran in the container).
    const cmds = await c.pipeline.hub.commands.list({ cluster: c.cluster, limit: 10 });
    const cmd = cmds.items.find((x) => x.action === 'diagnostics-snapshot' && x.target.namespace === ns);
    expect(cmd?.state).toBe('succeeded');
    const top = (cmd?.result as { topByMemory: { pid: number }[] } | null)?.topByMemory ?? [];
    expect(await byMemory.locator('tbody tr td:first-child').allTextContents()).toEqual(top.map((p) => String(p.pid)));
  }, 150_000);
});
