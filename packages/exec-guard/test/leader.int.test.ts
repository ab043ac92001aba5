// Two replicas, one Lease: only the leader evicts, so no pod is evicted twice;
// when the leader goes, the other takes over and re-arms every timer from the
// pods' labels, so no eviction is missed.
import { rm } from 'node:fs/promises';
import { eventually, testNamespace } from '@wheelhouse/test-cluster/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExecGuard, type ExecGuardHandle } from '../src/exec-guard.js';
import type { EvictionEvent } from '../src/events.js';
import {
  createPods,
  execIn,
  kc,
  podGoneOrTerminating,
  registerWebhooks,
  tempDir,
  uniqueName,
  waitForWebhook,
  counterValue,
} from './cluster-helpers.js';

const TTL_SECONDS = 4;

describe('two exec guard replicas', () => {
  let ns: string;
  let dirs: string[] = [];
  let a: ExecGuardHandle;
  let b: ExecGuardHandle;
  let removeWebhooks: () => Promise<void>;
  const evictions: { by: string; e: EvictionEvent }[] = [];
  let bothLeading = false;
  let sampler: NodeJS.Timeout;

  beforeAll(async () => {
    ns = await testNamespace('eg-ha');
    dirs = [await tempDir(), await tempDir()];
    const lease = uniqueName('lease');
    const start = (dataDir: string): Promise<ExecGuardHandle> =>
      startExecGuard({
        kubeConfig: kc,
        selfSigned: true,
        host: '127.0.0.1',
        port: 0,
        ttlSeconds: TTL_SECONDS,
        namespaces: [ns],
        dataDir,
        logLevel: 'silent',
        leaderElection: {
          namespace: ns,
          name: lease,
          leaseDurationMs: 3000,
          renewDeadlineMs: 2000,
          retryPeriodMs: 400,
        },
      });
    a = await start(dirs[0] ?? '');
    await eventually('the first replica to lead', () => Promise.resolve(a.isLeader()));
    b = await start(dirs[1] ?? '');
    a.events.on('eviction', (e) => evictions.push({ by: 'a', e }));
    b.events.on('eviction', (e) => evictions.push({ by: 'b', e }));
    sampler = setInterval(() => {
      if (a.isLeader() && b.isLeader()) bothLeading = true;
    }, 50);
    // The API server calls the follower; the leader evicts what the follower recorded.
    ({ remove: removeWebhooks } = await registerWebhooks(b.url, b.caBundle ?? '', [ns]));
    await createPods(ns, ['probe', 'one-0', 'one-1', 'one-2', 'two-0', 'two-1', 'two-2']);
    await waitForWebhook(ns, 'probe', () => counterValue(b.metrics, 'interactions', { outcome: 'recorded' }));
  });

  afterAll(async () => {
    clearInterval(sampler);
    await removeWebhooks();
    await Promise.all([a.stop(), b.stop()]);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('evicts each pod exactly once, by the leader only, and fails over without missing one', async () => {
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    const uids = new Map<string, string>();
    const { core } = await import('./cluster-helpers.js');
    for (const p of (await core.listNamespacedPod({ namespace: ns })).items)
      uids.set(p.metadata?.name ?? '', p.metadata?.uid ?? '');

    for (const name of ['one-0', 'one-1', 'one-2']) await execIn(ns, name);
    await eventually(
      'the first batch to be evicted',
      async () => {
        for (const name of ['one-0', 'one-1', 'one-2'])
          if (!(await podGoneOrTerminating(ns, name, uids.get(name)))) return false;
        return true;
      },
      { timeoutMs: 40_000 },
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(evictions.filter((x) => x.e.pod.startsWith('one-')).map((x) => x.by)).toEqual(['a', 'a', 'a']);

    // Record the second batch, then take the leader away before it is due.
    for (const name of ['two-0', 'two-1', 'two-2']) await execIn(ns, name);
    await b.drained();
    await a.stop();
    await eventually('the second replica to take over', () => Promise.resolve(b.isLeader()), { timeoutMs: 15_000 });
    await eventually(
      'the second batch to be evicted by the new leader',
      async () => {
        for (const name of ['two-0', 'two-1', 'two-2'])
          if (!(await podGoneOrTerminating(ns, name, uids.get(name)))) return false;
        return true;
      },
      { timeoutMs: 40_000 },
    );
    await new Promise((r) => setTimeout(r, 1000));

    const evictedPods = evictions
      .map((x) => x.e.pod)
      .filter((p) => p !== 'probe')
      .sort();
    expect(evictedPods).toEqual(['one-0', 'one-1', 'one-2', 'two-0', 'two-1', 'two-2']);
    expect(evictions.filter((x) => x.e.pod.startsWith('two-')).every((x) => x.by === 'b')).toBe(true);
    expect(new Set(evictions.map((x) => x.e.podUid)).size).toBe(evictions.length);
    expect(bothLeading).toBe(false);
  });
});
