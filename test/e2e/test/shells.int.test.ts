// Pod shells in the browser and exec guard: two shells open at once (one via
// the container picker), minimized to the tray while browsing, switched with
// the tray's menu, each echoing in its own terminal; then the exec guard
// badge counts down on the pod someone entered, and Extend moves the eviction.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINATION_TIME_ANNOTATION, webhookConfiguration } from '@wheelhouse/exec-guard';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, terminalState, type Console } from '../src/console.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);

describe('console: pod shells and exec guard', () => {
  let c: Console;
  let ns: string;
  let apiPod: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'wh-e2e-eg-'));
  const webhookName = `wheelhouse-e2e-eg-${Math.random().toString(36).slice(2, 8)}`;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-sh');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'api' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api' } },
            spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'shop/api:4.1' }] },
          },
        },
      },
    });
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
    apiPod = await eventually('the api pod running', async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=api' })).items;
      return pods.find((p) => p.status?.phase === 'Running')?.metadata?.name;
    });
    await eventually(
      'multi running',
      async () => (await core.readNamespacedPod({ namespace: ns, name: 'multi' })).status?.phase === 'Running',
    );
  });
  afterAll(async () => {
    await admission.deleteValidatingWebhookConfiguration({ name: webhookName }).catch(() => undefined);
    await c.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const terminal = (key: string) => c.page.getByTestId(`terminal-${key}`).locator('.xterm-rows');

  it('opens two shells, minimizes, switches and echoes in each', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/pods?namespace=${ns}`);
    await page.getByRole('button', { name: `Shell into ${apiPod}` }).click();
    await page.getByTestId('terminal-s1').click();
    await page.keyboard.type('echo "hello-$((20 + 22))"\n');
    await expect.poll(() => terminal('s1').textContent(), { timeout: 20_000 }).toContain('hello-42');

    // Minimize and keep browsing inside the app: the session stays open.
    await page.getByRole('button', { name: `Minimize shell ${apiPod}/app` }).click();
    await page.getByRole('link', { name: 'Nodes' }).click();
    await page.getByRole('heading', { name: 'Nodes' }).waitFor();
    await page.getByRole('link', { name: 'Pods & logs' }).click();
    await page.getByLabel('Namespace').selectOption(ns);

    // A two-container pod asks which container.
    await page.getByRole('button', { name: 'Shell into multi', exact: true }).click();
    const picker = page.getByRole('dialog', { name: 'Open a shell in multi' });
    await picker.getByLabel('Container').selectOption('sidecar');
    await picker.getByRole('button', { name: 'Open shell' }).click();
    await page.getByTestId('terminal-s2').click();
    await page.keyboard.type('echo "side-$((1 + 1))"\n');
    await expect.poll(() => terminal('s2').textContent(), { timeout: 20_000 }).toContain('side-2');
    await c.screenshot('shell');

    // Switch back with the tray's menu: the first terminal kept its scrollback and still works.
    const tray = page.getByRole('region', { name: 'Shells' });
    const options = await tray.getByLabel('Open shells').locator('option').allTextContents();
    expect(options.filter((o) => o.includes(apiPod) || o.includes('multi/sidecar'))).toHaveLength(2);
    await tray.getByLabel('Open shells').selectOption({ index: options.findIndex((o) => o.includes(apiPod)) });
    expect(await terminal('s1').textContent()).toContain('hello-42');
    await page.getByTestId('terminal-s1').click();
    await page.keyboard.type('echo "again-$((2 * 21))"\n');
    await expect.poll(() => terminal('s1').textContent(), { timeout: 20_000 }).toContain('again-42');
    expect(await terminal('s2').textContent()).not.toContain('again-42');
    await page.getByRole('button', { name: `Minimize shell ${apiPod}/app` }).click();
    await c.screenshot('shell-tray');

    // Both sessions are recorded on the hub as this user's.
    const sessions = await c.pipeline.hub.app.inject({
      method: 'GET',
      url: '/api/v1/sessions',
      headers: { authorization: `Bearer ${c.user.token}` },
    });
    const items = sessions.json<{ items: { pod: string; container: string; user: string }[] }>().items;
    expect(items.map((s) => `${s.pod}/${s.container}`).sort()).toEqual([`${apiPod}/app`, 'multi/sidecar'].sort());
    expect(new Set(items.map((s) => s.user))).toEqual(new Set([c.user.username]));
  });

  it('shows the exec guard countdown on an entered pod and extends it', async () => {
    const { page } = c;
    // The shell above went through the API server's exec: exec guard labelled the pod.
    const before = await eventually(
      'exec guard to set the eviction time',
      async () =>
        (await core.readNamespacedPod({ namespace: ns, name: apiPod })).metadata?.annotations?.[
          TERMINATION_TIME_ANNOTATION
        ],
    );
    await page.getByRole('link', { name: apiPod }).first().click();
    await page.getByRole('heading', { name: `Pod ${ns}/${apiPod}` }).waitFor();
    const timer = page.getByRole('timer');
    await expect.poll(() => timer.getAttribute('aria-label')).toMatch(/Evicted by exec guard in \d+m\d\ds/);
    const first = (await timer.getAttribute('aria-label')) ?? '';
    await expect.poll(() => timer.getAttribute('aria-label'), { timeout: 5_000 }).not.toBe(first);
    const leftBefore = minutesLeft(first);
    expect(leftBefore).toBeGreaterThan(8);
    expect(leftBefore).toBeLessThanOrEqual(10);

    await page.getByRole('button', { name: 'Extend eviction time' }).click();
    const dialog = page.getByRole('dialog', { name: `Extend eviction time: Pod ${ns}/${apiPod}` });
    await dialog.getByLabel('Duration').fill('45m');
    await dialog.getByLabel('Reason').fill('e2e: still debugging');
    await dialog.getByRole('button', { name: 'Run extend eviction time' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    const after =
      (await core.readNamespacedPod({ namespace: ns, name: apiPod })).metadata?.annotations?.[
        TERMINATION_TIME_ANNOTATION
      ] ?? '';
    expect(Date.parse(after) - Date.parse(before)).toBe(45 * 60_000);
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await expect
      .poll(async () => minutesLeft((await timer.getAttribute('aria-label')) ?? ''))
      .toBeGreaterThan(leftBefore + 40);
    await c.screenshot('exec-guard');
  });

  it('keeps a shell across a reload and a deep link: the same process, its earlier output on screen', async () => {
    const { page } = c;
    const shown = () => page.locator('section.shell-panel:not([hidden])');
    const screen = () => shown().locator('.xterm-rows');
    await page.goto(`${c.url}/c/${c.cluster}/pods?namespace=${ns}`);
    await page.getByRole('button', { name: `Shell into ${apiPod}` }).click();
    await expect.poll(() => shown().locator('.hint').first().textContent()).toContain('connected');
    const head = (await shown().locator('.hint').first().textContent()) ?? '';
    await shown().locator('.shell-term').click();
    await page.keyboard.type('KEPT="kept-$((40 + 2))"; echo "before-$KEPT"\n');
    await expect.poll(() => screen().textContent(), { timeout: 20_000 }).toContain('before-kept-42');

    await page.reload();
    // The panel is back, on the same hub session, with what was on screen.
    await expect.poll(() => screen().textContent(), { timeout: 20_000 }).toContain('before-kept-42');
    await expect.poll(() => shown().locator('.hint').first().textContent()).toBe(head);
    await shown().locator('.shell-term').click();
    await page.keyboard.type('echo "after-$KEPT"\n');
    await expect.poll(() => screen().textContent(), { timeout: 20_000 }).toContain('after-kept-42');

    // A deep link opened in this tab is a new page too.
    await page.goto(`${c.url}/c/${c.cluster}/nodes`);
    await page.getByRole('heading', { name: 'Nodes' }).waitFor();
    await expect.poll(() => screen().textContent(), { timeout: 20_000 }).toContain('after-kept-42');
    await shown().locator('.shell-term').click();
    await page.keyboard.type('echo "deep-$KEPT"\n');
    await expect.poll(() => screen().textContent(), { timeout: 20_000 }).toContain('deep-kept-42');

    // The hub's record says the session was taken back twice, and that it is still the one session.
    const sessionId = /session ([0-9a-f]{8})/.exec(head)?.[1] ?? '';
    const sessions = await c.pipeline.hub.app.inject({
      url: '/api/v1/sessions',
      headers: { authorization: `Bearer ${c.user.token}` },
    });
    const mine = sessions
      .json<{ items: { id: string; reattaches: number; endedAt: number | null }[] }>()
      .items.find((s) => s.id.startsWith(sessionId));
    expect(mine).toMatchObject({ reattaches: 2, endedAt: null });
  });

  it('docks a shell usable at 1366×768, resizable with the mouse and the keyboard', async () => {
    const { page } = c;
    await page.setViewportSize({ width: 1366, height: 768 });
    try {
      // A fresh page with no shell of the earlier tests to take back: one restored while this one
      // opens would take the dock from it.
      await page.evaluate(() => sessionStorage.clear());
      await page.goto(`${c.url}/c/${c.cluster}/pods?namespace=${ns}`);
      await page.getByRole('button', { name: `Shell into ${apiPod}` }).click();
      await expect.poll(() => page.locator('section.shell-panel').count()).toBe(1);
      const panel = page.locator('section.shell-panel:not([hidden])');
      await expect.poll(() => panel.locator('.hint').first().textContent()).toContain('connected');
      // Everything of the panel is on screen: its header's buttons and the terminal.
      const box = async () => {
        const b = await panel.boundingBox();
        if (!b) throw new Error('no panel');
        return b;
      };
      const first = await box();
      expect(first.y).toBeGreaterThan(0);
      expect(first.y + first.height).toBeLessThanOrEqual(768);
      for (const name of [`Minimize shell ${apiPod}/app`, `Close shell ${apiPod}/app`]) {
        const b = await panel.getByRole('button', { name }).first().boundingBox();
        expect(b && b.x + b.width <= 1366 && b.y >= 0).toBe(true);
      }
      const rows = async () => {
        await panel.locator('.shell-term').click();
        await page.keyboard.type('clear; stty size\n');
        let size = '';
        await expect
          .poll(async () => {
            size = /(\d+) \d+/.exec((await panel.locator('.xterm-rows').textContent()) ?? '')?.[1] ?? '';
            return size;
          })
          .toMatch(/^\d+$/);
        return Number(size);
      };
      const before = await rows();

      // Keyboard: the handle is a focusable separator; Arrow Up grows the panel and the terminal re-fits.
      const handle = page.getByRole('separator', { name: 'Resize shell panel' }).and(panel.locator('.shell-resize'));
      await handle.focus();
      for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowUp');
      await expect.poll(async () => (await box()).height).toBeCloseTo(first.height + 5 * 24, -1);
      expect(Number(await handle.getAttribute('aria-valuenow'))).toBe(Math.round(first.height) + 5 * 24);
      await expect.poll(rows).toBeGreaterThan(before);
      // Home: as high as the window allows, the header still on screen.
      await handle.focus();
      await page.keyboard.press('Home');
      expect((await box()).y).toBeGreaterThan(0);

      // Mouse: drag the top edge down by 200 px.
      const h0 = (await box()).height;
      const hb = await handle.boundingBox();
      if (!hb) throw new Error('no handle');
      await page.mouse.move(hb.x + 300, hb.y + hb.height / 2);
      await page.mouse.down();
      await page.mouse.move(hb.x + 300, hb.y + hb.height / 2 + 200, { steps: 5 });
      await page.mouse.up();
      await expect.poll(async () => (await box()).height).toBeCloseTo(h0 - 200, -1);
      await c.screenshot('shell-resized-1366');
      await page
        .getByRole('button', { name: `Close shell ${apiPod}/app` })
        .first()
        .click();
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });
});

/** "Evicted by exec guard in 54m12s" → 54.2; "1h02m" → 62. */
function minutesLeft(label: string): number {
  const h = /(\d+)h(\d+)m/.exec(label);
  if (h) return Number(h[1]) * 60 + Number(h[2]);
  const m = /(\d+)m(\d+)s/.exec(label);
  if (m) return Number(m[1]) + Number(m[2]) / 60;
  const s = /(\d+)s/.exec(label);
  return s ? Number(s[1]) / 60 : NaN;
}

describe('console: a shell that ends on its own says why', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);
  beforeAll(async () => {
    ns = await testNamespace('e2e-quiet');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'quiet' },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'shop/app:1' }] },
      },
    });
    await eventually(
      'quiet running',
      async () => (await core.readNamespacedPod({ namespace: ns, name: 'quiet' })).status?.phase === 'Running',
    );
    c = await openConsole({ hub: { shell: { idleTimeoutMs: 3000 } } });
  });
  afterAll(async () => c.close());

  it('shows the idle timeout in the terminal and the panel, and offers to reconnect', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/quiet`);
    await page.getByRole('button', { name: 'Shell into quiet', exact: true }).click();
    const panel = page.getByRole('region', { name: 'Shell quiet/app' });
    await expect.poll(() => panel.textContent(), { timeout: 20_000 }).toContain('connected');
    // Nothing typed: the hub closes it after the idle timeout, and the page says so.
    await expect.poll(() => panel.textContent(), { timeout: 20_000 }).toMatch(/idle timeout/i);
    await expect
      .poll(() => page.getByTestId('terminal-s1').locator('.xterm-rows').textContent(), { timeout: 5_000 })
      .toMatch(/idle timeout/i);
    await panel.getByRole('button', { name: 'Reconnect shell quiet/app' }).click();
    await expect.poll(() => panel.textContent(), { timeout: 20_000 }).toContain('connected');
  });

  it('says so when the agent goes away, and disables what needs it', async () => {
    const { page } = c;
    const panel = page.getByRole('region', { name: 'Shell quiet/app' });
    await c.pipeline.agent.stop();
    await expect.poll(() => panel.textContent(), { timeout: 20_000 }).toMatch(/agent lost/i);
    // The pod's actions now say why they cannot run.
    await page.getByRole('button', { name: 'Actions for Pod quiet' }).click();
    await expect
      .poll(() => page.getByRole('menuitem', { name: /^Delete pod/ }).textContent())
      .toContain('the agent is not connected');
  });
});
