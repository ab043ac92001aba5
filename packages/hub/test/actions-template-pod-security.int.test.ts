// Pod Security Standards on the templates restart, rollback and trigger-job
// re-create from the cluster (issue 13 item 2, loose ends): a rollback to an
// old revision with a privileged template, a trigger-job from a privileged
// CronJob and a restart of a host-network Deployment are refused at the hub
// (400 naming the field and the rule) when it can read the template, and by
// the agent (command rejected, same words) when it cannot (a StatefulSet's
// revisions). Nothing changes in the cluster: read back from the API server.
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { useHarness } from './actions-harness.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);
const batch = kc.makeApiClient(k8s.BatchV1Api);
const patch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);

type Rec = Record<string, unknown>;
const labels = (app: string) => ({ app });
const container = (extra: Rec = {}): Rec & { name: string } => ({ name: 'app', image: 'app:v1', ...extra });
/** A pod template kwok runs; plain data, typed for the client at the end. */
const template = (app: string, spec: Rec & { containers: (Rec & { name: string })[] }): k8s.V1PodTemplateSpec => ({
  metadata: { labels: labels(app) },
  spec: { terminationGracePeriodSeconds: 5, ...spec },
});
const PRIVILEGED = { containers: [container({ securityContext: { privileged: true } })] };

describe('Pod Security Standards on templates taken from the cluster', () => {
  const h = useHarness();
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('pss-tpl');
    await batch.createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'priv-cron' },
        spec: {
          schedule: '0 0 1 1 *',
          jobTemplate: { spec: { template: template('priv-cron', { ...PRIVILEGED, restartPolicy: 'Never' }) } },
        },
      },
    });
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'host-net' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels('host-net') },
          template: template('host-net', { hostNetwork: true, containers: [container()] }),
        },
      },
    });
    // Revision 1 privileged, revision 2 (current) compliant.
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'roll' },
        spec: { replicas: 1, selector: { matchLabels: labels('roll') }, template: template('roll', PRIVILEGED) },
      },
    });
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'db' },
        spec: {
          replicas: 1,
          serviceName: 'db',
          selector: { matchLabels: labels('db') },
          template: template('db', PRIVILEGED),
        },
      },
    });
    const rev1 = await eventually('revision 1 of roll and db', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'roll' });
      const s = await apps.readNamespacedStatefulSet({ namespace: ns, name: 'db' });
      return d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1'
        ? s.status?.currentRevision
        : undefined;
    });
    const toPlain = {
      spec: {
        template: { spec: { containers: [{ name: 'app', image: 'app:v2', securityContext: { privileged: false } }] } },
      },
    };
    await apps.patchNamespacedDeployment({ namespace: ns, name: 'roll', body: toPlain }, patch);
    await apps.patchNamespacedStatefulSet({ namespace: ns, name: 'db', body: toPlain }, patch);
    await eventually('revision 2 of roll and db, both ReplicaSets in the hub', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'roll' });
      const s = await apps.readNamespacedStatefulSet({ namespace: ns, name: 'db' });
      const rs = await h.p.hub.inventory.query(h.p.cluster, { kind: 'ReplicaSet', namespace: ns, limit: 100 });
      return (
        d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2' &&
        s.status?.updateRevision !== rev1 &&
        s.status?.currentRevision === s.status?.updateRevision &&
        rs.items.filter((r) => r.ownerRefs.some((o) => o.name === 'roll')).length === 2
      );
    });
  });

  const target = (kind: string, name: string) => ({ kind, namespace: ns, name });

  it('refuses trigger-job from a privileged CronJob at the hub, and creates no Job', async () => {
    const res = await h.post({ action: 'trigger-job', target: target('CronJob', 'priv-cron') });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'the pod template of CronJob priv-cron breaks the cluster\'s Pod Security Standards level "baseline": spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged: baseline forbids privileged containers',
    );
    expect(res.body.issues).toEqual([
      {
        path: 'spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged',
        message: 'baseline forbids privileged containers',
      },
    ]);
    expect((await batch.listNamespacedJob({ namespace: ns })).items).toEqual([]);
  });

  it('refuses a restart of a host-network Deployment at the hub, and restarts nothing', async () => {
    const res = await h.post({ action: 'restart', target: target('Deployment', 'host-net') });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(
      /^the pod template of Deployment host-net breaks .*: spec\.template\.spec\.hostNetwork: baseline forbids sharing the host's namespaces \(hostNetwork\)$/,
    );
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'host-net' });
    expect(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
  });

  it('refuses a Deployment rollback to a privileged revision at the hub, and keeps the current template', async () => {
    const res = await h.post({ action: 'rollback', target: target('Deployment', 'roll') });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'revision 1 of Deployment roll breaks the cluster\'s Pod Security Standards level "baseline": spec.template.spec.containers[0].securityContext.privileged: baseline forbids privileged containers',
    );
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'roll' });
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('app:v2');
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('the agent refuses a StatefulSet rollback to a privileged revision (the hub cannot read ControllerRevisions), in the same words', async () => {
    const done = await h.run({ action: 'rollback', target: target('StatefulSet', 'db') });
    expect(done.state).toBe('rejected');
    expect(done.message).toBe(
      'revision 1 of StatefulSet db breaks the cluster\'s Pod Security Standards level "baseline": spec.template.spec.containers[0].securityContext.privileged: baseline forbids privileged containers',
    );
    const s = await apps.readNamespacedStatefulSet({ namespace: ns, name: 'db' });
    expect(s.spec?.template.spec?.containers[0]?.image).toBe('app:v2');
  });

  it('the agent refuses on its own when the hub check is bypassed (trigger-job stored straight in the command service)', async () => {
    const cluster = await h.p.hub.clusters.get(h.p.cluster);
    if (!cluster) throw new Error('no cluster');
    const req = { action: 'trigger-job', target: target('CronJob', 'priv-cron'), params: {}, dryRun: false };
    const cmd = await h.p.hub.commands.create(
      'intruder',
      cluster,
      req,
      {},
      { podSecurity: 'baseline', secretReferences: false },
    );
    await h.p.hub.link.dispatchOutstanding(h.p.cluster);
    const done = await eventually('refused', async () => {
      const c = await h.get(cmd.id);
      return ['succeeded', 'failed', 'rejected', 'expired'].includes(c.state) ? c : undefined;
    });
    expect(done.state).toBe('rejected');
    expect(done.message).toMatch(
      /^the pod template of CronJob priv-cron breaks the cluster's Pod Security Standards level "baseline": /,
    );
    expect((await batch.listNamespacedJob({ namespace: ns })).items).toEqual([]);
  });

  it('at level privileged the same trigger-job runs', async () => {
    const admin = await (
      await import('./support/identity.js')
    ).addUser(h.p.hub, { bindings: [{ role: 'account-admin' }] });
    const put = await fetch(`${h.p.url}/api/v1/clusters/${h.p.cluster}/pod-security`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ level: 'privileged' }),
    });
    expect(put.status).toBe(200);
    const done = await h.run({ action: 'trigger-job', target: target('CronJob', 'priv-cron') });
    expect(done.state, done.message ?? '').toBe('succeeded');
    expect((await batch.listNamespacedJob({ namespace: ns })).items).toHaveLength(1);
  });
});
