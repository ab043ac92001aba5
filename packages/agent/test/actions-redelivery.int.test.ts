// A command delivered again (agent restarted before reporting, hub retried)
// must not apply twice: each executor recognises its command id on the object.
// Executors are called directly with the same envelope, as a second delivery would.
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CommandEnvelope, JsonObject } from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { executors, type ExecutionContext } from '../src/actions/executors.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);
const batch = kc.makeApiClient(k8s.BatchV1Api);

const ctxFor = (command: CommandEnvelope): ExecutionContext => ({
  kc,
  command,
  progress: () => undefined,
  timeline: () => undefined,
});
const envelope = (
  id: string,
  action: string,
  kind: string,
  namespace: string,
  name: string,
  params: JsonObject = {},
): CommandEnvelope => ({
  id,
  action,
  target: { kind, namespace, name },
  params,
  reason: null,
  dryRun: false,
  requestedBy: 'tester',
});

describe('re-delivered commands', () => {
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('act-redeliver');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:v1' }] } },
        },
      },
    });
    await batch.createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: 'nightly' },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 't', image: 't:v1' }] } } },
          },
        },
      },
    });
  });

  it('scale: a second delivery does not undo a later change', async () => {
    const cmd = envelope('11111111-aaaa-4000-8000-000000000001', 'scale', 'Deployment', ns, 'web', { replicas: 2 });
    const first = await executors.scale(ctxFor(cmd), { replicas: 2, timeoutSeconds: 60 });
    expect(first.result?.alreadyApplied).toBe(false);
    await apps.patchNamespacedDeploymentScale(
      { namespace: ns, name: 'web', body: { spec: { replicas: 3 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually(
      '3 replicas',
      async () => (await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).status?.replicas === 3,
    );
    // Someone else scaled to 3 meanwhile; the re-delivered "scale to 2" must not apply again.
    const second = await executors.scale(ctxFor(cmd), { replicas: 2, timeoutSeconds: 30 });
    expect(second.result?.alreadyApplied).toBe(true);
    expect(second.message).toContain('it now has spec.replicas=3');
    expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).spec?.replicas).toBe(3);
  });

  it('restart and rollback: the second delivery changes nothing', async () => {
    const restart = envelope('11111111-aaaa-4000-8000-000000000002', 'restart', 'Deployment', ns, 'web');
    await executors.restart(ctxFor(restart), { timeoutSeconds: 60 });
    const gen = (await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).metadata?.generation;
    const again = await executors.restart(ctxFor(restart), { timeoutSeconds: 60 });
    expect(again.message).toMatch(/^already applied/);
    expect((await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).metadata?.generation).toBe(gen);

    const rollback = envelope('11111111-aaaa-4000-8000-000000000003', 'rollback', 'Deployment', ns, 'web', {
      toRevision: 1,
    });
    await executors.rollback(ctxFor(rollback), { toRevision: 1, timeoutSeconds: 60 });
    const rev = (await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).metadata?.annotations?.[
      'deployment.kubernetes.io/revision'
    ];
    // Revision 1 has been renumbered by the rollback: a naive re-run would fail or roll again.
    const second = await executors.rollback(ctxFor(rollback), { toRevision: 1, timeoutSeconds: 60 });
    expect(second.message).toMatch(/^already applied/);
    expect(
      (await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).metadata?.annotations?.[
        'deployment.kubernetes.io/revision'
      ],
    ).toBe(rev);
  });

  it('trigger-job: the second delivery finds its Job instead of creating another', async () => {
    const cmd = envelope('11111111-aaaa-4000-8000-000000000004', 'trigger-job', 'CronJob', ns, 'nightly');
    const first = await executors['trigger-job'](ctxFor(cmd), { timeoutSeconds: 30 });
    const second = await executors['trigger-job'](ctxFor(cmd), { timeoutSeconds: 30 });
    expect(second.result?.job).toBe(first.result?.job);
    expect(second.message).toMatch(/^already applied/);
    expect((await batch.listNamespacedJob({ namespace: ns })).items).toHaveLength(1);
  });
});
