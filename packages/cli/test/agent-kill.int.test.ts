// The agent process killed (SIGKILL) and restarted while objects change: the
// hub's inventory comes back in line with the API server.
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '@wheelhouse/hub';
import { eventually, kubeConfig, kubeconfigFile, testNamespace } from '@wheelhouse/test-cluster/testing';

const CLI = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
const kc = kubeConfig();
const apps = kc.makeApiClient(k8s.AppsV1Api);
const core = kc.makeApiClient(k8s.CoreV1Api);

const deployment = (name: string, replicas: number): k8s.V1Deployment => ({
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: `registry.local/${name}:1` }] },
    },
  },
});

describe('agent killed and restarted', () => {
  let hub: Hub;
  let url = '';
  let token = '';
  let ns = '';
  let agent: ChildProcess | undefined;

  const startAgentProcess = (): ChildProcess =>
    spawn(
      process.execPath,
      [CLI, 'agent', '--hub', url, '--token', token, '--kubeconfig', kubeconfigFile(), '--log-level', 'warn'],
      { stdio: 'ignore' },
    );

  const inSync = async (): Promise<boolean> => {
    for (const kind of ['Deployment', 'ReplicaSet', 'Pod'] as const) {
      const list =
        kind === 'Pod'
          ? (await core.listNamespacedPod({ namespace: ns })).items
          : kind === 'Deployment'
            ? (await apps.listNamespacedDeployment({ namespace: ns })).items
            : (await apps.listNamespacedReplicaSet({ namespace: ns })).items;
      const want = list.map((o) => `${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`).sort();
      const got = (await hub.inventory.query('killed', { kind, namespace: ns, limit: 1000 })).items
        .map((i) => `${i.name}@${i.resourceVersion}`)
        .sort();
      if (JSON.stringify(want) !== JSON.stringify(got)) return false;
    }
    return true;
  };

  beforeAll(async () => {
    ns = await testNamespace('kill');
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('keep', 1) });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('doomed', 1) });
    hub = await createHub({ logger: false });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    token = (await hub.clusters.create('killed', 'test'))?.token ?? '';
  });
  afterAll(async () => {
    agent?.kill('SIGKILL');
    await hub.close();
  });

  it('converges after kill -9 of the agent while objects change', async () => {
    agent = startAgentProcess();
    await eventually('initial sync', inSync, { timeoutMs: 60_000 });
    agent.kill('SIGKILL');
    await eventually(
      'the hub to notice the agent is gone',
      async () => (await hub.clusters.get('killed'))?.connected === false || undefined,
      { timeoutMs: 40_000 },
    );

    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'doomed', propagationPolicy: 'Foreground' });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('newcomer', 2) });
    await apps.patchNamespacedDeployment({
      namespace: ns,
      name: 'keep',
      body: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    });
    await eventually('the cluster to settle', async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns })).items;
      return (
        (pods.length === 5 && pods.every((x) => x.status?.phase === 'Running' && !x.metadata?.deletionTimestamp)) ||
        undefined
      );
    });
    expect(await inSync()).toBe(false);

    agent = startAgentProcess();
    await eventually('the hub inventory to match after the restart', inSync, { timeoutMs: 60_000 });
    expect(
      (await hub.inventory.query('killed', { kind: 'Deployment', namespace: ns, limit: 10 })).items
        .map((d) => d.name)
        .sort(),
    ).toEqual(['keep', 'newcomer']);
  });
});
