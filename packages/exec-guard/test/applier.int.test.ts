// The applier against the real API server: a write Kubernetes refuses for good
// (here 403: exec guard's identity may read pods but not patch them) is given up
// after one attempt and leaves the journal, instead of being retried forever;
// the pod stays unlabelled.
import { EventEmitter } from 'node:events';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { testNamespace } from '@wheelhouse/test-cluster/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Applier } from '../src/applier.js';
import type { ExecGuardEvents } from '../src/events.js';
import { Journal, newEntryId, type InteractionEntry } from '../src/journal.js';
import { EventRecorder } from '../src/kube.js';
import { INTERACTION_TIMESTAMP_LABEL } from '../src/labels.js';
import { createMetrics } from '../src/metrics.js';
import { core, createPods, kc, serviceAccountToken, tempDir } from './cluster-helpers.js';

/** A KubeConfig for a ServiceAccount that may get and list pods, and nothing else. */
async function readOnlyKubeConfig(ns: string): Promise<k8s.KubeConfig> {
  const token = await serviceAccountToken(ns, {
    account: 'pod-reader',
    role: 'pod-reader',
    verbs: ['get', 'list'],
    expirationSeconds: 600,
  });
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster');
  const out = new k8s.KubeConfig();
  out.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'pod-reader', token: token ?? '' }],
    contexts: [{ name: 'pod-reader', cluster: cluster.name, user: 'pod-reader' }],
    currentContext: 'pod-reader',
  });
  return out;
}

const total = async (c: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> =>
  (await c.get()).values.reduce((n, v) => n + v.value, 0);

describe('applier', () => {
  let ns: string;
  let journal: Journal;

  beforeAll(async () => {
    ns = await testNamespace('eg-applier');
    await createPods(ns, ['web']);
    ({ journal } = await Journal.open({ dir: await tempDir() }));
  });
  afterAll(async () => {
    await journal.close();
  });

  it('gives up on an entry the API server forbids instead of retrying it, and takes it out of the journal', async () => {
    const readOnly = (await readOnlyKubeConfig(ns)).makeApiClient(k8s.CoreV1Api);
    const metrics = createMetrics();
    const applier = new Applier({
      core: readOnly,
      journal,
      ttlMs: 60_000,
      interactQueueSize: 10,
      extendQueueSize: 10,
      // A retried entry would come back within milliseconds: many attempts would show in the wait below.
      backoffMs: 20,
      maxBackoffMs: 20,
      metrics,
      log: pino({ level: 'silent' }),
      events: new EventEmitter<ExecGuardEvents>(),
      recorder: new EventRecorder(readOnly, 'applier-test'),
    });
    const entry: InteractionEntry = {
      kind: 'interaction',
      id: newEntryId(),
      at: Date.now(),
      namespace: ns,
      pod: 'web',
      operation: 'exec',
      command: ['sh'],
      user: 'alice',
      groups: [],
    };
    await journal.append(entry);
    expect(applier.enqueue(entry)).toBe(true);
    applier.start();
    try {
      const drained = await Promise.race([
        applier.drained().then(() => 'drained'),
        new Promise((r) => setTimeout(() => r('still retrying after 15 s'), 15_000)),
      ]);
      expect(drained).toBe('drained');
      // Long enough for dozens of retries at a 20 ms backoff, had it been retried.
      await new Promise((r) => setTimeout(r, 500));
      expect(await total(metrics.applyErrors)).toBe(1);
      expect(await total(metrics.applyRefused)).toBe(1);
      expect(applier.depth('interact')).toBe(0);
      expect((await journal.scan()).pending.map((e) => e.id)).not.toContain(entry.id);
    } finally {
      await applier.stop();
    }
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'web' });
    expect(pod.metadata?.labels?.[INTERACTION_TIMESTAMP_LABEL]).toBeUndefined();
  });
});
