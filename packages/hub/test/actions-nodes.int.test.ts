// cordon, uncordon and drain through the hub API on a kwok node of this
// file's own (tainted, so only this file's pods land there).
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { useHarness } from './actions-harness.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const policy = kc.makeApiClient(k8s.PolicyV1Api);

const node = `wh-actions-${randomBytes(3).toString('hex')}`;
const TAINT = { key: 'wheelhouse.dev/actions-test', value: node, effect: 'NoSchedule' };
const toleration = { key: TAINT.key, operator: 'Equal', value: node, effect: 'NoSchedule' };
const onNode = {
  nodeSelector: { 'kubernetes.io/hostname': node },
  tolerations: [toleration],
  terminationGracePeriodSeconds: 1,
};

describe('node actions', () => {
  const h = useHarness();
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('act-node');
    await core.createNode({
      body: {
        metadata: {
          name: node,
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
          labels: { 'kubernetes.io/hostname': node, type: 'kwok' },
        },
        spec: { taints: [TAINT] },
        status: {
          allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
          capacity: { cpu: '8', memory: '32Gi', pods: '110' },
        },
      },
    });
    await eventually('node ready', async () =>
      (await core.readNode({ name: node })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    const tpl = (app: string) => ({
      metadata: { labels: { app } },
      spec: { ...onNode, containers: [{ name: 'app', image: `${app}:v1` }] },
    });
    await Promise.all([
      apps.createNamespacedDeployment({
        namespace: ns,
        body: {
          metadata: { name: 'pinned' },
          spec: { replicas: 1, selector: { matchLabels: { app: 'pinned' } }, template: tpl('pinned') },
        },
      }),
      apps.createNamespacedDaemonSet({
        namespace: ns,
        body: {
          metadata: { name: 'agent' },
          spec: { selector: { matchLabels: { app: 'agent' } }, template: tpl('agent') },
        },
      }),
      core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'loner' },
          spec: {
            nodeName: node,
            tolerations: [toleration],
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'app', image: 'loner:v1' }],
            volumes: [{ name: 'scratch', emptyDir: {} }],
          },
        },
      }),
      policy.createNamespacedPodDisruptionBudget({
        namespace: ns,
        body: { metadata: { name: 'pinned' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'pinned' } } } },
      }),
    ]);
    await eventually('pods running on the node', async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns, fieldSelector: `spec.nodeName=${node}` })).items;
      const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: ns, name: 'pinned' });
      return pods.filter((p) => p.status?.phase === 'Running').length === 3 && pdb.status?.currentHealthy === 1;
    });
  });

  afterAll(async () => {
    await core.deleteNode({ name: node }).catch(() => undefined);
  });

  it('cordons and uncordons a node', async () => {
    const preview = await h.preview({ action: 'cordon', target: { kind: 'Node', name: node } });
    expect(preview.preview.diff).toEqual([{ path: 'spec.unschedulable', from: false, to: true }]);
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBeUndefined();
    const c = await h.run({ action: 'cordon', target: { kind: 'Node', name: node }, reason: 'disk pressure' });
    expect(c.state, c.message ?? '').toBe('succeeded');
    const cordoned = await core.readNode({ name: node });
    expect(cordoned.spec?.unschedulable).toBe(true);
    expect(cordoned.metadata?.annotations?.['kubernetes.io/change-cause']).toBe(
      `cordon by ${h.username} via Wheelhouse: disk pressure`,
    );
    const u = await h.run({ action: 'uncordon', target: { kind: 'Node', name: node } });
    expect(u.state, u.message ?? '').toBe('succeeded');
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBeFalsy();
  });

  it('refuses bad drain input with a 400 naming the field', async () => {
    for (const [body, path] of [
      [
        { action: 'drain', target: { kind: 'Node', name: node }, params: { timeoutSeconds: 0 } },
        'params.timeoutSeconds',
      ],
      [
        { action: 'drain', target: { kind: 'Node', name: node }, params: { gracePeriodSeconds: -1 } },
        'params.gracePeriodSeconds',
      ],
      [{ action: 'cordon', target: { kind: 'Node', namespace: ns, name: node } }, 'target.namespace'],
      [{ action: 'drain', target: { kind: 'Deployment', namespace: ns, name: 'pinned' } }, 'target.kind'],
    ] as const) {
      const r = await h.post(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(r.body)).toContain(path);
    }
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBeFalsy();
  });

  it('will not drain past an unmanaged pod without force, and leaves the node schedulable', async () => {
    const done = await h.run({ action: 'drain', target: { kind: 'Node', name: node } });
    expect(done.state).toBe('failed');
    expect(done.message).toContain(`${ns}/loner no controller manages it`);
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBeFalsy();
  });

  it('drains: skips DaemonSet pods, reports a PodDisruptionBudget block, and completes once the budget allows', async () => {
    const params = { force: true, deleteEmptyDirData: true, timeoutSeconds: 60 };
    const preview = await h.preview({ action: 'drain', target: { kind: 'Node', name: node }, params });
    expect(
      preview.preview.affected.map((a) => `${a.name.replace(/-[a-z0-9]+-[a-z0-9]+$/, '')}:${a.effect}`).sort(),
    ).toEqual(['loner:evicted', `pinned:blocked by PodDisruptionBudget ${ns}/pinned`]);
    expect(preview.preview.summary).toBe(`cordon node ${node} and evict 2 pods`);
    expect(preview.preview.diff).toEqual([{ path: 'spec.unschedulable', from: false, to: true }]);
    expect(preview.preview.warnings.join('\n')).toContain(`PodDisruptionBudget ${ns}/pinned allows no disruption now`);
    expect(preview.preview.warnings.join('\n')).toMatch(/skipping .*agent-\w+: DaemonSet pod/);
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBeFalsy();
    // On a node someone already cordoned, the preview says so and shows no change to make.
    await core.patchNode(
      { name: node, body: { spec: { unschedulable: true } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const again = await h.preview({ action: 'drain', target: { kind: 'Node', name: node }, params });
    expect(again.preview.summary).toBe(`node ${node} is already cordoned; evict 2 pods`);
    expect(again.preview.diff).toEqual([]);

    const posted = await h.post({
      action: 'drain',
      target: { kind: 'Node', name: node },
      params,
      reason: 'kernel upgrade',
    });
    expect(posted.status).toBe(202);
    const id = String(posted.body.id);
    const blocked = await eventually(
      'the drain to report the budget',
      async () => {
        const c = await h.get(id);
        return c.state === 'running' && c.message?.includes('disruption budget') ? c : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(blocked.message).toContain(`${ns}/pinned-`);
    expect((await core.readNode({ name: node })).spec?.unschedulable).toBe(true);
    await eventually(
      'loner evicted',
      async () => !(await core.listNamespacedPod({ namespace: ns })).items.some((p) => p.metadata?.name === 'loner'),
      { timeoutMs: 60_000 },
    );
    // The block stays in the progress line while other pods go.
    expect(
      (
        await eventually('progress after the loner', async () => {
          const c = await h.get(id);
          return c.message?.includes('evicted 1/2') ? c : undefined;
        })
      ).message,
    ).toContain(`${ns}/pinned-`);

    await policy.patchNamespacedPodDisruptionBudget(
      { namespace: ns, name: 'pinned', body: { spec: { minAvailable: 0 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const done = await eventually(
      'the drain to finish',
      async () => {
        const c = await h.get(id);
        return ['succeeded', 'failed'].includes(c.state) ? c : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(done.state, done.message ?? '').toBe('succeeded');
    expect(done.message).toMatch(/evicted 2 pods; skipped .*agent-/);
    const left = (await core.listNamespacedPod({ namespace: ns, fieldSelector: `spec.nodeName=${node}` })).items;
    expect(left.map((p) => p.metadata?.labels?.app)).toEqual(['agent']);

    const tl = await h.p.hub.timeline.query(h.p.cluster, { namespace: ns, kind: 'Pod', types: ['action'], limit: 20 });
    const summaries = tl.items.map((e) => e.summary);
    expect(summaries.some((s) => /eviction of .*pinned-.* blocked/.test(s))).toBe(true);
    expect(summaries.some((s) => s.includes(`evicted ${ns}/loner`))).toBe(true);
  });
});
