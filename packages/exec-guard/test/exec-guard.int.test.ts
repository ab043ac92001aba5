// The whole path on the real control plane: kubectl exec → API server →
// admission (CONNECT) → exec guard → labels, annotations, Events → eviction at
// the TTL through the Eviction API, delayed (not bypassed) by a PDB.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { kubectl } from '@wheelhouse/test-cluster';
import { eventually, testNamespace } from '@wheelhouse/test-cluster/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecGuardHandle } from '../src/exec-guard.js';
import type { EvictionEvent, InteractionEvent } from '../src/events.js';
import {
  INTERACTION_ID_ANNOTATION,
  INTERACTION_TIMESTAMP_LABEL,
  INTERACTOR_ANNOTATION,
  INTERACTOR_LABEL,
  TERMINATION_TIME_ANNOTATION,
  TTL_LABEL,
} from '../src/labels.js';
import {
  counterValue,
  createPods,
  execIn,
  kc,
  podEvents,
  podGoneOrTerminating,
  readPod,
  routeExecsTo,
  startTestGuard,
  stopTestGuard,
  tempDir,
  uniqueName,
} from './cluster-helpers.js';

// Long enough that the first two tests' pod outlives them on a loaded machine (it was evicted
// between them at 8 s), short enough for the tests that wait for the eviction.
const TTL_SECONDS = 20;

describe('exec guard on the real control plane', () => {
  let ns: string;
  let allowed: string;
  let guard: ExecGuardHandle;
  let dataDir: string;
  let removeWebhooks: () => Promise<void>;
  const interactions: InteractionEvent[] = [];
  const evictions: EvictionEvent[] = [];
  let pods: Map<string, k8s.V1Pod>;

  beforeAll(async () => {
    ns = await testNamespace('eg');
    allowed = await testNamespace('eg-allow');
    dataDir = await tempDir();
    // Without the admission client CA: this file exercises the path, not who may call it.
    guard = await startTestGuard(ns, dataDir, {
      clientCaPath: undefined,
      ttlSeconds: TTL_SECONDS,
      namespaces: [ns, allowed],
      namespaceAllowlist: [allowed],
      evictionBackoffMs: 500,
      evictionMaxBackoffMs: 2000,
      leaderElection: {
        namespace: ns,
        name: uniqueName('lease'),
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 500,
      },
    });
    guard.events.on('interaction', (e) => interactions.push(e));
    guard.events.on('eviction', (e) => evictions.push(e));
    ({ removeWebhooks, pods } = await routeExecsTo(guard, [ns, allowed], ns, [
      'probe',
      'web',
      'timed',
      'guarded',
      'locked',
    ]));
    await createPods(allowed, ['free']);
  });

  afterAll(() => stopTestGuard(removeWebhooks, guard, dataDir));

  it('labels and annotates a pod on its first exec and announces it with two Warning Events', async () => {
    const before = Math.floor(Date.now() / 1000);
    const out = await execIn(ns, 'web', ['echo', 'inside']);
    expect(out).toBe('inside\n');
    const pod = await eventually('web to be labelled', async () => {
      const p = await readPod(ns, 'web');
      return p?.metadata?.labels?.[INTERACTION_TIMESTAMP_LABEL] !== undefined ? p : undefined;
    });
    const labels = pod.metadata?.labels ?? {};
    const ts = Number(labels[INTERACTION_TIMESTAMP_LABEL]);
    expect(ts).toBeGreaterThanOrEqual(before - 1);
    expect(ts).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(labels[INTERACTOR_LABEL]).toBe('kwok-admin');
    expect(labels[TTL_LABEL]).toBe(`${TTL_SECONDS}s`);
    const ann = pod.metadata?.annotations ?? {};
    expect(ann[INTERACTOR_ANNOTATION]).toBe('kwok-admin');
    expect(ann[TERMINATION_TIME_ANNOTATION]).toBe(
      new Date((ts + TTL_SECONDS) * 1000).toISOString().replace('.000Z', 'Z'),
    );

    const events = await eventually('two PodInteraction events', async () => {
      const ev = await podEvents(ns, 'web');
      return ev.length >= 2 ? ev : undefined;
    });
    expect(events.every((e) => e.type === 'Warning' && e.involvedObject.uid === pod.metadata?.uid)).toBe(true);
    const messages = events.map((e) => e.message ?? '');
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^Pod was interacted with 'kubectl exec\/attach' command by a user 'kwok-admin' initially at time \d{4}-\d\d-\d\dT/,
      ),
    );
    expect(messages).toContainEqual(expect.stringMatching(/^Pod will be evicted at time \S+ \(in about \d+s\)$/));

    // The embedding API reports the interaction with who, what and where.
    const reported = interactions.find((e) => e.entry.pod === 'web' && e.first);
    expect(reported?.entry).toMatchObject({
      namespace: ns,
      operation: 'exec',
      container: 'app',
      command: ['echo', 'inside'],
      user: 'kwok-admin',
    });
    expect(reported?.entry.groups).toContain('system:masters');
  });

  it('does not reset the clock on later interactions', async () => {
    const first = (await readPod(ns, 'web'))?.metadata;
    // The timestamp label has whole seconds: a later second is needed, or a reset clock would look unchanged.
    await new Promise((r) => setTimeout(r, 1100));
    await execIn(ns, 'web', ['true']);
    await eventually('the second interaction to be processed', () =>
      Promise.resolve(interactions.filter((e) => e.entry.pod === 'web').length >= 2),
    );
    await guard.drained();
    const again = (await readPod(ns, 'web'))?.metadata;
    expect(again?.labels?.[INTERACTION_TIMESTAMP_LABEL]).toBe(first?.labels?.[INTERACTION_TIMESTAMP_LABEL]);
    expect(again?.annotations?.[TERMINATION_TIME_ANNOTATION]).toBe(first?.annotations?.[TERMINATION_TIME_ANNOTATION]);
    expect(again?.annotations?.[INTERACTION_ID_ANNOTATION]).toBe(first?.annotations?.[INTERACTION_ID_ANNOTATION]);
    expect((await podEvents(ns, 'web')).length).toBe(2);
  });

  it('ignores interactions in an allowlisted namespace', async () => {
    const ignoredBefore = await counterValue(guard.metrics, 'interactions', { outcome: 'ignored' });
    expect(await execIn(allowed, 'free', ['echo', 'hi'])).toBe('hi\n');
    // The webhook was called (and chose to ignore it) ...
    await eventually(
      'the allowlisted exec to reach exec guard',
      async () => (await counterValue(guard.metrics, 'interactions', { outcome: 'ignored' })) > ignoredBefore,
    );
    await guard.drained();
    // ... and nothing about the pod changed.
    const pod = await readPod(allowed, 'free');
    expect(Object.keys(pod?.metadata?.labels ?? {}).filter((k) => k.startsWith('exec-guard.'))).toEqual([]);
    expect(Object.keys(pod?.metadata?.annotations ?? {}).filter((k) => k.startsWith('exec-guard.'))).toEqual([]);
    expect(await podEvents(allowed, 'free')).toEqual([]);
    expect(interactions.some((e) => e.entry.namespace === allowed)).toBe(false);
  });

  it('denies changing or removing the interaction labels, by label or by a whole replace, and they keep their values', async () => {
    // Out of the TTL's way on a busy machine: a PodDisruptionBudget holds the eviction back (exec guard
    // keeps retrying, the pod and its labels stay), so the values below cannot move under the test.
    const policy = kc.makeApiClient(k8s.PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: { metadata: { name: 'locked' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'locked' } } } },
    });
    await eventually('the PDB to be observed', async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: ns, name: 'locked' });
      return pdb.status?.observedGeneration === pdb.metadata?.generation && pdb.status?.currentHealthy === 1;
    });
    await execIn(ns, 'locked', ['true']);
    const protectedValues = await eventually('locked to be labelled', async () => {
      const p = await readPod(ns, 'locked');
      return p?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] !== undefined ? p : undefined;
    });
    const labels = (p: k8s.V1Pod | undefined): Record<string, string | undefined> => ({
      timestamp: p?.metadata?.labels?.[INTERACTION_TIMESTAMP_LABEL],
      interactor: p?.metadata?.labels?.[INTERACTOR_LABEL],
      ttl: p?.metadata?.labels?.[TTL_LABEL],
      interactorAnnotation: p?.metadata?.annotations?.[INTERACTOR_ANNOTATION],
      terminationTime: p?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION],
    });
    const want = labels(protectedValues);
    expect(Object.values(want).every((v) => v !== undefined && v !== '')).toBe(true);
    const refused = async (args: string[]): Promise<string> => {
      const r = await kubectl(args).then(
        () => null,
        (e: unknown) => (e as { stderr?: string }).stderr ?? String(e),
      );
      expect(r, `kubectl ${args.join(' ')} was allowed`).not.toBeNull();
      return r ?? '';
    };

    // Label by label: change the TTL, remove the timestamp, change the interactor.
    expect(await refused(['label', '-n', ns, 'pod/locked', `${TTL_LABEL}=1h`, '--overwrite'])).toContain(
      `${TTL_LABEL} cannot be changed or removed once set`,
    );
    expect(await refused(['label', '-n', ns, 'pod/locked', `${INTERACTION_TIMESTAMP_LABEL}-`])).toContain(
      `${INTERACTION_TIMESTAMP_LABEL} cannot be changed or removed once set`,
    );
    expect(
      await refused(['label', '-n', ns, 'pod/locked', `${INTERACTOR_LABEL}=someone-else`, '--overwrite']),
    ).toContain(`${INTERACTOR_LABEL} cannot be changed or removed once set`);
    expect(labels(await readPod(ns, 'locked'))).toEqual(want);

    // A full `kubectl replace` of the pod as a user would do it (get -o json, edit, replace): protected labels
    // dropped or rewritten, a protected annotation moved, along with an innocent label.
    const pod = JSON.parse((await kubectl(['get', '-n', ns, 'pod/locked', '-o', 'json'])).stdout) as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    };
    pod.metadata.labels = Object.fromEntries(
      Object.entries({ ...pod.metadata.labels, team: 'replaced', [INTERACTOR_LABEL]: 'someone-else' }).filter(
        ([k]) => k !== TTL_LABEL,
      ),
    );
    pod.metadata.annotations = { ...pod.metadata.annotations, [TERMINATION_TIME_ANNOTATION]: '2099-01-01T00:00:00Z' };
    const file = join(dataDir, 'locked.json');
    await writeFile(file, JSON.stringify(pod));
    const replaced = await refused(['replace', '-f', file]);
    expect(replaced).toContain(INTERACTOR_LABEL);
    expect(replaced).toContain(TTL_LABEL);
    const after = await readPod(ns, 'locked');
    expect(labels(after)).toEqual(want);
    // The whole request was refused, the innocent part with it.
    expect(after?.metadata?.labels?.team).toBeUndefined();

    // Other labels stay editable.
    await kubectl(['label', '-n', ns, 'pod/locked', 'team=payments']);
    const edited2 = await readPod(ns, 'locked');
    expect(edited2?.metadata?.labels?.team).toBe('payments');
    expect(labels(edited2)).toEqual(want);
    await policy.deleteNamespacedPodDisruptionBudget({ namespace: ns, name: 'locked' });
  });

  it('evicts the pod at its termination time and not before', async () => {
    const uid = pods.get('timed')?.metadata?.uid;
    await execIn(ns, 'timed', ['true']);
    const pod = await eventually('timed to be labelled', async () => {
      const p = await readPod(ns, 'timed');
      return p?.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] !== undefined ? p : undefined;
    });
    const due = Date.parse(pod.metadata?.annotations?.[TERMINATION_TIME_ANNOTATION] ?? '');
    // Still there a little before the time.
    const wait = due - Date.now() - 1500;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    expect(await podGoneOrTerminating(ns, 'timed', uid)).toBe(false);
    await eventually('timed to be evicted', () => podGoneOrTerminating(ns, 'timed', uid), { timeoutMs: 30_000 });
    // The pod can be seen terminating a moment before exec guard has processed the Eviction API's answer.
    const evicted = await eventually('exec guard to record the eviction', () =>
      Promise.resolve(evictions.find((e) => e.pod === 'timed')),
    );
    expect(evicted.podUid).toBe(uid);
    expect(evicted.at).toBeGreaterThanOrEqual(due);
    expect(evicted.at).toBeLessThan(due + 5000);
    // The Event is written right after the eviction: it may land a moment after the pod is gone.
    const messages = await eventually('the eviction Event', async () => {
      const m = (await podEvents(ns, 'timed')).map((e) => e.message ?? '');
      return m.some((x) => x.includes('Pod was evicted at time')) ? m : undefined;
    });
    expect(messages).toContainEqual(expect.stringContaining(`Pod was evicted at time`));
    expect(await counterValue(guard.metrics, 'evictions', { outcome: 'evicted' })).toBeGreaterThanOrEqual(1);
  });

  it('keeps retrying while a PodDisruptionBudget blocks the eviction, with a Warning Event, and never deletes it directly', async () => {
    const policy = kc.makeApiClient(k8s.PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: { metadata: { name: 'guarded' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } } },
    });
    await eventually('the PDB to be observed', async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: ns, name: 'guarded' });
      return pdb.status?.observedGeneration === pdb.metadata?.generation && pdb.status?.currentHealthy === 1;
    });
    const uid = pods.get('guarded')?.metadata?.uid;
    await execIn(ns, 'guarded', ['true']);
    const blocked = await eventually(
      'a Warning Event saying the eviction is blocked',
      async () => (await podEvents(ns, 'guarded')).find((e) => e.message?.startsWith('Pod eviction is blocked')),
      { timeoutMs: 60_000 },
    );
    expect(blocked.type).toBe('Warning');
    expect(blocked.message).toMatch(/disruption budget/i);
    expect(blocked.message).toMatch(/retries in \d/);
    // Blocked: still running well after its termination time. 3 s outlasts the retry backoff's cap
    // (evictionMaxBackoffMs, 2 s), so at least one more attempt is made, and refused, in this window.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await podGoneOrTerminating(ns, 'guarded', uid)).toBe(false);
    expect(await counterValue(guard.metrics, 'evictions', { outcome: 'blocked' })).toBeGreaterThanOrEqual(2);
    const aggregated = (await podEvents(ns, 'guarded')).find((e) => e.message?.startsWith('Pod eviction is blocked'));
    expect(aggregated?.count).toBeGreaterThanOrEqual(2);

    await policy.deleteNamespacedPodDisruptionBudget({ namespace: ns, name: 'guarded' });
    await eventually('guarded to be evicted once the PDB is gone', () => podGoneOrTerminating(ns, 'guarded', uid), {
      timeoutMs: 30_000,
    });
    expect(evictions.filter((e) => e.pod === 'guarded')).toHaveLength(1);
  });

  it('serves health probes and Prometheus metrics', async () => {
    const get = async (path: string): Promise<{ status: number; body: string }> => {
      const { request } = await import('node:https');
      return new Promise((resolve, reject) => {
        request(`${guard.url}${path}`, { ca: Buffer.from(guard.caBundle ?? '', 'base64') }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
          .on('error', reject)
          .end();
      });
    };
    expect((await get('/health/liveness')).status).toBe(200);
    expect((await get('/health/readiness')).status).toBe(200);
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    for (const name of [
      'exec_guard_interactions_total',
      'exec_guard_evictions_total',
      'exec_guard_extensions_total',
      'exec_guard_queue_depth',
      'exec_guard_webhook_duration_seconds_bucket',
    ]) {
      expect(metrics.body).toContain(name);
    }
    // The value line, not the HELP text (which reads "1 while this instance holds the leader Lease").
    expect(metrics.body).toMatch(/^exec_guard_leader 1$/m);
    expect(metrics.body).toMatch(/exec_guard_interactions_total\{operation="exec",outcome="recorded"\} [1-9]/);
  });
});
