// The on-call path through the console against the real cluster: workloads
// with health, then scale (preview + live status), roll back, restart, delete
// a pod, edit YAML with the server's dry-run diff, cordon and drain a node. Each step
// is checked in Kubernetes itself, not only on the page.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, rolledOut, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, terminalState, type Console } from '../src/console.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const node = `e2e-node-${randomBytes(3).toString('hex')}`;

describe('console: workloads and actions', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-wl');
    const tpl = (image: string) => ({
      metadata: { labels: { app: 'storefront' } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image }] },
    });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'storefront' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'storefront' } }, template: tpl('shop/storefront:1.0') },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'payments-worker' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'payments-worker' } },
          template: {
            metadata: {
              labels: { app: 'payments-worker', 'wheelhouse.dev/simulate': 'crashloop' },
              annotations: { 'wheelhouse.dev/exit-code': '1', 'wheelhouse.dev/reason': 'Error' },
            },
            spec: { containers: [{ name: 'worker', image: 'shop/payments:3.2' }] },
          },
        },
      },
    });
    await eventually(
      'storefront revision 1 ready',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: ns, name: 'storefront' })).status?.readyReplicas === 2,
    );
    // A second revision, so there is something to roll back to.
    await apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'storefront',
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'shop/storefront:1.1' }],
    });
    await eventually('storefront revision 2 rolled out', async () =>
      rolledOut(await apps.readNamespacedDeployment({ namespace: ns, name: 'storefront' }), 2),
    );
    await core.createNode({
      body: {
        metadata: {
          name: node,
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
          labels: { 'kubernetes.io/hostname': node, type: 'kwok' },
        },
        spec: { taints: [{ key: 'wheelhouse.dev/e2e', value: node, effect: 'NoSchedule' }] },
        status: {
          allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
          capacity: { cpu: '8', memory: '32Gi', pods: '110' },
        },
      },
    });
    c = await openConsole();
  });
  afterAll(async () => {
    await core.deleteNode({ name: node }).catch(() => undefined);
    await c.close();
  });

  const row = (name: string) => c.page.locator(`table[aria-label="Workloads"] tr[data-name="${name}"]`);

  it('lists workloads with health, restarts and images, live', async () => {
    const { page } = c;
    const started = Date.now();
    await page.goto(`${c.url}/c/${c.cluster}/workloads?namespace=${ns}`);
    await row('storefront').waitFor();
    const firstRender = Date.now() - started;
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return { domContentLoaded: n?.domContentLoadedEventEnd ?? 0, rendered: performance.now() };
    });
    console.log(
      `[e2e] workloads page: first row after ${firstRender} ms from navigation (page clock: DOMContentLoaded ${nav.domContentLoaded.toFixed(0)} ms, row at ${nav.rendered.toFixed(0)} ms)`,
    );
    await expect.poll(() => row('storefront').textContent()).toMatch(/healthy.*2\/2/);
    await expect.poll(() => row('storefront').textContent()).toContain('shop/storefront:1.1');
    // The crash loop shows as restarts on its workload, live.
    await expect
      .poll(
        async () => Number((await row('payments-worker').locator('td[data-col="restarts"]').textContent()) ?? '0'),
        {
          timeout: 60_000,
        },
      )
      .toBeGreaterThan(0);
    // The theme switch: dark until switched back, kept across reloads.
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.reload();
    await row('storefront').waitFor();
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(16, 20, 27)');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
  });

  it('scales with a preview and live status until Kubernetes shows the new count', async () => {
    const { page } = c;
    await row('storefront')
      .getByRole('button', { name: /Actions for Deployment storefront/ })
      .click();
    await page.getByRole('menuitem', { name: /^Scale/ }).click();
    const dialog = page.getByRole('dialog', { name: `Scale: Deployment ${ns}/storefront` });
    await dialog.getByLabel('Replicas').fill('3');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const preview = dialog.getByRole('region', { name: 'Preview' }).or(dialog.locator('section[aria-label="Preview"]'));
    await expect.poll(() => preview.first().textContent()).toMatch(/replicas.*2.*3/s);
    await c.screenshot('action-preview');
    await dialog.getByLabel('Reason').fill('e2e: more capacity');
    await dialog.getByRole('button', { name: 'Run scale' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'storefront' });
    expect(d.spec?.replicas).toBe(3);
    expect(d.status?.readyReplicas).toBe(3);
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await expect.poll(() => row('storefront').textContent()).toMatch(/3\/3/);
  });

  it('keeps the previews that dialogs ran out of history: not on the timeline nor the Actions list, audited as previews', async () => {
    const { page } = c;
    // The scale above ran a preview before the real scale: the workload's timeline shows only the scale.
    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/storefront?tab=timeline`);
    const events = page.locator('table[aria-label="Timeline events"]');
    await expect.poll(() => events.textContent(), { timeout: 30_000 }).toMatch(/scale by .*succeeded/);
    expect(await events.textContent()).not.toMatch(/dry run/);
    // The Actions page leaves previews out until asked, and the choice is in the URL.
    await page.goto(`${c.url}/c/${c.cluster}/actions`);
    const actions = page.locator('table[aria-label="Actions"]');
    const storefront = actions.locator('tr', { hasText: `${ns}/storefront` });
    await expect.poll(() => storefront.count()).toBeGreaterThan(0);
    expect(await storefront.allTextContents()).not.toContainEqual(expect.stringMatching(/dry run/));
    await page.getByLabel('Show dry runs (previews)').check();
    await expect.poll(() => storefront.allTextContents()).toContainEqual(expect.stringMatching(/scale \(dry run\)/));
    expect(new URL(page.url()).searchParams.get('previews')).toBe('include');
    // The audit keeps the preview, under its own name.
    await page.goto(`${c.url}/audit`);
    await page.getByLabel('Action', { exact: true }).fill('preview:*');
    await page.getByLabel('Action', { exact: true }).press('Enter');
    await expect
      .poll(() => page.locator('main table').first().textContent(), { timeout: 30_000 })
      .toContain('preview:scale');
    await page.goto(`${c.url}/c/${c.cluster}/workloads?namespace=${ns}`);
    await row('storefront').waitFor();
  });

  it('rolls back to the previous revision', async () => {
    const { page } = c;
    await row('storefront')
      .getByRole('button', { name: /Actions for Deployment storefront/ })
      .click();
    await page.getByRole('menuitem', { name: /^Roll back/ }).click();
    const dialog = page.getByRole('dialog', { name: `Roll back: Deployment ${ns}/storefront` });
    // The revisions to choose from, not a blank number: the current one marked and not choosable,
    // the previous one chosen (what `kubectl rollout undo` picks), images and what differs shown.
    const revisions = dialog.getByRole('table', { name: 'Revisions' });
    await expect.poll(() => revisions.locator('tbody tr').count()).toBe(2);
    const current = revisions.locator('tr[data-revision="2"]');
    expect(await current.textContent()).toMatch(/2 \(current\).*shop\/storefront:1\.1.*scale to 3 by/s);
    expect(await current.getByRole('radio').isDisabled()).toBe(true);
    const previous = revisions.locator('tr[data-revision="1"]');
    expect(await previous.textContent()).toContain('shop/storefront:1.0 (current: shop/storefront:1.1)');
    expect(await previous.getByRole('radio').isChecked()).toBe(true);
    await previous.getByRole('radio').check();
    const preview = dialog.locator('section[aria-label="Preview"]');
    await expect.poll(() => preview.textContent()).toMatch(/shop\/storefront:1\.1.*shop\/storefront:1\.0/s);
    await c.screenshot('rollback-revisions');
    await dialog.getByRole('button', { name: 'Run roll back' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'storefront' });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('shop/storefront:1.0');
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await expect.poll(() => row('storefront').textContent()).toContain('shop/storefront:1.0');
  });

  it('restarts the deployment (a new rollout of every pod)', async () => {
    const { page } = c;
    const before = new Set(
      (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=storefront' })).items.map(
        (p) => p.metadata?.name,
      ),
    );
    await row('storefront')
      .getByRole('button', { name: /Actions for Deployment storefront/ })
      .click();
    await page.getByRole('menuitem', { name: /^Restart/ }).click();
    const dialog = page.getByRole('dialog', { name: `Restart: Deployment ${ns}/storefront` });
    await dialog.getByRole('button', { name: 'Run restart' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'storefront' });
    expect(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeTruthy();
    const after = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=storefront' })).items.filter(
      (p) => !p.metadata?.deletionTimestamp,
    );
    expect(after.some((p) => before.has(p.metadata?.name))).toBe(false);
    await dialog.getByRole('button', { name: 'Close' }).first().click();
  });

  it('deletes a pod from the workload page and the controller replaces it', async () => {
    const { page } = c;
    await row('storefront').getByRole('link', { name: 'storefront' }).click();
    await page.getByRole('heading', { name: `Deployment ${ns}/storefront` }).waitFor();
    const pods = page.locator('table[aria-label="Pods"] tbody tr[data-name]');
    await expect.poll(() => pods.count()).toBe(3);
    const victim = (await pods.first().getAttribute('data-name')) ?? '';
    await pods.first().getByRole('button', { name: 'Delete pod' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete pod: Pod ${ns}/${victim}` });
    await dialog.getByRole('button', { name: 'Run delete pod' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    await eventually('the pod to be gone and replaced', async () => {
      const live = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=storefront' })).items.filter(
        (p) => !p.metadata?.deletionTimestamp,
      );
      return !live.some((p) => p.metadata?.name === victim) && live.length === 3;
    });
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await expect.poll(async () => (await pods.allTextContents()).some((t) => t.includes(victim))).toBe(false);
  });

  it('edits YAML: validation, the server dry-run diff, then apply', async () => {
    const { page } = c;
    await page.getByRole('tab', { name: 'YAML' }).click();
    await page.getByRole('link', { name: 'Edit YAML' }).click();
    await page.getByRole('heading', { name: `Edit Deployment ${ns}/storefront` }).waitFor();
    const editor = page.getByRole('textbox', { name: 'Manifest' });
    await editor.waitFor();
    await expect.poll(() => editor.textContent()).toContain('image: shop/storefront:1.0');
    // Broken YAML is refused before anything is sent.
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText('\n  bad: [unclosed');
    await expect.poll(() => page.getByRole('list', { name: 'Manifest problems' }).textContent()).toMatch(/line/);
    expect(await page.getByRole('button', { name: 'Preview changes' }).isDisabled()).toBe(true);
    await page.keyboard.press('Control+Z');
    await expect.poll(() => page.getByRole('list', { name: 'Manifest problems' }).count()).toBe(0);
    // Change the image on its line, as a person would.
    const line = page.locator('.cm-line', { hasText: 'image: shop/storefront:1.0' });
    await line.click();
    await page.keyboard.press('End');
    for (let i = 0; i < 3; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('2.0');
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const preview = page.locator('section[aria-label="Preview"]');
    await expect.poll(() => preview.textContent()).toMatch(/shop\/storefront:1\.0.*shop\/storefront:2\.0/s);
    await c.screenshot('editor-diff');
    expect(
      (await apps.readNamespacedDeployment({ namespace: ns, name: 'storefront' })).spec?.template.spec?.containers[0]
        ?.image,
    ).toBe('shop/storefront:1.0');
    await page.getByLabel('Reason').fill('e2e: new release');
    await page.getByRole('button', { name: 'Apply' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    expect(
      (await apps.readNamespacedDeployment({ namespace: ns, name: 'storefront' })).spec?.template.spec?.containers[0]
        ?.image,
    ).toBe('shop/storefront:2.0');
  });

  it('creates an object from YAML, then deletes it from the editor', async () => {
    const { page } = c;
    await page.getByRole('link', { name: 'Resource editor' }).click();
    await page.getByRole('heading', { name: 'Create resources' }).waitFor();
    const editor = page.getByRole('textbox', { name: 'Manifest' });
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: feature-flags\n  namespace: ${ns}\ndata:\n  checkout_v2: "on"\n`,
    );
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await expect
      .poll(() => page.locator('section[aria-label="Preview"]').textContent())
      .toMatch(/ConfigMap feature-flags created/);
    expect(await page.getByLabel('Reason').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Apply' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'feature-flags' })).data).toEqual({
      checkout_v2: 'on',
    });

    await page.goto(`${c.url}/c/${c.cluster}/edit?kind=ConfigMap&namespace=${ns}&name=feature-flags`);
    await page.getByRole('heading', { name: `Edit ConfigMap ${ns}/feature-flags` }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete: ConfigMap ${ns}/feature-flags` });
    await dialog.getByRole('button', { name: 'Run delete' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    await expect(core.readNamespacedConfigMap({ namespace: ns, name: 'feature-flags' })).rejects.toThrow();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
  });

  it('cordons a node and shows it unschedulable', async () => {
    const { page } = c;
    await page.getByRole('link', { name: 'Nodes' }).click();
    const nodeRow = page.locator(`table[aria-label="Nodes"] tr[data-name="${node}"]`);
    await expect.poll(() => nodeRow.textContent()).toContain('Ready');
    await nodeRow.getByRole('button', { name: 'Cordon node' }).click();
    const dialog = page.getByRole('dialog', { name: `Cordon node: Node ${node}` });
    await dialog.getByRole('button', { name: 'Run cordon node' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBe(true);
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await expect.poll(() => nodeRow.textContent()).toContain('SchedulingDisabled');
    await expect.poll(() => nodeRow.getByRole('button', { name: 'Uncordon node' }).isVisible()).toBe(true);
    await c.screenshot('nodes');
  });

  it('drains the node: the pods the scheduler placed there are evicted, and Kubernetes shows it', async () => {
    const { page } = c;
    const nodeRow = page.locator(`table[aria-label="Nodes"] tr[data-name="${node}"]`);
    // The node is cordoned by the test before: uncordon it in the console so the scheduler may place pods there.
    await nodeRow.getByRole('button', { name: 'Uncordon node' }).click();
    const uncordon = page.getByRole('dialog', { name: `Uncordon node: Node ${node}` });
    await uncordon.getByRole('button', { name: 'Run uncordon node' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBeFalsy();
    await uncordon.getByRole('button', { name: 'Close' }).first().click();

    // Placed by the scheduler (nodeSelector + toleration), not pinned with nodeName: a drained node
    // must keep the replacements away, which a pinned nodeName would bypass.
    const toleration = { key: 'wheelhouse.dev/e2e', operator: 'Equal', value: node, effect: 'NoSchedule' };
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'placed' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'placed' } },
          template: {
            metadata: { labels: { app: 'placed' } },
            spec: {
              nodeSelector: { 'kubernetes.io/hostname': node },
              tolerations: [toleration],
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'app', image: 'shop/placed:1' }],
            },
          },
        },
      },
    });
    const placed = async () =>
      (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=placed' })).items.filter(
        (p) => !p.metadata?.deletionTimestamp,
      );
    const before = await eventually('2 pods scheduled onto the node and running', async () => {
      const pods = await placed();
      return pods.length === 2 && pods.every((p) => p.spec?.nodeName === node && p.status?.phase === 'Running')
        ? pods
        : undefined;
    });
    const uidsBefore = before.map((p) => p.metadata?.uid ?? '');

    await nodeRow.getByRole('button', { name: 'Drain node' }).click();
    const dialog = page.getByRole('dialog', { name: `Drain node: Node ${node}` });
    // The preview names the pods that would be evicted.
    await expect.poll(() => dialog.locator('section[aria-label="Preview"]').textContent()).toMatch(/placed-.*evicted/s);
    await dialog.getByLabel('Timeout seconds').fill('60');
    await dialog.getByRole('button', { name: 'Run drain node' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    expect(await dialog.getByRole('status', { name: 'Command status' }).textContent()).toMatch(
      /drained: cordoned, evicted 2 pods/,
    );
    await dialog.getByRole('button', { name: 'Close' }).first().click();

    // In Kubernetes: the node is cordoned, the two pods (by UID) are gone, and their replacements
    // exist but are not on the node — its only matching node is unschedulable, so they wait.
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBe(true);
    const all = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=placed' })).items;
    expect(all.filter((p) => uidsBefore.includes(p.metadata?.uid ?? ''))).toEqual([]);
    const replacements = await eventually('the ReplicaSet to create 2 replacements', async () => {
      const pods = await placed();
      return pods.length === 2 ? pods : undefined;
    });
    for (const p of replacements) {
      expect(uidsBefore).not.toContain(p.metadata?.uid);
      expect(p.spec?.nodeName ?? '').not.toBe(node);
      expect(p.status?.phase).toBe('Pending');
    }
  });
});
