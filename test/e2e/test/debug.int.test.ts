// Debug containers in the console (issue 17): the pod page's Debug button adds an
// ephemeral container with an image from the hub's list, targeting a container,
// and "Open shell in debugger-…" enters it; Kubernetes shows the container, and
// exec guard (embedded in the agent, the API server's webhook) records it as drift.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { INTERACTION_TIMESTAMP_LABEL, webhookConfiguration } from '@wheelhouse/exec-guard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, terminalState, type Console } from '../src/console.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);

describe('console: debug containers', () => {
  let c: Console;
  let ns: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'wh-e2e-debug-'));
  const webhookName = `wheelhouse-e2e-debug-${Math.random().toString(36).slice(2, 8)}`;
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
    c = await openConsole({
      agent: {
        execGuard: {
          dataDir,
          selfSigned: true,
          port: 0,
          host: '127.0.0.1',
          ttlSeconds: 600,
          namespaces: [ns],
          leaderElection: { enabled: false },
          logLevel: 'silent',
        },
      },
    });
    const eg = c.pipeline.agent.execGuard;
    if (!eg) throw new Error('exec guard did not start');
    await admission.createValidatingWebhookConfiguration({
      body: webhookConfiguration({
        name: webhookName,
        url: eg.url,
        ...(eg.caBundle ? { caBundle: eg.caBundle } : {}),
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
      }),
    });
  });
  afterAll(async () => {
    await admission.deleteValidatingWebhookConfiguration({ name: webhookName }).catch(() => undefined);
    await c.close();
    rmSync(dataDir, { recursive: true, force: true });
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
    // Drift: exec guard saw the pods/ephemeralcontainers update and labelled the pod.
    await eventually(
      'exec guard to label the pod',
      async () =>
        (await core.readNamespacedPod({ namespace: ns, name: 'distroless' })).metadata?.labels?.[
          INTERACTION_TIMESTAMP_LABEL
        ] !== undefined,
    );
    const events = await eventually('the PodInteraction event', async () => {
      const list = await core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: 'involvedObject.name=distroless,reason=PodInteraction',
      });
      return list.items.length > 0 ? list.items : undefined;
    });
    expect(events.map((e) => e.message)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `'kubectl debug' .*\\(ephemeral container '${name}', image alpine:3\\.22, targeting container 'app'\\)$`,
        ),
      ),
    );
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
