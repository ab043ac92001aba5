// apply (server-side, field manager "wheelhouse") and delete through the hub
// API, verified with the Kubernetes API.
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { podTemplate, useHarness } from './actions-harness.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);

const exists = async (read: () => Promise<unknown>): Promise<boolean> =>
  read().then(
    () => true,
    (e: unknown) => ((e as { code?: number }).code === 404 ? false : Promise.reject(e as Error)),
  );

describe('apply and delete', () => {
  const h = useHarness();
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('act-ad');
  });

  const deployment = (image: string, replicas = 1) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: api }
  template:
    metadata:
      labels: { app: api }
    spec:
      containers:
        - name: app
          image: ${image}
`;
  const configMap = (value: string) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api-config' }, data: { level: value } });

  it('creates several objects from one manifest with server-side apply, then previews and applies an edit', async () => {
    const manifest = `${deployment('api:v1')}---\n${configMap('info')}\n`;
    const created = await h.run({
      action: 'apply',
      target: { kind: 'Deployment', namespace: ns, name: 'api' },
      params: { manifest },
      reason: 'initial',
    });
    expect(created.state, created.message ?? '').toBe('succeeded');
    expect(created.message).toContain('Deployment api created, ConfigMap api-config created');
    const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'api' });
    expect(d.metadata?.managedFields?.some((m) => m.manager === 'wheelhouse' && m.operation === 'Apply')).toBe(true);
    expect(d.metadata?.annotations?.['kubernetes.io/change-cause']).toBe(
      `apply by ${h.username} via Wheelhouse: initial`,
    );
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'api-config' })).data).toEqual({ level: 'info' });

    const edit = `${deployment('api:v2', 2)}---\n${configMap('info')}\n`;
    const preview = await h.preview({
      action: 'apply',
      target: { kind: 'Deployment', namespace: ns, name: 'api' },
      params: { manifest: edit },
    });
    expect(preview.preview.diff).toEqual(
      expect.arrayContaining([
        { path: 'Deployment api: spec.replicas', from: 1, to: 2 },
        { path: 'Deployment api: spec.template.spec.containers[app].image', from: 'api:v1', to: 'api:v2' },
      ]),
    );
    expect(preview.preview.affected).toEqual([
      { kind: 'Deployment', namespace: ns, name: 'api', effect: 'configured' },
      { kind: 'ConfigMap', namespace: ns, name: 'api-config', effect: 'unchanged' },
    ]);
    expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'api' })).spec?.replicas).toBe(1);

    const applied = await h.run({
      action: 'apply',
      target: { kind: 'Deployment', namespace: ns, name: 'api' },
      params: { manifest: edit },
    });
    expect(applied.state, applied.message ?? '').toBe('succeeded');
    const after = await apps.readNamespacedDeployment({ namespace: ns, name: 'api' });
    expect(after.spec?.replicas).toBe(2);
    expect(after.spec?.template.spec?.containers[0]?.image).toBe('api:v2');
  });

  it('reports a field-ownership conflict clearly and takes the field over with force', async () => {
    // Another manager owns data.level.
    await core.patchNamespacedConfigMap(
      {
        namespace: ns,
        name: 'api-config',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'api-config' }, data: { level: 'debug' } },
        fieldManager: 'helm',
        force: true,
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
    );
    const target = { kind: 'ConfigMap', namespace: ns, name: 'api-config' };
    const conflict = await h.run({ action: 'apply', target, params: { manifest: configMap('warn') } });
    expect(conflict.state).toBe('failed');
    expect(conflict.message).toMatch(
      /nothing applied: ConfigMap api-config: .*conflict.*"helm".*apply again with force: true/i,
    );
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'api-config' })).data).toEqual({
      level: 'debug',
    });
    const forced = await h.run({ action: 'apply', target, params: { manifest: configMap('warn'), force: true } });
    expect(forced.state, forced.message ?? '').toBe('succeeded');
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'api-config' })).data).toEqual({ level: 'warn' });
  });

  it('rejects a manifest with one invalid document (400) before anything is applied', async () => {
    const target = { kind: 'ConfigMap', namespace: ns, name: 'first' };
    const first = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'first' },
      data: { a: '1' },
    });
    for (const [bad, expected] of [
      ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: second\n', 'document 2: invalid YAML'],
      [
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Name\n',
        'document 2: metadata.name must be a Kubernetes object name',
      ],
      ['apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n', 'document 2: kind Secret cannot be applied'],
      [
        'apiVersion: v1\nkind: Deployment\nmetadata:\n  name: d\n',
        'document 2: apiVersion of a Deployment must be apps/v1',
      ],
    ]) {
      const r = await h.post({ action: 'apply', target, params: { manifest: `${first}\n---\n${bad}` } });
      expect(r.status, bad).toBe(400);
      expect(r.body.message).toContain(`params.manifest: ${expected}`);
      expect(JSON.stringify(r.body.details ?? r.body)).toContain('params.manifest');
    }
    expect(await exists(() => core.readNamespacedConfigMap({ namespace: ns, name: 'first' }))).toBe(false);
  });

  it('refuses an apply that would change the kind or name of its target with a 400, applying nothing', async () => {
    const renamed = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'api-config-2' },
      data: { level: 'x' },
    });
    const r = await h.post({
      action: 'apply',
      target: { kind: 'ConfigMap', namespace: ns, name: 'api-config' },
      params: { manifest: renamed },
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain(
      'params.manifest: document 1 is ConfigMap "api-config-2" but the action targets ConfigMap "api-config": apply cannot change an object\'s kind or name',
    );
    const rekinded = await h.post({
      action: 'apply',
      target: { kind: 'Deployment', namespace: ns, name: 'api-config' },
      params: { manifest: configMap('x') },
    });
    expect(rekinded.status).toBe(400);
    expect(rekinded.body.message).toContain("apply cannot change an object's kind or name");
    expect(await exists(() => core.readNamespacedConfigMap({ namespace: ns, name: 'api-config-2' }))).toBe(false);
    expect((await core.readNamespacedConfigMap({ namespace: ns, name: 'api-config' })).data).toEqual({ level: 'warn' });
  });

  it('deletes with a propagation policy: the preview lists what would go; Orphan keeps the ReplicaSets', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'keep' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'keep' } }, template: podTemplate('keep', 'keep:v1') },
      },
    });
    await eventually(
      'pods of api and keep',
      async () =>
        (await core.listNamespacedPod({ namespace: ns })).items.filter((p) => p.status?.phase === 'Running').length ===
        3,
    );
    const preview = await h.preview({ action: 'delete', target: { kind: 'Deployment', namespace: ns, name: 'api' } });
    expect(preview.preview.summary).toBe('delete Deployment api (propagation Background) and 2 ReplicaSets, 2 Pods');
    expect(preview.preview.affected.filter((a) => a.kind === 'Pod')).toHaveLength(2);
    expect(await exists(() => apps.readNamespacedDeployment({ namespace: ns, name: 'api' }))).toBe(true);

    const gone = await h.run({
      action: 'delete',
      target: { kind: 'Deployment', namespace: ns, name: 'api' },
      params: { propagationPolicy: 'Foreground' },
    });
    expect(gone.state, gone.message ?? '').toBe('succeeded');
    expect(await exists(() => apps.readNamespacedDeployment({ namespace: ns, name: 'api' }))).toBe(false);
    expect((await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=api' })).items).toHaveLength(0);

    const orphan = await h.run({
      action: 'delete',
      target: { kind: 'Deployment', namespace: ns, name: 'keep' },
      params: { propagationPolicy: 'Orphan' },
    });
    expect(orphan.state, orphan.message ?? '').toBe('succeeded');
    expect(orphan.message).toContain('1 ReplicaSet orphaned');
    const rs = (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=keep' })).items;
    expect(rs).toHaveLength(1);
    expect(rs[0]?.metadata?.ownerReferences ?? []).toHaveLength(0);

    const cm = await h.run({ action: 'delete', target: { kind: 'ConfigMap', namespace: ns, name: 'api-config' } });
    expect(cm.state, cm.message ?? '').toBe('succeeded');
    const missing = await h.run({ action: 'delete', target: { kind: 'ConfigMap', namespace: ns, name: 'api-config' } });
    expect(missing.state).toBe('failed');
    expect(missing.message).toContain('not found');
    const bad = await h.post({
      action: 'delete',
      target: { kind: 'ConfigMap', namespace: ns, name: 'x' },
      params: { propagationPolicy: 'Sideways' },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('params.propagationPolicy');
  });
});
