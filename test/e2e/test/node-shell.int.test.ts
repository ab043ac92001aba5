// Node shells in the console (issue 17): the node page's "Shell into node" opens a
// root shell on the node in the shell tray — Kubernetes shows the privileged pod on
// that node while it runs and none once the shell is closed. The button is offered
// only with node:shell (an operator does not see it) and is disabled, with the
// reason, on a cluster whose nodeShell tier is off.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { ALL_TIERS, connectCluster } from '../../../packages/hub/test/support/hub-with-agent.js';
import { addUser } from '../../../packages/hub/test/support/identity.js';
import type { Agent } from '@wheelhouse/agent';
import { openConsole, screenshotOnFailure, signIn, type Console } from '../src/console.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const NODE = 'kwok-node-0';

describe('console: node shell', () => {
  let c: Console;
  let ns: string;
  let plainCluster: string;
  let plainAgent: Agent;
  screenshotOnFailure(() => c);
  const pods = async (): Promise<k8s.V1Pod[]> =>
    (await core.listNamespacedPod({ namespace: ns })).items.filter((p) => !p.metadata?.deletionTimestamp);

  beforeAll(async () => {
    ns = await testNamespace('e2e-nodesh');
    c = await openConsole({
      capabilities: { ...ALL_TIERS, nodeShell: true },
      // kwok's exec runs on this machine, where nsenter into PID 1 is refused: sh stands in for the node's shell.
      agent: { nodeShell: { namespace: ns, command: ['sh'] } },
    });
    plainCluster = `${c.cluster}-plain`;
    plainAgent = (await connectCluster(c.pipeline.hub, c.url, plainCluster, { capabilities: ALL_TIERS })).agent;
    await eventually('the node in both inventories', async () => {
      const found = await Promise.all(
        [c.cluster, plainCluster].map((x) => c.pipeline.hub.inventory.get(x, 'Node', '', NODE)),
      );
      return found.every(Boolean);
    });
  });
  afterAll(async () => {
    await plainAgent.stop();
    await c.close();
  });

  it('opens a root shell on the node in the tray; the pod runs on that node and is gone once the shell is closed', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/nodes/${NODE}`);
    await page.getByRole('button', { name: 'Shell into node' }).click();
    const terminal = page.getByTestId('terminal-s1');
    await terminal.click();
    await page.keyboard.type('echo "root-on-node-$((40 + 2))"\n');
    await expect
      .poll(() => terminal.locator('.xterm-rows').textContent(), { timeout: 30_000 })
      .toContain('root-on-node-42');
    const running = await pods();
    expect(running).toHaveLength(1);
    expect(running[0]?.spec?.nodeName).toBe(NODE);
    expect(running[0]?.spec?.containers[0]?.securityContext?.privileged).toBe(true);
    const panel = page.getByRole('region', { name: `Shell node/${NODE}` });
    expect(await panel.textContent()).toContain(`root shell on node ${NODE} @ ${c.cluster}`);
    await c.screenshot('node-shell');

    await page.getByRole('button', { name: `Close shell node/${NODE}` }).click();
    await eventually('the node-shell pod deleted', async () => (await pods()).length === 0, { timeoutMs: 15_000 });
  });

  it('is disabled with the reason where the nodeShell tier is off', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${plainCluster}/nodes/${NODE}`);
    const button = page.getByRole('button', { name: 'Shell into node' });
    await expect.poll(() => button.isDisabled()).toBe(true);
    expect(await button.getAttribute('title')).toBe(
      `No node shell: node shells (the nodeShell tier) are not enabled on ${plainCluster}: the agent needs --tiers …,nodeShell (chart actions.nodeShell)`,
    );
  });

  it('is not offered without node:shell (an operator of the whole cluster)', async () => {
    const operator = await addUser(c.pipeline.hub, { bindings: [{ role: 'operator' }] });
    const context = await c.browser.newContext({ viewport: { width: 1440, height: 900 } });
    try {
      const page = await context.newPage();
      await signIn(page, c.url, operator);
      await page.goto(`${c.url}/c/${c.cluster}/nodes/${NODE}`);
      // The page has loaded (the node's own buttons are there), and no node shell is offered.
      await page
        .getByRole('button', { name: /^Cordon/ })
        .first()
        .waitFor();
      expect(await page.getByRole('button', { name: 'Shell into node' }).count()).toBe(0);
    } finally {
      await context.close();
    }
    expect(await pods()).toEqual([]);
  });
});
