// The console's resource usage page: what metrics-server measured for a pod,
// against its requests and limits, and its node against allocatable.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

describe('console: resource usage', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-usage');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: {
          name: 'busy',
          annotations: { 'kwok.x-k8s.io/usage-cpu': '250m', 'kwok.x-k8s.io/usage-memory': '300Mi' },
        },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.local/busy:1',
              resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
            },
          ],
        },
      },
    });
    c = await openConsole({ agent: { usageIntervalMs: 3_000 } });
  });
  afterAll(async () => {
    await c.close();
  });

  it('shows a pod’s usage against its requests and limit, and nodes against allocatable', async () => {
    const { page } = c;
    // Other tests' pods named "busy" share the cluster: the namespace picks ours.
    const row = page.locator(`table[aria-label="Pod usage"] tr[data-namespace="${ns}"][data-name="busy"]`);
    // metrics-server needs two scrapes (15 s apart) before it serves a pod; reload until the hub has it.
    await expect
      .poll(
        async () => {
          await page.goto(`${c.url}/c/${c.cluster}/top?kind=pods`);
          await page.locator('table[aria-label="Pod usage"]').waitFor();
          return row.count();
        },
        { timeout: 100_000, interval: 3_000 },
      )
      .toBe(1);
    const cells = (await row.locator('td').allTextContents()).map((t) => t.trim());
    expect(cells.slice(0, 2)).toEqual([ns, 'busy']);
    expect(cells[2]).toMatch(/^2(4|5)\dm$/);
    expect(cells[3]).toMatch(/^(49|50)%$/);
    expect(cells.slice(4)).toEqual(['300Mi', '59%', '29%']);
    await c.screenshot('usage');

    await page.getByLabel('Show').selectOption('nodes');
    const node = (await core.readNamespacedPod({ namespace: ns, name: 'busy' })).spec?.nodeName ?? '';
    const nodeRow = page.locator(`table[aria-label="Node usage"] tr[data-name="${node}"]`);
    await nodeRow.waitFor();
    expect(await nodeRow.locator('td').nth(1).textContent()).toMatch(/^\d+m$/);
  }, 150_000);
});
