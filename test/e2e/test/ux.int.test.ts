// Console polish a person notices (issue 20, items 7 and 10): the editor asks
// before unsaved edits are thrown away and links to what it created; Shell
// disabled with the reason on a container that is not running; danger actions
// styled as such, one way, everywhere; a loading state that is not "No events.";
// logs with readable timestamps, a match count, wrap, download and copy; the
// drain preview on a cordoned node with a pod a PodDisruptionBudget holds.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { appendContainerLog } from '@wheelhouse/test-cluster';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, terminalState, type Console } from '../src/console.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
const policy = kubeConfig().makeApiClient(k8s.PolicyV1Api);

describe('console: polish', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-ux');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'up' },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'shop/app:1' }] },
      },
    });
    // The local cluster's simulation: the image cannot be pulled, so the container waits.
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'stuck', labels: { 'wheelhouse.dev/simulate': 'image-pull-failure' } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'shop/missing:0' }] },
      },
    });
    c = await openConsole();
    await eventually('pods in the hub inventory', async () => {
      const up = await c.pipeline.hub.inventory.get(c.cluster, 'Pod', ns, 'up');
      const stuck = await c.pipeline.hub.inventory.get(c.cluster, 'Pod', ns, 'stuck');
      return up?.summary.phase === 'Running' && stuck?.summary.containers[0]?.state === 'waiting';
    });
  });
  afterAll(() => c.close());

  const podPage = (name: string) => `${c.url}/c/${c.cluster}/pods/${ns}/${name}`;
  /** A control's accessible description (aria-describedby), as a screen reader reads it. */
  const description = async (el: ReturnType<Console['page']['getByRole']>) => {
    const id = await el.getAttribute('aria-describedby');
    return id ? ((await c.page.locator(`[id="${id}"]`).textContent()) ?? '') : '';
  };

  it('asks before unsaved edits are discarded (links, Back, reload, a failed apply) and links to what a create made', async () => {
    const { page } = c;
    const asked: string[] = [];
    let answer = false;
    const onDialog = (d: import('playwright-core').Dialog) => {
      asked.push(`${d.type()}: ${d.message()}`);
      void (answer || d.type() === 'beforeunload' ? d.accept() : d.dismiss());
    };
    page.on('dialog', onDialog);
    try {
      await page.goto(`${c.url}/c/${c.cluster}/pods?namespace=${ns}`);
      await page.getByRole('link', { name: 'Resource editor' }).click();
      await page.getByRole('heading', { name: 'Create resources' }).waitFor();
      const editor = page.getByRole('textbox', { name: 'Manifest' });
      // Untouched, leaving asks nothing.
      await page.getByRole('link', { name: 'Nodes' }).click();
      await page.getByRole('heading', { name: 'Nodes' }).waitFor();
      expect(asked).toEqual([]);
      await page.getByRole('link', { name: 'Resource editor' }).click();
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: draft\n  namespace: ${ns}\ndata:\n  k: v\n`,
      );

      // A link inside the console: asked, and "no" keeps the page and the draft.
      await page.getByRole('link', { name: 'Nodes' }).click();
      await expect.poll(() => asked).toEqual(['confirm: Discard your unsaved changes?']);
      expect(page.url()).toContain('/edit');
      expect(await page.getByRole('heading', { name: 'Create resources' }).isVisible()).toBe(true);
      expect(await editor.textContent()).toContain('name: draft');
      // Back to the previous console page: asked too (Chromium cancels the traversal), "no" stays.
      await page.evaluate(() => history.back());
      await expect.poll(() => asked).toHaveLength(2);
      expect(asked[1]).toBe('confirm: Discard your unsaved changes?');
      expect(page.url()).toContain('/edit');
      expect(await editor.textContent()).toContain('name: draft');
      // A reload or a closed tab: the browser's own question.
      await page.reload();
      expect(asked[2]).toMatch(/^beforeunload/);

      // An apply that was accepted and then failed saved nothing: leaving still asks. (Another
      // manager creates the object between the preview and the apply, with a different value.)
      await page.getByRole('heading', { name: 'Create resources' }).waitFor();
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: taken\n  namespace: ${ns}\ndata:\n  k: mine\n`,
      );
      await page.getByRole('button', { name: 'Preview changes' }).click();
      await expect.poll(() => page.locator('section[aria-label="Preview"]').textContent()).toMatch(/created/);
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'taken' }, data: { k: 'theirs' } },
      });
      await page.getByRole('button', { name: 'Apply' }).click();
      expect(await terminalState(page)).toBe('failed');
      await page.getByRole('link', { name: 'Nodes' }).click();
      await expect.poll(() => asked).toHaveLength(4);
      expect(asked[3]).toBe('confirm: Discard your unsaved changes?');
      expect(page.url()).toContain('/edit');
      expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'taken' })).data).toEqual({ k: 'theirs' });

      // Created: no question on the way out, and a link to the new object.
      await page.getByRole('heading', { name: 'Create resources' }).waitFor();
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: draft\n  namespace: ${ns}\ndata:\n  k: v\n`,
      );
      await page.getByRole('button', { name: 'Preview changes' }).click();
      await expect.poll(() => page.locator('section[aria-label="Preview"]').textContent()).toMatch(/created/);
      await page.getByRole('button', { name: 'Apply' }).click();
      expect(await terminalState(page)).toBe('succeeded');
      expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'draft' })).data).toEqual({ k: 'v' });
      await page.getByRole('link', { name: `Open ConfigMap ${ns}/draft` }).click();
      await page.waitForURL(new RegExp(`/o/ConfigMap/${ns}/draft$`));
      expect(asked).toHaveLength(4);
      answer = true;
    } finally {
      page.off('dialog', onDialog);
    }
  });

  it('logs: readable timestamps, a match count, wrap, download and copy', async () => {
    const { page } = c;
    await c.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: c.url });
    await page.goto(`${podPage('up')}?tab=logs`);
    const options = page.getByRole('group', { name: 'Log options' });
    const log = page.getByRole('log', { name: 'Logs of up/app' });
    await expect.poll(() => options.getByRole('status').last().textContent()).toMatch(/following/);
    const marker = `ux-${Date.now()}`;
    await appendContainerLog([`first ${marker}`, `second ${marker} and ${marker.toUpperCase()}`]);
    await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain(`second ${marker}`);

    await page.getByLabel('Search logs').fill(marker);
    await expect
      .poll(() => options.getByRole('status', { name: 'Matches' }).textContent())
      .toBe('3 matches in 2 lines');

    await options.getByLabel('Timestamps').check();
    const line = log.locator('div', { hasText: `first ${marker}` });
    await expect.poll(() => line.locator('time').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC $/);
    expect(await line.locator('time').getAttribute('dateTime')).toMatch(/^\d{4}-\d\d-\d\dT\S+Z$/);

    expect(await log.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('pre-wrap');
    await options.getByLabel('Wrap lines').uncheck();
    expect(await log.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('pre');

    await options.getByLabel('Only matching').check();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      options.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^up_app_.*\.log$/);
    const file = await readFile(await download.path(), 'utf8');
    // What is shown (only the matching lines), as the container wrote it (with the kubelet's timestamps).
    expect(file.trimEnd().split('\n')).toHaveLength(2);
    expect(file).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ first ${marker}$`, 'm'));

    await options.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => options.getByRole('status').last().textContent()).toContain('copied 2 lines');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toContain(`second ${marker}`);
    await c.screenshot('logs-tools');
  });

  it('disables Shell on a container that is not running, saying why to the mouse and to a screen reader', async () => {
    const { page } = c;
    await page.goto(podPage('stuck'));
    await page.getByRole('tab', { name: 'Containers' }).click();
    const shell = page.getByRole('button', { name: 'Shell into stuck container app' });
    expect(await shell.isDisabled()).toBe(true);
    expect(await shell.getAttribute('title')).toMatch(
      /^No shell: container app is waiting: (ErrImagePull|ImagePullBackOff), not running$/,
    );
    expect(await description(shell)).toMatch(/container app is waiting: (ErrImagePull|ImagePullBackOff), not running/);
    // The pod's own Shell button says the same.
    const podShell = page.getByRole('button', { name: 'Shell into stuck', exact: true });
    expect(await podShell.isDisabled()).toBe(true);
    expect(await description(podShell)).toContain('not Running');

    await page.goto(podPage('up'));
    await page.getByRole('tab', { name: 'Containers' }).click();
    const ok = page.getByRole('button', { name: 'Shell into up container app' });
    expect(await ok.isDisabled()).toBe(false);
    expect(await ok.getAttribute('aria-describedby')).toBeNull();
  });

  it('styles danger actions one way: button, menu item and the dialog Run button', async () => {
    const { page } = c;
    await page.goto(podPage('up'));
    const del = page.getByRole('button', { name: 'Delete pod', exact: true });
    await del.waitFor();
    const red = await page.evaluate(() => {
      // --err resolved by the browser, as a computed colour.
      const probe = document.createElement('span');
      probe.style.color = 'var(--err)';
      document.body.appendChild(probe);
      const colour = getComputedStyle(probe).color;
      probe.remove();
      return colour;
    });
    const colour = (l: ReturnType<Console['page']['getByRole']>, prop: 'color' | 'backgroundColor') =>
      l.evaluate((el, p) => getComputedStyle(el)[p], prop);
    expect(await colour(del, 'color')).toBe(red);

    await page.getByRole('button', { name: `Actions for Pod up` }).click();
    expect(await colour(page.getByRole('menuitem', { name: /^Force delete pod/ }), 'color')).toBe(red);
    expect(await colour(page.getByRole('menuitem', { name: /^Annotate/ }), 'color')).not.toBe(red);
    await page.keyboard.press('Escape');

    await del.click();
    const dialog = page.getByRole('dialog', { name: `Delete pod: Pod ${ns}/up` });
    const run = dialog.getByRole('button', { name: 'Run delete pod' });
    expect(await colour(run, 'backgroundColor')).toBe(red);
    await c.screenshot('danger-action');
    await dialog.getByRole('button', { name: 'Cancel' }).first().click();

    // A safe action's dialog keeps the accent colour.
    await page.getByRole('button', { name: `Actions for Pod up` }).click();
    await page.getByRole('menuitem', { name: /^Annotate/ }).click();
    const annotate = page.getByRole('dialog', { name: `Annotate: Pod ${ns}/up` });
    expect(await colour(annotate.getByRole('button', { name: 'Run annotate' }), 'backgroundColor')).not.toBe(red);
    await annotate.getByRole('button', { name: 'Cancel' }).first().click();

    const node = (await core.listNode()).items[0]?.metadata?.name ?? '';
    await page.goto(`${c.url}/c/${c.cluster}/nodes/${node}`);
    const drain = page.getByRole('button', { name: 'Drain node', exact: true });
    await drain.waitFor();
    expect(await colour(drain, 'color')).toBe(red);
  });

  it('previews a drain of a cordoned node as such, and labels a pod a budget holds as blocked', async () => {
    const { page } = c;
    // One of the cluster's own nodes: other tests' nodes (e.g. the insights test's NotReady one) must not be cordoned.
    const node =
      (await core.listNode()).items
        .map((n) => n.metadata?.name ?? '')
        .filter((n) => n.startsWith('kwok-node-'))
        .sort()[0] ?? '';
    expect(node).not.toBe('');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'guarded' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'guarded' } },
          template: {
            metadata: { labels: { app: 'guarded' } },
            spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'g:1' }] },
          },
        },
      },
    });
    await policy.createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: { metadata: { name: 'guarded' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } } },
    });
    await eventually('the budget to allow no disruption', async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: ns, name: 'guarded' });
      return pdb.status?.currentHealthy === 1 && pdb.status.disruptionsAllowed === 0;
    });
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    await core.patchNode({ name: node, body: { spec: { unschedulable: true } } }, merge);
    try {
      await page.goto(`${c.url}/c/${c.cluster}/nodes/${node}`);
      await page.getByRole('button', { name: 'Drain node', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: `Drain node: Node ${node}` });
      const preview = dialog.locator('section[aria-label="Preview"]');
      await expect.poll(() => preview.textContent()).toContain(`node ${node} is already cordoned`);
      expect(await preview.textContent()).not.toContain('spec.unschedulable');
      const guarded = preview.getByRole('listitem').filter({ hasText: new RegExp(`^Pod ${ns}/guarded-`) });
      expect(await guarded.textContent()).toMatch(new RegExp(`— blocked by PodDisruptionBudget ${ns}/guarded$`));
      await c.screenshot('drain-preview-blocked');
      await dialog.getByRole('button', { name: 'Cancel' }).first().click();
    } finally {
      await core.patchNode({ name: node, body: { spec: { unschedulable: false } } }, merge);
      await apps.deleteNamespacedDeployment({ namespace: ns, name: 'guarded' });
    }
  });

  it('says "Loading events…" while the events are on their way, not "No events."', async () => {
    const { page } = c;
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/api/v1/clusters/*/timeline?*type=k8s-event*', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(podPage('up'));
    await page.getByRole('tab', { name: 'Events' }).click();
    const events = page.getByRole('table', { name: 'Events' });
    await expect.poll(() => events.getByRole('status').textContent()).toBe('Loading events…');
    expect(await events.textContent()).not.toContain('No events.');
    release();
    await expect.poll(() => events.getByRole('status').count()).toBe(0);
    await page.unroute('**/api/v1/clusters/*/timeline?*type=k8s-event*');
  });
});
