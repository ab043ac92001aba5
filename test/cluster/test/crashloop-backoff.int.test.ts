// A simulated crash loop backs off like the kubelet: 10 s, then 20 s, 40 s …
// (stages.ts). Read from the API server: the waiting message names the back-off
// and the pod's restarts are that far apart.
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '../src/testing.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

interface Seen {
  restartCount: number;
  startedAt?: string;
  waitingMessage?: string;
  lastFinishedAt?: string;
}

async function mainContainer(ns: string): Promise<Seen | undefined> {
  const pod = await core.readNamespacedPod({ namespace: ns, name: 'crasher' });
  const s = pod.status?.containerStatuses?.find((c) => c.name === 'main');
  if (!s) return undefined;
  return {
    restartCount: s.restartCount,
    startedAt: s.state?.running?.startedAt?.toISOString(),
    waitingMessage: s.state?.waiting?.message,
    lastFinishedAt: s.lastState?.terminated?.finishedAt?.toISOString(),
  };
}

describe('simulated crash loop', () => {
  it('restarts after the kubelet back-off, 10 s then 20 s, and says so in CrashLoopBackOff', async () => {
    const ns = await testNamespace('crashloop');
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: {
          name: 'crasher',
          labels: { 'wheelhouse.dev/simulate': 'crashloop' },
          annotations: { 'wheelhouse.dev/exit-code': '2' },
        },
        spec: { containers: [{ name: 'main', image: 'registry.local/crasher:1' }] },
      },
    });
    // Each restart: the gap between the last exit and the new start is the back-off.
    const gaps = new Map<number, number>();
    const messages = new Set<string>();
    await eventually(
      'two restarts with their back-offs',
      async () => {
        const s = await mainContainer(ns);
        if (s?.waitingMessage) messages.add(s.waitingMessage.replace(/ pod=.*/, ''));
        if (s?.startedAt && s.lastFinishedAt && !gaps.has(s.restartCount)) {
          gaps.set(s.restartCount, (Date.parse(s.startedAt) - Date.parse(s.lastFinishedAt)) / 1000);
        }
        return gaps.has(1) && gaps.has(2);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect([...messages].slice(0, 2)).toEqual([
      'back-off 10s restarting failed container=main',
      'back-off 20s restarting failed container=main',
    ]);
    // Timestamps have whole seconds; kwok adds a little lag, never less.
    expect(gaps.get(1)).toBeGreaterThanOrEqual(9);
    expect(gaps.get(1)).toBeLessThanOrEqual(13);
    expect(gaps.get(2)).toBeGreaterThanOrEqual(19);
    expect(gaps.get(2)).toBeLessThanOrEqual(23);
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'crasher' });
    expect(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(2);
  }, 90_000);
});
