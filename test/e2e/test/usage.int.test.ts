// The console's resource usage page: what metrics-server measured for a pod,
// against its requests and limits, and its node against allocatable.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCpu, parseMemory } from '@wheelhouse/protocol/core';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { openConsole, screenshotOnFailure, type Console } from '../src/console.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const metrics = kc.makeApiClient(k8s.CustomObjectsApi);

/** What metrics.k8s.io (metrics-server) says a pod uses now: millicores and bytes, containers summed. */
async function measured(namespace: string, name: string): Promise<{ cpu: number; memory: number }> {
  const m = (await metrics.getNamespacedCustomObject({
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    namespace,
    plural: 'pods',
    name,
  })) as { containers: { usage: { cpu: string; memory: string } }[] };
  return {
    cpu: m.containers.reduce((t, c) => t + (parseCpu(c.usage.cpu) ?? 0), 0),
    memory: m.containers.reduce((t, c) => t + (parseMemory(c.usage.memory) ?? 0), 0),
  };
}

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
    // A workload of two pods, each measured at 100m / 100Mi: its chart sums them against the summed requests.
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: {
              labels: { app: 'web' },
              annotations: { 'kwok.x-k8s.io/usage-cpu': '100m', 'kwok.x-k8s.io/usage-memory': '100Mi' },
            },
            spec: {
              containers: [
                {
                  name: 'web',
                  image: 'registry.local/web:1',
                  resources: { requests: { cpu: '200m', memory: '128Mi' }, limits: { memory: '256Mi' } },
                },
              ],
            },
          },
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

  it('charts a pod’s, a workload’s and a node’s usage over time against requests, limits and allocatable, with metrics-server’s numbers', async () => {
    const { page } = c;
    const figure = (name: string, which: string) =>
      page.locator(`dl[aria-label="${name} usage figures"] dd[data-figure="${which}"]`);
    // Pod: the latest minute next to the chart is what metrics-server measures.
    await expect
      .poll(
        async () => {
          await page.goto(`${c.url}/c/${c.cluster}/pods/${ns}/busy`);
          await page.getByRole('region', { name: 'Resource usage' }).waitFor();
          return figure('Memory', 'now').count();
        },
        { timeout: 100_000, interval: 3_000 },
      )
      .toBe(1);
    const chart = page.getByRole('img', { name: 'Memory usage over time' });
    expect(await chart.locator('polyline.usage-line, circle.usage-dot').count()).toBe(1);
    expect(await chart.locator('[data-ref="request"] text').textContent()).toBe('request 512Mi');
    expect(await chart.locator('[data-ref="limit"] text').textContent()).toBe('limit 1024Mi');
    const pod = await measured(ns, 'busy');
    expect(await figure('Memory', 'now').textContent()).toBe(`${Math.round(pod.memory / 1024 ** 2)}Mi`);
    expect(await figure('Memory', 'now').textContent()).toBe('300Mi');
    expect(await figure('Memory', 'request').textContent()).toBe('512Mi (59 % used)');
    expect(await figure('Memory', 'limit').textContent()).toBe('1024Mi (29 % used)');
    const cpuNow = Number((await figure('CPU', 'now').textContent())?.replace(/m$/, ''));
    expect(Math.abs(cpuNow - pod.cpu)).toBeLessThanOrEqual(5);
    expect(await figure('CPU', 'limit').textContent()).toBe('not set');
    await c.screenshot('usage-chart-pod');

    // Workload: its two pods summed, against their summed requests and limits.
    const pods = await eventually('web has two pods', async () => {
      const l = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
      return l.items.length === 2 ? l.items.map((p) => p.metadata?.name ?? '') : undefined;
    });
    await expect
      .poll(
        async () => {
          await page.goto(`${c.url}/c/${c.cluster}/w/Deployment/${ns}/web`);
          await page.getByRole('region', { name: 'Resource usage' }).waitFor();
          return (await figure('Memory', 'now').count()) ? figure('Memory', 'now').textContent() : null;
        },
        { timeout: 100_000, interval: 3_000 },
      )
      .toBe('200Mi');
    const both = await Promise.all(pods.map((p) => measured(ns, p)));
    expect(`${Math.round(both.reduce((t, m) => t + m.memory, 0) / 1024 ** 2)}Mi`).toBe('200Mi');
    expect(await figure('Memory', 'request').textContent()).toBe('256Mi (78 % used)');
    expect(await figure('CPU', 'request').textContent()).toMatch(/^400m \((49|50) % used\)$/);

    // Node: against allocatable.
    const node = (await core.readNamespacedPod({ namespace: ns, name: 'busy' })).spec?.nodeName ?? '';
    await page.goto(`${c.url}/c/${c.cluster}/nodes/${node}`);
    await page.getByRole('img', { name: 'CPU usage over time' }).waitFor();
    expect(await page.locator('[data-ref="allocatable"]').count()).toBe(2);
    expect(await figure('CPU', 'now').textContent()).toMatch(/^\d+m$/);
  }, 300_000);
});
