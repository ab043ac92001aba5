// A shell in a pod of a CronJob's Job belongs on the CronJob's timeline, like
// the pod's other events: the hub's shell route, the agent and the console
// resolve a pod's workload with the same rule (protocol's resolveWorkload).
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellPath, type TimelineEvent } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();

// kwok completes a Job's pod as soon as it runs; its chaos stage (weight 10000)
// wins over that and, with this delay, keeps the pod Running for the test (kwok
// takes the jitter as the upper bound of the delay, so both are set).
const KEEP_RUNNING = {
  labels: { 'pod-container-running-failed.stage.kwok.x-k8s.io': 'true' },
  annotations: {
    'pod-container-running-failed.stage.kwok.x-k8s.io/delay': '10m',
    'pod-container-running-failed.stage.kwok.x-k8s.io/jitter-delay': '10m',
  },
};

describe('a shell in a CronJob pod', () => {
  let p: Pipeline;
  let ns: string;
  let operator: TestUser;
  let podName: string;
  const batch = kubeConfig().makeApiClient(k8s.BatchV1Api);

  beforeAll(async () => {
    ns = await testNamespace('shell-cron');
    p = await startPipeline();
    operator = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    const jobSpec = {
      backoffLimit: 0,
      template: {
        metadata: KEEP_RUNNING,
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
      },
    } satisfies k8s.V1JobSpec;
    const cronJob = await batch.createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'nightly' },
        spec: { schedule: '0 3 * * *', suspend: true, jobTemplate: { spec: jobSpec } },
      },
    });
    // What `kubectl create job --from=cronjob/nightly` (and the CronJob controller) creates: a Job the CronJob controls.
    await batch.createNamespacedJob({
      namespace: ns,
      body: {
        metadata: {
          name: 'nightly-manual',
          ownerReferences: [
            {
              apiVersion: 'batch/v1',
              kind: 'CronJob',
              name: 'nightly',
              uid: cronJob.metadata?.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        // Suspended until the agent knows the Job: the agent names a pod's workload when it sees
        // the pod, once: a pod seen before its Job would stay on the Job.
        spec: { ...jobSpec, suspend: true },
      },
    });
    await eventually(
      'the Job in the hub inventory',
      async () => (await p.hub.inventory.get(p.cluster, 'Job', ns, 'nightly-manual')) ?? undefined,
    );
    await batch.patchNamespacedJob(
      { namespace: ns, name: 'nightly-manual', body: { spec: { suspend: false } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    podName = await eventually(
      "the Job's pod running in the hub inventory, and the Job there",
      async () => {
        const page = await p.hub.inventory.query(p.cluster, { kind: 'Pod', namespace: ns, limit: 10 });
        const pod = page.items.find(
          (i) => i.kind === 'Pod' && i.ownerRefs[0]?.name === 'nightly-manual' && i.summary.phase === 'Running',
        );
        const job = await p.hub.inventory.get(p.cluster, 'Job', ns, 'nightly-manual');
        return pod && job ? pod.name : undefined;
      },
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(() => p.stop());

  it('is on the CronJob timeline, with the pod’s other events', async () => {
    const u = new URL(shellPath(p.cluster, ns, podName), p.url.replace('http', 'ws'));
    for (const arg of ['sh', '-c', 'echo cron-shell-ok; sleep 1']) u.searchParams.append('command', arg);
    const ws = new WebSocket(u, { headers: bearer(operator.token) });
    let output = '';
    ws.on('message', (data, isBinary) => {
      if (isBinary && Buffer.isBuffer(data)) output += data.toString('utf8');
    });
    const closed = new Promise((resolve) => ws.on('close', resolve));
    await eventually('the shell output', () => Promise.resolve(output.includes('cron-shell-ok')), {
      timeoutMs: 20_000,
    });
    await closed;

    const timeline = async (types: string): Promise<TimelineEvent[]> => {
      const res = await p.hub.app.inject({
        url: `/api/v1/clusters/${p.cluster}/timeline?namespace=${ns}&kind=CronJob&name=nightly&type=${types}`,
        headers: bearer(operator.token),
      });
      expect(res.statusCode).toBe(200);
      return res.json<{ items: TimelineEvent[] }>().items;
    };
    const shells = await eventually('the shell start and end on the CronJob timeline', async () => {
      const items = (await timeline('shell')).filter((e) => e.name === podName);
      return items.length === 2 ? items : undefined;
    });
    expect(shells.map((e) => e.owner)).toEqual([
      { kind: 'CronJob', name: 'nightly' },
      { kind: 'CronJob', name: 'nightly' },
    ]);
    expect(shells.map((e) => (e.type === 'shell' ? e.data.phase : undefined)).sort()).toEqual(['end', 'start']);
    // The pod's phase changes (recorded by the agent) are there too: one rule for both.
    const phases = await eventually("the pod's phase changes on the CronJob timeline", async () => {
      const items = (await timeline('pod-phase')).filter((e) => e.name === podName);
      return items.length > 0 ? items : undefined;
    });
    expect(phases.every((e) => e.owner?.kind === 'CronJob' && e.owner.name === 'nightly')).toBe(true);
  }, 60_000);
});
