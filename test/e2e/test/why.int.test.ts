// Headers say why (issue 20, item 1): a Pending pod's scheduler message, a
// crash loop's last termination, an OOM kill next to the container's memory
// request and limit with "Edit resources" (a prefilled dry run that, applied,
// changes the limit in Kubernetes) and the memory metrics-server measured
// before the kill, and conditions with reason and message.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, terminalState, type Console } from '../src/console.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);

describe('console: headers say why', () => {
  let c: Console;
  let ns: string;
  screenshotOnFailure(() => c);

  beforeAll(async () => {
    ns = await testNamespace('e2e-why');
    // ledger-db: its claim is never bound (no StorageClass, no volume), so the scheduler refuses it.
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: {
        metadata: { name: 'ledger-data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: '' },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'ledger-db' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'ledger-db' } },
          template: {
            metadata: { labels: { app: 'ledger-db' } },
            spec: {
              containers: [{ name: 'db', image: 'postgres:15', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
              volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'ledger-data' } }],
            },
          },
        },
      },
    });
    // payments-worker: killed for memory over and over (the local cluster's crash-loop simulation).
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
              annotations: { 'wheelhouse.dev/exit-code': '137', 'wheelhouse.dev/reason': 'OOMKilled' },
            },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'worker',
                  image: 'shop/payments:3.2',
                  resources: { requests: { memory: '128Mi' }, limits: { memory: '256Mi' } },
                  envFrom: [{ configMapRef: { name: 'payments-config' } }],
                },
              ],
            },
          },
        },
      },
    });
    // report-worker: runs 60 s, then is killed for memory; metrics-server measures 200Mi while it runs
    // (it serves a container after two scrapes, so a busy machine may still miss the first run: then the next).
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'report-worker' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'report-worker' } },
          template: {
            metadata: {
              labels: { app: 'report-worker', 'wheelhouse.dev/simulate': 'crashloop' },
              annotations: {
                'wheelhouse.dev/exit-code': '137',
                'wheelhouse.dev/reason': 'OOMKilled',
                'wheelhouse.dev/run-seconds': '60',
                'kwok.x-k8s.io/usage-memory': '200Mi',
              },
            },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'report',
                  image: 'shop/reports:1.0',
                  resources: { requests: { memory: '128Mi' }, limits: { memory: '256Mi' } },
                },
              ],
            },
          },
        },
      },
    });
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'payments-config' }, data: { MODE: 'card-network-7', RETRIES: '3' } },
    });
    await core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'payments' },
        spec: { selector: { app: 'payments-worker' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    // ledger: a StatefulSet whose volumeClaimTemplate makes one claim per replica.
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'ledger' },
        spec: {
          replicas: 1,
          serviceName: 'ledger',
          selector: { matchLabels: { app: 'ledger' } },
          template: {
            metadata: { labels: { app: 'ledger' } },
            spec: { containers: [{ name: 'db', image: 'postgres:15' }] },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: {
                accessModes: ['ReadWriteOnce'],
                storageClassName: '',
                resources: { requests: { storage: '2Gi' } },
              },
            },
          ],
        },
      },
    });
    c = await openConsole({ agent: { usageIntervalMs: 3_000 } });
  });
  afterAll(() => c.close());

  it("shows a Pending workload's cause, the scheduler's message, in the header and on the pod", async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/ledger-db`);
    const why = page.getByRole('region', { name: 'Why' });
    await expect.poll(() => why.textContent(), { timeout: 30_000 }).toContain('Not scheduled: Unschedulable');
    expect(await why.textContent()).toMatch(/unbound immediate PersistentVolumeClaims/);
    // The pod named there opens the pod, whose conditions carry reason and message.
    await why.getByRole('link').first().click();
    await page.waitForURL(/\/pods\//);
    const conditions = page.getByRole('table', { name: 'Conditions' });
    const scheduled = conditions.locator('tr', { hasText: 'PodScheduled' });
    await expect.poll(() => scheduled.textContent()).toMatch(/False.*Unschedulable.*unbound immediate/s);
    await c.screenshot('why-pending');
  });

  it('shows an OOM kill next to the memory request and limit; "Edit resources" previews the raise and applies it', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/payments-worker`);
    const why = page.getByRole('region', { name: 'Why' });
    await expect
      .poll(() => why.textContent(), { timeout: 60_000 })
      .toMatch(/worker: last terminated OOMKilled \(exit 137\)/);
    expect(await why.textContent()).toContain('Memory request 128Mi, limit 256Mi');
    await c.screenshot('why-oomkilled');
    await why.getByRole('link', { name: 'Edit resources' }).first().click();
    await page.waitForURL(/\/edit\?/);
    const note = page.getByRole('note', { name: 'Suggested change' });
    await expect.poll(() => note.textContent()).toContain("worker's memory limit from 256Mi to 512Mi");
    // The dry run ran by itself: the field diff is on the page before anything is applied.
    const preview = page.locator('section[aria-label="Preview"]');
    await expect.poll(() => preview.textContent(), { timeout: 30_000 }).toMatch(/256Mi.*512Mi/s);
    const before = await apps.readNamespacedDeployment({ namespace: ns, name: 'payments-worker' });
    expect(before.spec?.template.spec?.containers[0]?.resources?.limits?.memory).toBe('256Mi');
    await page.getByLabel('Reason').fill('e2e: OOMKilled at 256Mi');
    await page.getByRole('button', { name: 'Apply' }).click();
    expect(await terminalState(page)).toBe('succeeded');
    await eventually('the limit raised in Kubernetes', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'payments-worker' });
      return d.spec?.template.spec?.containers[0]?.resources?.limits?.memory === '512Mi';
    });
  });

  it("shows on the pod's header the memory it used before its OOM kill, as metrics-server measured it, next to the limit", async () => {
    const { page } = c;
    const pod = await eventually('report-worker has a pod', async () => {
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=report-worker' });
      return pods.items[0]?.metadata?.name;
    });
    await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/${pod}`);
    const why = page.getByRole('region', { name: 'Why' });
    // The first kill comes after 60 s of running; the evidence after the agent's next sample.
    await expect
      .poll(() => why.textContent(), { timeout: 120_000 })
      .toMatch(/report: last terminated OOMKilled \(exit 137\)/);
    expect(await why.textContent()).toContain('Memory request 128Mi, limit 256Mi');
    await expect
      .poll(() => why.getByLabel('Memory usage before the kill').textContent(), { timeout: 150_000 })
      .toMatch(/^Usage before the kill: 200Mi at \S+Z, \d+ (s|min) before the kill \(78 % of the 256Mi limit\)\. $/);
    await c.screenshot('why-oom-usage');
  }, 360_000);

  it('has pages for claims, services and config maps, found by kubectl short names, with what uses them', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/workloads`);
    const search = page.getByRole('combobox', { name: 'Search objects' });
    // "pvc" finds claims; the claim's page says why it is Pending and who needs it.
    // The namespace word keeps other tests' objects of the same names (the shared cluster) out.
    await search.fill(`pvc ledger-data ${ns}`);
    const results = page.getByRole('listbox', { name: 'Search results' });
    await expect.poll(() => results.textContent()).toContain('ledger-data');
    await search.press('Enter');
    await page.waitForURL(/\/o\/PersistentVolumeClaim\//);
    await expect.poll(() => page.getByRole('region', { name: 'Why' }).textContent()).toContain('Not bound: Pending');
    const usedBy = page.getByRole('region', { name: 'Used by' });
    await expect.poll(() => usedBy.textContent()).toContain('Deployment ledger-db (volume data)');
    await c.screenshot('pvc-page');
    // A StatefulSet lists the claims it made; each opens its page, which names the StatefulSet.
    await page.goto(`${c.url}/c/${c.cluster}/w/StatefulSet/${ns}/ledger`);
    const claims = page.getByRole('table', { name: 'Claims' });
    await expect.poll(() => claims.textContent(), { timeout: 30_000 }).toMatch(/data-ledger-0.*Pending/s);
    await claims.getByRole('link', { name: 'data-ledger-0' }).click();
    await expect.poll(() => usedBy.textContent()).toContain('StatefulSet ledger (volumeClaimTemplate data)');
    // "svc": a Service's page shows the pods it sends traffic to and the workload that makes them.
    await search.fill(`svc payments ${ns}`);
    await expect.poll(() => results.textContent()).toContain('payments');
    await search.press('Enter');
    await page.waitForURL(/\/o\/Service\//);
    await expect
      .poll(() => usedBy.textContent())
      .toMatch(/Deployment payments-worker \(selector app=payments-worker\).*1 pod/s);
    // "cm": a ConfigMap's page lists its keys (never values) and who reads it.
    await search.fill(`cm payments-config ${ns}`);
    await expect.poll(() => results.textContent()).toContain('payments-config');
    await search.press('Enter');
    await page.waitForURL(/\/o\/ConfigMap\//);
    await expect.poll(() => usedBy.textContent()).toContain('Deployment payments-worker (envFrom in worker)');
    const facts = await page.getByRole('definition').allTextContents();
    expect(facts).toContain('MODE, RETRIES');
    expect(facts.join(' ')).not.toContain('card-network-7');
  });

  it('lands on what is broken now; Workloads sort and filter in the URL with a reason column; an unknown cluster says so', async () => {
    const { page } = c;
    // A failed action to show: annotating a ConfigMap that does not exist.
    const failed = await c.pipeline.hub.app.inject({
      method: 'POST',
      url: `/api/v1/clusters/${c.cluster}/actions`,
      headers: { authorization: `Bearer ${c.user.token}` },
      payload: {
        action: 'annotate',
        target: { kind: 'ConfigMap', namespace: ns, name: 'no-such-config' },
        params: { key: 'example.com/a', value: 'b' },
      },
    });
    expect(failed.statusCode).toBe(202);
    await page.goto(`${c.url}/`);
    await page.getByRole('heading', { name: 'What is broken now' }).waitFor();
    const broken = page.getByRole('table', { name: 'Unhealthy workloads' });
    await expect.poll(() => broken.textContent(), { timeout: 30_000 }).toContain(`${ns}/ledger-db`);
    // This namespace's: the shared cluster may hold another test's payments-worker (the demo's).
    const worker = broken.locator('tr[data-name="payments-worker"]').filter({ hasText: `${ns}/payments-worker` });
    expect(await worker.textContent()).toMatch(/down.*0\/1.*MinimumReplicasUnavailable/s);
    const failedActions = page.getByRole('table', { name: 'Failed actions' });
    await expect
      .poll(() => failedActions.textContent(), { timeout: 30_000 })
      .toMatch(/annotate.*ConfigMap .*no-such-config.*failed/s);
    await c.screenshot('broken-now');
    // The row opens the workload.
    await worker.getByRole('link').click();
    await page.waitForURL(new RegExp(`/w/Deployment/${ns}/payments-worker`));

    // Workloads: sort by health (worst first; sorted by the hub), only unhealthy, all in the URL; the reason column says why.
    await page.goto(`${c.url}/c/${c.cluster}/workloads?namespace=${ns}`);
    const table = page.getByRole('table', { name: 'Workloads' });
    await table.locator('tr[data-name="payments-worker"]').waitFor();
    await table.getByRole('button', { name: 'Health' }).click();
    await page.getByLabel('Only unhealthy').check();
    const url = new URL(page.url());
    expect([url.searchParams.get('sort'), url.searchParams.get('dir'), url.searchParams.get('unhealthy')]).toEqual([
      'health',
      'desc',
      '1',
    ]);
    await page.reload();
    const names = () =>
      table.locator('tbody tr[data-name]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    await expect.poll(names).toEqual(expect.arrayContaining(['ledger-db', 'payments-worker']));
    // Worst first: a workload with no pod ready (down) before a degraded one.
    await expect
      .poll(() => table.locator('tbody tr[data-name]').first().locator('.badge').first().getAttribute('class'))
      .toMatch(/\berr\b/);
    expect(await table.getByRole('columnheader', { name: /Health/ }).getAttribute('aria-sort')).toBe('descending');
    await expect
      .poll(() => table.locator('tr[data-name="payments-worker"] td[data-col="reason"]').textContent())
      .toMatch(/worker: (CrashLoopBackOff|last terminated OOMKilled)/);
    expect(await table.locator('tr[data-name="ledger-db"] td[data-col="reason"]').textContent()).toBe(
      'Not scheduled: Unschedulable',
    );

    // A cluster that does not exist says so.
    await page.goto(`${c.url}/c/no-such-cluster/workloads`);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('No cluster named no-such-cluster');
  });

  it("folds a crash loop's restarts into one timeline row with the real reason; range and filters are in the URL", async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/payments-worker?tab=timeline`);
    // A workload minutes old opens on the shortest range that covers its life.
    const range = page.getByLabel('Time range');
    expect(await range.inputValue()).toBe('15m');
    const burst = page.locator('table[aria-label="Timeline events"] tr[data-burst]').first();
    await expect
      .poll(() => burst.textContent(), { timeout: 90_000 })
      .toMatch(/Container worker of payments-worker-\S+ restarted \d+×, OOMKilled \(exit 137\)/);
    expect(Number(await burst.getAttribute('data-burst'))).toBeGreaterThan(1);
    // Range and type filter go into the URL and come back with it.
    await range.selectOption('6h');
    await page.getByRole('group', { name: 'Event types' }).getByLabel('pod-phase').uncheck();
    const url = new URL(page.url());
    expect(url.searchParams.get('range')).toBe('6h');
    expect(url.searchParams.get('types')?.split(',')).not.toContain('pod-phase');
    await page.reload();
    expect(await page.getByLabel('Time range').inputValue()).toBe('6h');
    expect(await page.getByRole('group', { name: 'Event types' }).getByLabel('pod-phase').isChecked()).toBe(false);
  });
});
