// scale, restart and rollback through the hub API, for every kind they take,
// verified with the Kubernetes API.
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { podTemplate, useHarness } from './actions-harness.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);
const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);

const image = (t: { spec?: { containers?: { image?: string }[] } } | undefined): string | undefined =>
  t?.spec?.containers?.[0]?.image;

describe('workload actions', () => {
  const h = useHarness();
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('act-wl');
    const sel = (app: string) => ({ matchLabels: { app } });
    await Promise.all([
      apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: 'web' },
          spec: { replicas: 2, selector: sel('web'), template: podTemplate('web', 'web:v1') },
        },
      }),
      apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: 'roll' },
          spec: { replicas: 1, selector: sel('roll'), template: podTemplate('roll', 'roll:v1') },
        },
      }),
      apps.createNamespacedStatefulSet({
        namespace: ns,
        body: {
          metadata: { name: 'db' },
          spec: {
            replicas: 1,
            serviceName: 'db',
            podManagementPolicy: 'Parallel',
            selector: sel('db'),
            template: podTemplate('db', 'db:v1'),
          },
        },
      }),
      apps.createNamespacedReplicaSet({
        namespace: ns,
        body: {
          metadata: { name: 'rs' },
          spec: { replicas: 1, selector: sel('rs'), template: podTemplate('rs', 'rs:v1') },
        },
      }),
      apps.createNamespacedDaemonSet({
        namespace: ns,
        body: {
          metadata: { name: 'ds' },
          spec: {
            selector: sel('ds'),
            template: {
              ...podTemplate('ds', 'ds:v1'),
              spec: {
                containers: [{ name: 'app', image: 'ds:v1' }],
                nodeSelector: { 'kubernetes.io/hostname': 'kwok-node-0' },
              },
            },
          },
        },
      }),
    ]);
    await eventually('workloads ready', async () => {
      const [d, s, ds] = await Promise.all([
        apps.readNamespacedDeployment({ namespace: ns, name: 'roll' }),
        apps.readNamespacedStatefulSet({ namespace: ns, name: 'db' }),
        apps.readNamespacedDaemonSet({ namespace: ns, name: 'ds' }),
      ]);
      return d.status?.availableReplicas === 1 && s.status?.readyReplicas === 1 && ds.status?.numberAvailable === 1;
    });
  });

  it('scales a Deployment, a StatefulSet and a ReplicaSet and succeeds once the status shows the count', async () => {
    const runs = await Promise.all(
      (['Deployment', 'StatefulSet', 'ReplicaSet'] as const).map(async (kind) => {
        const name = { Deployment: 'web', StatefulSet: 'db', ReplicaSet: 'rs' }[kind];
        const done = await h.run({
          action: 'scale',
          target: { kind, namespace: ns, name },
          params: { replicas: 3 },
          reason: 'load test',
        });
        return { kind, name, done };
      }),
    );
    for (const { kind, name, done } of runs) {
      expect(done.state, `${kind}: ${done.message}`).toBe('succeeded');
      expect(done.message).toContain('to 3');
      const read = {
        Deployment: () => apps.readNamespacedDeployment({ namespace: ns, name }),
        StatefulSet: () => apps.readNamespacedStatefulSet({ namespace: ns, name }),
        ReplicaSet: () => apps.readNamespacedReplicaSet({ namespace: ns, name }),
      }[kind];
      const o = await read();
      expect(o.spec?.replicas).toBe(3);
      expect(o.status?.replicas).toBe(3);
      expect(o.metadata?.annotations?.['kubernetes.io/change-cause']).toBe(
        `scale to 3 by ${h.username} via Wheelhouse: load test`,
      );
      expect(o.metadata?.annotations?.['wheelhouse.dev/commands']).toContain(done.id);
    }
  });

  it('previews a scale without changing anything, warning about an HPA and about PVCs a StatefulSet keeps', async () => {
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 2,
          maxReplicas: 5,
        },
      },
    });
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'data' },
        spec: {
          replicas: 3,
          serviceName: 'data',
          selector: { matchLabels: { app: 'data' } },
          template: podTemplate('data', 'data:v1'),
          volumeClaimTemplates: [
            {
              metadata: { name: 'pv' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          ],
        },
      },
    });
    const before = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
    const hpa = await h.preview({
      action: 'scale',
      target: { kind: 'Deployment', namespace: ns, name: 'web' },
      params: { replicas: 1 },
    });
    expect(hpa.status).toBe('succeeded');
    expect(hpa.preview.diff).toEqual([{ path: 'spec.replicas', from: before.spec?.replicas, to: 1 }]);
    expect(hpa.preview.warnings.join('\n')).toMatch(/HorizontalPodAutoscaler web targets this Deployment/);
    const sts = await h.preview({
      action: 'scale',
      target: { kind: 'StatefulSet', namespace: ns, name: 'data' },
      params: { replicas: 1 },
    });
    expect(sts.preview.warnings.join('\n')).toContain(
      'keeps the PersistentVolumeClaims of the removed pods: pv-data-1, pv-data-2',
    );
    expect(sts.preview.affected).toEqual([
      { kind: 'Pod', namespace: ns, name: 'data-1', effect: 'deleted' },
      { kind: 'Pod', namespace: ns, name: 'data-2', effect: 'deleted' },
    ]);
    const after = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect((await apps.readNamespacedStatefulSet({ namespace: ns, name: 'data' })).spec?.replicas).toBe(3);
  });

  it('refuses bad input with a 400 naming the field, and applies nothing', async () => {
    const target = { kind: 'Deployment', namespace: ns, name: 'roll' };
    const cases: [Parameters<typeof h.post>[0], string][] = [
      [{ action: 'scale', target, params: { replicas: -1 } }, 'params.replicas'],
      [{ action: 'scale', target, params: { replicas: 1.5 } }, 'params.replicas'],
      [{ action: 'scale', target, params: {} }, 'params.replicas'],
      [{ action: 'scale', target, params: { replicas: 1, timeoutSeconds: 0 } }, 'params.timeoutSeconds'],
      [
        { action: 'scale', target: { kind: 'DaemonSet', namespace: ns, name: 'ds' }, params: { replicas: 1 } },
        'target.kind',
      ],
      [{ action: 'rescale', target, params: { replicas: 1 } }, 'action'],
      [{ action: 'rollback', target, params: { toRevision: 0 } }, 'params.toRevision'],
      [{ action: 'restart', target: { kind: 'ReplicaSet', namespace: ns, name: 'rs' } }, 'target.kind'],
    ];
    const before = await apps.readNamespacedDeployment({ namespace: ns, name: 'roll' });
    for (const [body, path] of cases) {
      const r = await h.post(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(r.body)).toContain(path);
    }
    const after = await apps.readNamespacedDeployment({ namespace: ns, name: 'roll' });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('fails with "not found" when the target does not exist', async () => {
    const done = await h.run({
      action: 'scale',
      target: { kind: 'Deployment', namespace: ns, name: 'gone' },
      params: { replicas: 1 },
    });
    expect(done.state).toBe('failed');
    expect(done.message).toContain('not found');
  });

  it('restarts a Deployment, a StatefulSet and a DaemonSet like kubectl rollout restart', async () => {
    const targets = [
      { kind: 'Deployment', name: 'roll', read: () => apps.readNamespacedDeployment({ namespace: ns, name: 'roll' }) },
      { kind: 'StatefulSet', name: 'db', read: () => apps.readNamespacedStatefulSet({ namespace: ns, name: 'db' }) },
      { kind: 'DaemonSet', name: 'ds', read: () => apps.readNamespacedDaemonSet({ namespace: ns, name: 'ds' }) },
    ];
    const preview = await h.preview({ action: 'restart', target: { kind: 'Deployment', namespace: ns, name: 'roll' } });
    expect(preview.preview.diff[0]?.path).toBe('spec.template.metadata.annotations.kubectl.kubernetes.io/restartedAt');
    expect(preview.preview.summary).toContain('grace period of 5s');
    expect(preview.preview.affected.every((a) => a.kind === 'Pod' && a.effect === 'recreated')).toBe(true);
    const done = await Promise.all(
      targets.map((t) => h.run({ action: 'restart', target: { kind: t.kind, namespace: ns, name: t.name } })),
    );
    for (const [i, t] of targets.entries()) {
      const d = done[i];
      expect(d?.state, `${t.kind}: ${d?.message}`).toBe('succeeded');
      expect(d?.message).toContain('rollout complete');
      const o = await t.read();
      expect(o.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(
        /^\d{4}-\d\d-\d\dT/,
      );
      expect(o.metadata?.annotations?.['kubernetes.io/change-cause']).toContain(`rolling restart by ${h.username}`);
    }
  });

  it('rolls a Deployment back to the previous image, and to a chosen revision; a missing revision fails clearly', async () => {
    const setImage = async (img: string): Promise<void> => {
      await apps.patchNamespacedDeployment(
        {
          namespace: ns,
          name: 'roll',
          body: { spec: { template: { spec: { containers: [{ name: 'app', image: img }] } } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
      );
      await eventually(`roll on ${img}`, async () => {
        const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'roll' });
        return (
          (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
          d.status?.updatedReplicas === 1 &&
          d.status.replicas === 1
        );
      });
    };
    await setImage('roll:v2');
    const preview = await h.preview({
      action: 'rollback',
      target: { kind: 'Deployment', namespace: ns, name: 'roll' },
    });
    expect(preview.preview.diff).toContainEqual({
      path: 'spec.template.spec.containers[app].image',
      from: 'roll:v2',
      to: 'roll:v1',
    });
    expect(image((await apps.readNamespacedDeployment({ namespace: ns, name: 'roll' })).spec?.template)).toBe(
      'roll:v2',
    );

    const back = await h.run({
      action: 'rollback',
      target: { kind: 'Deployment', namespace: ns, name: 'roll' },
      reason: 'v2 is broken',
    });
    expect(back.state, back.message ?? '').toBe('succeeded');
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'roll' });
    expect(image(d.spec?.template)).toBe('roll:v1');
    // Revisions: 1 = v1, 2 = the restart (v1 + restartedAt), 3 = v2; the previous one is 2, which becomes 4.
    expect(d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    expect(Number(d.metadata?.annotations?.['deployment.kubernetes.io/revision'])).toBeGreaterThanOrEqual(4);
    expect(d.metadata?.annotations?.['kubernetes.io/change-cause']).toContain('v2 is broken');

    const missing = await h.run({
      action: 'rollback',
      target: { kind: 'Deployment', namespace: ns, name: 'roll' },
      params: { toRevision: 99 },
    });
    expect(missing.state).toBe('failed');
    expect(missing.message).toMatch(/revision 99 of Deployment roll not found; available revisions: /);

    const rs = await apps.listNamespacedReplicaSet({ namespace: ns });
    const v2 = rs.items.find((r) => image(r.spec?.template) === 'roll:v2');
    const toV2 = await h.run({
      action: 'rollback',
      target: { kind: 'Deployment', namespace: ns, name: 'roll' },
      params: { toRevision: Number(v2?.metadata?.annotations?.['deployment.kubernetes.io/revision']) },
    });
    expect(toV2.state, toV2.message ?? '').toBe('succeeded');
    expect(image((await apps.readNamespacedDeployment({ namespace: ns, name: 'roll' })).spec?.template)).toBe(
      'roll:v2',
    );

    // Revision 1 had no restartedAt annotation: the template is restored exactly, the annotation removed.
    const toV1 = await h.run({
      action: 'rollback',
      target: { kind: 'Deployment', namespace: ns, name: 'roll' },
      params: { toRevision: 1 },
    });
    expect(toV1.state, toV1.message ?? '').toBe('succeeded');
    const first = await apps.readNamespacedDeployment({ namespace: ns, name: 'roll' });
    expect(image(first.spec?.template)).toBe('roll:v1');
    expect(first.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
    expect(
      (await apps.listNamespacedReplicaSet({ namespace: ns })).items.filter(
        (r) => r.metadata?.ownerReferences?.[0]?.name === 'roll',
      ),
    ).toHaveLength(3);
  });

  it('rolls a StatefulSet and a DaemonSet back through their ControllerRevisions', async () => {
    const patch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
    const body = (img: string) => ({ spec: { template: { spec: { containers: [{ name: 'app', image: img }] } } } });
    await apps.patchNamespacedStatefulSet({ namespace: ns, name: 'db', body: body('db:v2') }, patch);
    await apps.patchNamespacedDaemonSet({ namespace: ns, name: 'ds', body: body('ds:v2') }, patch);
    await eventually('v2 rolled out', async () => {
      const [s, ds] = await Promise.all([
        apps.readNamespacedStatefulSet({ namespace: ns, name: 'db' }),
        apps.readNamespacedDaemonSet({ namespace: ns, name: 'ds' }),
      ]);
      return (
        s.status?.updateRevision === s.status?.currentRevision &&
        s.status?.updatedReplicas === s.spec?.replicas &&
        ds.status?.updatedNumberScheduled === 1 &&
        (ds.status.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0)
      );
    });
    const preview = await h.preview({ action: 'rollback', target: { kind: 'StatefulSet', namespace: ns, name: 'db' } });
    expect(preview.preview.diff).toContainEqual({
      path: 'spec.template.spec.containers[app].image',
      from: 'db:v2',
      to: 'db:v1',
    });
    // The restart made a revision too: the previous one is the restart's (image v1).
    const [s, ds] = await Promise.all([
      h.run({ action: 'rollback', target: { kind: 'StatefulSet', namespace: ns, name: 'db' } }),
      h.run({ action: 'rollback', target: { kind: 'DaemonSet', namespace: ns, name: 'ds' } }),
    ]);
    expect(s.state, s.message ?? '').toBe('succeeded');
    expect(ds.state, ds.message ?? '').toBe('succeeded');
    expect(image((await apps.readNamespacedStatefulSet({ namespace: ns, name: 'db' })).spec?.template)).toBe('db:v1');
    expect(image((await apps.readNamespacedDaemonSet({ namespace: ns, name: 'ds' })).spec?.template)).toBe('ds:v1');
    const missing = await h.run({
      action: 'rollback',
      target: { kind: 'DaemonSet', namespace: ns, name: 'ds' },
      params: { toRevision: 42 },
    });
    expect(missing.state).toBe('failed');
    expect(missing.message).toContain('revision 42 of DaemonSet ds not found');
  });
});
