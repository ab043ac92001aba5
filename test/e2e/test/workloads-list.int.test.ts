// Issue 18: the Workloads page pages, sorts and filters on the hub, which
// counts each workload's pods (GET …/workloads); the page never asks for the
// pods. A second cluster in the same hub is seeded with 130 Deployments (pods
// through a ReplicaSet each, some not ready, some restarting) and a
// StatefulSet whose pods crash: the count, each row's pods, scrolling past the
// first page, the name/kind/"only unhealthy" filters, the health sort and the
// reason column are checked as a user reads them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryItem } from '@wheelhouse/protocol';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';
import { seedCluster } from '../src/seeded-items.js';

const SEEDED = 'seeded-workloads';
const DEPLOYMENTS = 130;
const T0 = Date.now() - 86_400_000;
const name = (i: number): string => `app-${String(i).padStart(3, '0')}`;
const nsOf = (i: number): string => `team-${i % 2}`;
/** Deployment i: (i % 4) + 1 pods, the last not ready when i % 5 === 0; restarts i % 3 on each pod. */
const podsOf = (i: number): number => (i % 4) + 1;
const readyOf = (i: number): number => podsOf(i) - (i % 5 === 0 ? 1 : 0);
const restartsOf = (i: number): number => podsOf(i) * (i % 3);

const meta = (kind: string, namespace: string, n: string, uid: string, owner?: { kind: string; name: string }) => ({
  kind,
  namespace,
  name: n,
  uid,
  resourceVersion: '1',
  createdAt: T0,
  labels: {},
  ownerRefs: owner ? [{ ...owner, uid: `uid-${owner.name}` }] : [],
});
const podSummary = (ready: boolean, restarts: number, reason: string | null) => ({
  phase: 'Running',
  ready,
  nodeName: 'node-a',
  podIP: null,
  qosClass: null,
  startTime: null,
  reason: null,
  restarts,
  containers: [
    {
      name: 'app',
      state: ready ? 'running' : 'waiting',
      ready,
      restartCount: restarts,
      reason,
      exitCode: null,
      lastTerminated: null,
    },
  ],
  initContainers: [],
});

function seed(): Record<string, InventoryItem[]> {
  const out: Record<string, InventoryItem[]> = { Deployment: [], ReplicaSet: [], StatefulSet: [], Pod: [] };
  for (let i = 0; i < DEPLOYMENTS; i++) {
    const ns = nsOf(i);
    out.Deployment?.push({
      ...meta('Deployment', ns, name(i), `uid-${name(i)}`),
      summary: {
        replicas: podsOf(i),
        readyReplicas: readyOf(i),
        availableReplicas: readyOf(i),
        updatedReplicas: podsOf(i),
        paused: false,
        images: [`shop/${name(i)}:1`],
        conditions: {},
        spec: {},
      },
    } as InventoryItem);
    const rs = `${name(i)}-5d9c`;
    out.ReplicaSet?.push({
      ...meta('ReplicaSet', ns, rs, `uid-${rs}`, { kind: 'Deployment', name: name(i) }),
      summary: { replicas: podsOf(i), readyReplicas: readyOf(i), availableReplicas: readyOf(i), images: [] },
    } as InventoryItem);
    for (let p = 0; p < podsOf(i); p++)
      out.Pod?.push({
        ...meta('Pod', ns, `${rs}-${p}`, `uid-${rs}-${p}`, { kind: 'ReplicaSet', name: rs }),
        summary: podSummary(p < readyOf(i), i % 3, p < readyOf(i) ? null : 'ContainerCreating'),
      } as InventoryItem);
  }
  out.StatefulSet?.push({
    ...meta('StatefulSet', 'team-1', 'ledger', 'uid-ledger'),
    summary: { replicas: 2, readyReplicas: 0, images: ['shop/ledger:1'], spec: {} },
  } as InventoryItem);
  for (let p = 0; p < 2; p++)
    out.Pod?.push({
      ...meta('Pod', 'team-1', `ledger-${p}`, `uid-ledger-${p}`, { kind: 'StatefulSet', name: 'ledger' }),
      summary: podSummary(false, 5, 'CrashLoopBackOff'),
    } as InventoryItem);
  return out;
}

describe('console: the Workloads page counts pods on the hub', () => {
  let c: Console;
  screenshotOnFailure(() => c);
  const podRequests: string[] = [];

  beforeAll(async () => {
    c = await openConsole({ bindings: [{ role: 'viewer' }] });
    await seedCluster(c.pipeline.hub, SEEDED, seed());
    c.page.on('request', (r) => {
      if (r.url().includes('kind=Pod')) podRequests.push(r.url());
    });
  });
  afterAll(async () => c.close());

  const table = () => c.page.locator('table[aria-label="Workloads"]');
  const row = (n: string) => table().locator(`tbody tr[data-name="${n}"]`);
  const cell = (n: string, col: string) => row(n).locator(`td[data-col="${col}"]`);

  it("shows the count and each row's pods (ready/total, restarts), scrolling past the first page, never asking for pods", async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${SEEDED}/workloads`);
    await expect.poll(() => page.getByLabel('Workload count').textContent()).toBe(`${DEPLOYMENTS + 1} workloads`);
    // Sorted by namespace, then name: team-0's even apps first.
    await expect.poll(() => cell(name(0), 'pods').textContent()).toBe(`${readyOf(0)}/${podsOf(0)}`);
    for (const i of [2, 4, 6]) {
      expect(await cell(name(i), 'pods').textContent()).toBe(`${readyOf(i)}/${podsOf(i)}`);
      expect(await cell(name(i), 'restarts').textContent()).toBe(String(restartsOf(i)));
    }
    // Only a screenful (and some) is in the DOM.
    expect(await table().locator('tbody tr[data-name]').count()).toBeLessThan(60);
    // The last row (team-1's highest odd app) loads when scrolled to.
    await page
      .getByRole('region', { name: 'Workloads, scrollable' })
      .evaluate((el) => (el.scrollTop = el.scrollHeight));
    const last = name(DEPLOYMENTS - 1);
    await expect
      .poll(() => cell(last, 'pods').textContent(), { timeout: 15_000 })
      .toBe(`${readyOf(DEPLOYMENTS - 1)}/${podsOf(DEPLOYMENTS - 1)}`);
    expect(podRequests).toEqual([]);
  });

  it('filters by name, kind and "only unhealthy"; sorts by health; says why a workload is down', async () => {
    const { page } = c;
    await page.goto(`${c.url}/c/${SEEDED}/workloads`);
    await page.getByLabel('Filter by name').fill(name(45));
    await expect.poll(() => page.getByLabel('Workload count').textContent()).toBe('1 workload');
    expect(await cell(name(45), 'pods').textContent()).toBe(`${readyOf(45)}/${podsOf(45)}`);
    await page.getByLabel('Filter by name').fill('');
    await page.getByLabel('Kind').selectOption('StatefulSet');
    await expect.poll(() => page.getByLabel('Workload count').textContent()).toBe('1 workload');
    expect(await cell('ledger', 'pods').textContent()).toBe('0/2');
    expect(await cell('ledger', 'restarts').textContent()).toBe('10');
    expect(await cell('ledger', 'reason').textContent()).toContain('CrashLoopBackOff');
    await page.getByLabel('Kind').selectOption('');
    await page.getByLabel('Only unhealthy').check();
    // Deployments with a pod not ready (i % 5 === 0) and the StatefulSet.
    const unhealthy = Array.from({ length: DEPLOYMENTS }, (_, i) => i).filter((i) => i % 5 === 0).length + 1;
    await expect.poll(() => page.getByLabel('Workload count').textContent()).toBe(`${unhealthy} workloads`);
    await page.getByLabel('Only unhealthy').uncheck();
    // Health, worst first: the StatefulSet with no pod ready (down) before the degraded Deployments.
    await table().getByRole('button', { name: 'Health' }).click();
    await expect.poll(() => table().locator('tbody tr[data-name]').first().getAttribute('data-name')).toBe('ledger');
    expect(new URL(page.url()).searchParams.get('sort')).toBe('health');
    expect(
      await table()
        .getByRole('columnheader', { name: /Health/ })
        .getAttribute('aria-sort'),
    ).toBe('descending');
    expect(podRequests).toEqual([]);
  });
});
