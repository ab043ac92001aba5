// metrics-server on the local control plane: registered through the
// aggregation layer, scraping kwok's simulated usage, so `kubectl top` works.
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubectl } from '../src/cluster.js';
import { eventually, kubeConfig, testNamespace } from '../src/testing.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

describe('metrics-server', () => {
  it('serves metrics.k8s.io: kubectl top shows a pod’s simulated usage and its node’s', async () => {
    const { stdout: apiService } = await kubectl([
      'get',
      'apiservice',
      'v1beta1.metrics.k8s.io',
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Available")].status}',
    ]);
    expect(apiService).toBe('True');

    const ns = await testNamespace('top');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: {
          name: 'busy',
          annotations: { 'kwok.x-k8s.io/usage-cpu': '250m', 'kwok.x-k8s.io/usage-memory': '300Mi' },
        },
        spec: { containers: [{ name: 'app', image: 'registry.local/busy:1' }] },
      },
    });
    // metrics-server scrapes every 15 s and needs two scrapes for a CPU rate.
    const line = await eventually(
      'busy in kubectl top pods',
      async () => {
        const { stdout } = await kubectl(['top', 'pods', '-n', ns, '--no-headers']).catch(() => ({ stdout: '' }));
        return stdout.split('\n').find((l) => l.startsWith('busy '));
      },
      { timeoutMs: 90_000, intervalMs: 2_000 },
    );
    const [, cpu, memory] = line.trim().split(/\s+/);
    expect(Math.abs(Number(cpu?.replace(/m$/, '')) - 250)).toBeLessThanOrEqual(5);
    expect(memory).toBe('300Mi');

    const pod = await core.readNamespacedPod({ namespace: ns, name: 'busy' });
    const node = pod.spec?.nodeName ?? '';
    const { stdout: nodes } = await kubectl(['top', 'nodes', '--no-headers']);
    const nodeLine = nodes.split('\n').find((l) => l.startsWith(`${node} `));
    expect(nodeLine).toMatch(/\d+m\s+\d+%\s+\d+Mi\s+\d+%/);
  }, 120_000);
});
