// Container logs and live objects are their own permissions (logs:read,
// object:read). An inventory-viewer sees a pod and a ConfigMap in the console
// but, in place of the Logs and YAML tabs' content, the missing permission and
// where; the hub refuses the same reads on its own, naming the permission.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

describe('console: logs and object reads need their own permissions', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-reads');
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'ledger-0' }, spec: { containers: [{ name: 'db', image: 'shop/ledger:9' }] } },
    });
    c = await openConsole({ bindings: [{ role: 'inventory-viewer' }] });
    await eventually('the pod in the hub inventory', async () =>
      Boolean(await c.pipeline.hub.inventory.get(c.cluster, 'Pod', ns, 'ledger-0')),
    );
  });
  afterAll(async () => c.close());

  it('shows the pod, and instead of its logs and YAML the missing permission', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/ledger-0`);
    await page
      .getByRole('heading', { name: new RegExp(`ledger-0`) })
      .first()
      .waitFor();

    await page.getByRole('tab', { name: 'Logs' }).click();
    const logs = page.getByRole('note', { name: 'Container logs: not available' });
    expect(await logs.textContent()).toContain(`you lack logs:read on ${c.cluster}/${ns}`);
    expect(await page.getByRole('region', { name: 'Logs' }).count()).toBe(0);

    await page.getByRole('tab', { name: 'YAML' }).click();
    const yaml = page.getByRole('note', { name: 'YAML of Pod ledger-0: not available' });
    expect(await yaml.textContent()).toContain(`you lack object:read on ${c.cluster}/${ns}`);

    // The hub agrees on its own: the same reads are refused, naming the permission.
    const res = await page.evaluate(
      async ({ cluster, ns }) => {
        const logs = await fetch(`/api/v1/clusters/${cluster}/pods/${ns}/ledger-0/logs`);
        const object = await fetch(`/api/v1/clusters/${cluster}/objects?kind=Pod&namespace=${ns}&name=ledger-0`);
        return [
          { status: logs.status, body: (await logs.json()) as { permission: string } },
          { status: object.status, body: (await object.json()) as { permission: string } },
        ];
      },
      { cluster: c.cluster, ns },
    );
    expect(res).toMatchObject([
      { status: 403, body: { permission: 'logs:read' } },
      { status: 403, body: { permission: 'object:read' } },
    ]);
  });
});
