// delete-pod, force-delete-pod, trigger-job, suspend/resume-cronjob through
// the hub API, verified with the Kubernetes API.
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { podTemplate, useHarness } from './actions-harness.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const batch = kc.makeApiClient(k8s.BatchV1Api);

/** The Job a trigger-job command reports in its result. */
const jobName = (c: { result: Record<string, unknown> | null }): string =>
  typeof c.result?.job === 'string' ? c.result.job : '';

const jobSpec = {
  backoffLimit: 0,
  template: {
    metadata: { labels: { task: 'report' } },
    spec: { restartPolicy: 'Never', containers: [{ name: 'task', image: 'report:v1' }] },
  },
};

describe('pod and job actions', () => {
  const h = useHarness();
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('act-pj');
    await Promise.all([
      apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: 'web' },
          spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: podTemplate('web', 'web:v1') },
        },
      }),
      core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name: 'loner' }, spec: { containers: [{ name: 'app', image: 'loner:v1' }] } },
      }),
      batch.createNamespacedJob({
        namespace: ns,
        body: { metadata: { name: 'report', labels: { team: 'data' } }, spec: jobSpec },
      }),
      batch.createNamespacedCronJob({
        namespace: ns,
        body: {
          metadata: { name: 'nightly' },
          spec: {
            schedule: '0 3 * * *',
            jobTemplate: {
              metadata: { labels: { team: 'data' }, annotations: { note: 'from-template' } },
              spec: jobSpec,
            },
          },
        },
      }),
    ]);
    await eventually('web pod running', async () =>
      (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items.some(
        (p) => p.status?.phase === 'Running',
      ),
    );
  });

  it('deletes a pod with a grace period and reports it; the ReplicaSet replaces it', async () => {
    const pod = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items[0];
    const name = pod?.metadata?.name ?? '';
    const preview = await h.preview({ action: 'delete-pod', target: { kind: 'Pod', namespace: ns, name } });
    expect(preview.preview.summary).toBe(
      `delete pod ${name} with a grace period of 5s (the pod's terminationGracePeriodSeconds)`,
    );
    expect(preview.preview.warnings[0]).toMatch(/^ReplicaSet web-\w+ will create a replacement pod$/);
    expect(preview.preview.affected).toEqual([{ kind: 'Pod', namespace: ns, name, effect: 'deleted' }]);
    expect((await core.readNamespacedPod({ namespace: ns, name })).metadata?.deletionTimestamp).toBeUndefined();

    const done = await h.run({
      action: 'delete-pod',
      target: { kind: 'Pod', namespace: ns, name },
      params: { gracePeriodSeconds: 2 },
    });
    expect(done.state, done.message ?? '').toBe('succeeded');
    expect(done.message).toContain('with a grace period of 2s (requested)');
    await expect(core.readNamespacedPod({ namespace: ns, name })).rejects.toMatchObject({ code: 404 });
  });

  it('keeps force delete (grace 0) out of the basic tier and runs it as force-delete-pod', async () => {
    const r = await h.post({
      action: 'delete-pod',
      target: { kind: 'Pod', namespace: ns, name: 'loner' },
      params: { gracePeriodSeconds: 0 },
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain(
      'params.gracePeriodSeconds: must be 1 or more; a grace period of 0 is a force delete: use the force-delete-pod action',
    );
    const preview = await h.preview({
      action: 'force-delete-pod',
      target: { kind: 'Pod', namespace: ns, name: 'loner' },
    });
    expect(preview.preview.warnings).toContain('no controller manages this pod: it will not be recreated');
    const done = await h.run({ action: 'force-delete-pod', target: { kind: 'Pod', namespace: ns, name: 'loner' } });
    expect(done.state, done.message ?? '').toBe('succeeded');
    expect(done.message).toContain('grace period of 0s (force delete)');
    await expect(core.readNamespacedPod({ namespace: ns, name: 'loner' })).rejects.toMatchObject({ code: 404 });
    const again = await h.run({ action: 'force-delete-pod', target: { kind: 'Pod', namespace: ns, name: 'loner' } });
    expect(again.state).toBe('failed');
    expect(again.message).toContain('not found');
  });

  it('re-runs a Job: a new Job from its template with a fresh selector, labelled with its source', async () => {
    const preview = await h.preview({ action: 'trigger-job', target: { kind: 'Job', namespace: ns, name: 'report' } });
    expect(preview.preview.affected[0]).toMatchObject({ kind: 'Job', effect: 'created' });
    expect((await batch.listNamespacedJob({ namespace: ns })).items.map((j) => j.metadata?.name)).not.toContain(
      preview.preview.affected[0]?.name,
    );

    const done = await h.run({
      action: 'trigger-job',
      target: { kind: 'Job', namespace: ns, name: 'report' },
      reason: 'rerun after fix',
    });
    expect(done.state, done.message ?? '').toBe('succeeded');
    const name = jobName(done);
    expect(name).toBe(`report-run-${done.id.replace(/-/g, '').slice(0, 6)}`);
    const [src, job] = await Promise.all([
      batch.readNamespacedJob({ namespace: ns, name: 'report' }),
      batch.readNamespacedJob({ namespace: ns, name }),
    ]);
    expect(job.metadata?.labels).toMatchObject({ team: 'data', 'wheelhouse.dev/triggered-from': 'report' });
    expect(job.metadata?.annotations?.['kubernetes.io/change-cause']).toBe(
      `run Job report now by ${h.username} via Wheelhouse: rerun after fix`,
    );
    expect(job.metadata?.annotations?.['wheelhouse.dev/commands']).toBe(done.id);
    expect(job.spec?.selector?.matchLabels?.['batch.kubernetes.io/controller-uid']).toBe(job.metadata?.uid);
    expect(job.spec?.selector?.matchLabels?.['batch.kubernetes.io/controller-uid']).not.toBe(src.metadata?.uid);
    expect(job.spec?.template.spec?.containers[0]?.image).toBe('report:v1');
    expect(job.status?.startTime).toBeDefined();
  });

  it('runs a CronJob now: a Job from its jobTemplate, owned by the CronJob, marked manual', async () => {
    const done = await h.run({ action: 'trigger-job', target: { kind: 'CronJob', namespace: ns, name: 'nightly' } });
    expect(done.state, done.message ?? '').toBe('succeeded');
    const cj = await batch.readNamespacedCronJob({ namespace: ns, name: 'nightly' });
    const job = await batch.readNamespacedJob({ namespace: ns, name: jobName(done) });
    expect(job.metadata?.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: cj.metadata?.uid, controller: true },
    ]);
    expect(job.metadata?.annotations).toMatchObject({
      'cronjob.kubernetes.io/instantiate': 'manual',
      note: 'from-template',
    });
    expect(job.metadata?.labels).toMatchObject({ team: 'data' });
    // The Job runs to completion (kwok's pod-complete stage).
    await eventually(
      'manual job completes',
      async () => (await batch.readNamespacedJob({ namespace: ns, name: jobName(done) })).status?.succeeded === 1,
    );
  });

  it('suspends and resumes a CronJob', async () => {
    const preview = await h.preview({
      action: 'suspend-cronjob',
      target: { kind: 'CronJob', namespace: ns, name: 'nightly' },
    });
    expect(preview.preview.diff).toEqual([{ path: 'spec.suspend', from: false, to: true }]);
    expect((await batch.readNamespacedCronJob({ namespace: ns, name: 'nightly' })).spec?.suspend).toBe(false);
    const s = await h.run({ action: 'suspend-cronjob', target: { kind: 'CronJob', namespace: ns, name: 'nightly' } });
    expect(s.state, s.message ?? '').toBe('succeeded');
    expect((await batch.readNamespacedCronJob({ namespace: ns, name: 'nightly' })).spec?.suspend).toBe(true);
    const r = await h.run({ action: 'resume-cronjob', target: { kind: 'CronJob', namespace: ns, name: 'nightly' } });
    expect(r.state, r.message ?? '').toBe('succeeded');
    const cj = await batch.readNamespacedCronJob({ namespace: ns, name: 'nightly' });
    expect(cj.spec?.suspend).toBe(false);
    expect(cj.metadata?.annotations?.['wheelhouse.dev/commands']).toBe(`${s.id},${r.id}`);
    const bad = await h.post({ action: 'suspend-cronjob', target: { kind: 'Job', namespace: ns, name: 'report' } });
    expect(bad.status).toBe(400);
    expect(bad.body.path).toBe('target.kind');
  });
});
