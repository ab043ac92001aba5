// Debug containers in the console (issue 17): the pod page's Debug button adds an
// ephemeral container with an image from the hub's list, targeting a container,
// and "Open shell in debugger-…" enters it; Kubernetes shows the container.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, terminalState, type Console } from '../src/console.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

describe('console: debug containers', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-debug');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'distroless' },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'app', image: 'gcr.io/distroless/static:nonroot' }],
        },
      },
    });
    await eventually(
      'the pod running',
      async () => (await core.readNamespacedPod({ namespace: ns, name: 'distroless' })).status?.phase === 'Running',
    );
    c = await openConsole();
  });
  afterAll(async () => {
    await c.close();
  });

  it('adds a debug container from the pod page and opens a shell in it', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/distroless`);
    await page.getByRole('button', { name: 'Debug', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Add debug container: Pod ${ns}/distroless` });
    // The image is one of the hub's list, nothing else can be typed.
    const options = await dialog.getByLabel('Image').locator('option').allTextContents();
    expect(options).toEqual(['busybox:1.37', 'alpine:3.22', 'nicolaka/netshoot:v0.14']);
    await dialog.getByLabel('Image').selectOption('alpine:3.22');
    await dialog.getByLabel('Target').fill('app');
    await dialog.getByRole('button', { name: 'Run add debug container' }).click();
    expect(await terminalState(page)).toBe('succeeded');

    const pod = await core.readNamespacedPod({ namespace: ns, name: 'distroless' });
    const added = pod.spec?.ephemeralContainers?.[0];
    expect(added).toMatchObject({ image: 'alpine:3.22', targetContainerName: 'app' });
    const name = added?.name ?? '';
    await c.screenshot('debug-container');

    await dialog.getByRole('button', { name: `Open shell in ${name}` }).click();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await page.getByTestId('terminal-s1').click();
    await page.keyboard.type('echo "inside-$((40 + 2))"\n');
    await expect
      .poll(() => page.getByTestId('terminal-s1').locator('.xterm-rows').textContent(), { timeout: 20_000 })
      .toContain('inside-42');
    const tray = page.getByRole('region', { name: 'Shells' });
    expect(await tray.textContent()).toContain(`distroless/${name}`);
  });
});
