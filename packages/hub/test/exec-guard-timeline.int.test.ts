// Exec guard inside the agent: kubectl exec → API server → the agent's webhook
// → labels on the pod, and the interaction on the pod's and its workload's
// timeline at the hub.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERACTOR_LABEL, TERMINATION_TIME_ANNOTATION, webhookConfiguration } from '@wheelhouse/exec-guard';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';
import { kubectl } from '@wheelhouse/test-cluster';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
useFastPasswordHashing();

describe('exec guard embedded in the agent', () => {
  let p: Pipeline;
  let ns: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'wh-agent-eg-'));
  const webhookName = `wheelhouse-agent-eg-${Math.random().toString(36).slice(2, 8)}`;

  beforeAll(async () => {
    ns = await testNamespace('eg');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'api' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api' } },
            spec: { containers: [{ name: 'app', image: 'registry.local/api:1' }] },
          },
        },
      },
    });
    p = await startPipeline({
      agent: {
        execGuard: {
          dataDir,
          selfSigned: true,
          port: 0,
          host: '127.0.0.1',
          ttlSeconds: 600,
          namespaces: [ns],
          leaderElection: { enabled: false },
          logLevel: 'silent',
        },
      },
    });
    const eg = p.agent.execGuard;
    if (!eg) throw new Error('exec guard did not start');
    await admission.createValidatingWebhookConfiguration({
      body: webhookConfiguration({
        name: webhookName,
        url: eg.url,
        ...(eg.caBundle ? { caBundle: eg.caBundle } : {}),
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
      }),
    });
  });
  afterAll(async () => {
    await admission.deleteValidatingWebhookConfiguration({ name: webhookName }).catch(() => undefined);
    await p.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('puts a kubectl exec on the pod and workload timelines', async () => {
    const pod = await eventually('a running pod', async () => {
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=api' })).items;
      return pods.find((x) => x.status?.phase === 'Running')?.metadata?.name;
    });
    // The API server loads new webhook configurations asynchronously: exec until exec guard has seen one.
    await eventually(
      'the pod to be labelled by exec guard',
      async () => {
        await kubectl(['exec', '-n', ns, pod, '--', 'echo', 'hi']);
        const labels = (await core.readNamespacedPod({ namespace: ns, name: pod })).metadata?.labels ?? {};
        return labels[INTERACTOR_LABEL] === 'kwok-admin';
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    const events = await eventually('the interaction on the Deployment timeline', async () => {
      const r = await p.hub.timeline.query(p.cluster, {
        namespace: ns,
        kind: 'Deployment',
        name: 'api',
        types: ['exec-interaction'],
        limit: 20,
      });
      return r.items.length > 0 ? r.items : undefined;
    });
    expect(events.at(-1)).toMatchObject({
      kind: 'Pod',
      name: pod,
      owner: { kind: 'Deployment', name: 'api' },
      severity: 'warning',
      data: { event: 'interaction', user: 'kwok-admin', operation: 'exec', command: ['echo', 'hi'] },
    });
    expect(events.at(-1)?.summary).toContain('kwok-admin ran kubectl exec');
  });

  it('extends the eviction time from the hub (podExec tier) and shows it on the timeline', async () => {
    const pod =
      (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=api' })).items.find(
        (x) => x.metadata?.labels?.[INTERACTOR_LABEL],
      )?.metadata?.name ?? '';
    expect(pod).not.toBe('');
    const before =
      (await core.readNamespacedPod({ namespace: ns, name: pod })).metadata?.annotations?.[
        TERMINATION_TIME_ANNOTATION
      ] ?? '';
    const operator = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    const res = await p.hub.app.inject({
      method: 'POST',
      url: `/api/v1/clusters/${p.cluster}/actions`,
      headers: bearer(operator.token),
      payload: {
        action: 'extend-eviction',
        target: { kind: 'Pod', namespace: ns, name: pod },
        params: { duration: '1h' },
        reason: 'debugging',
      },
    });
    expect(res.statusCode).toBe(202);
    const id = res.json<{ id: string }>().id;
    const done = await eventually('the extension to finish', async () => {
      const c = await p.hub.commands.get(id);
      return c && ['succeeded', 'failed', 'rejected', 'expired'].includes(c.state) ? c : undefined;
    });
    expect(done.state, done.message ?? '').toBe('succeeded');
    const after =
      (await core.readNamespacedPod({ namespace: ns, name: pod })).metadata?.annotations?.[
        TERMINATION_TIME_ANNOTATION
      ] ?? '';
    expect(Date.parse(after) - Date.parse(before)).toBe(3_600_000);
    await eventually('the extension on the timeline', async () => {
      const r = await p.hub.timeline.query(p.cluster, {
        namespace: ns,
        kind: 'Pod',
        name: pod,
        types: ['exec-interaction'],
        limit: 20,
      });
      return (
        r.items.some(
          (e) => e.type === 'exec-interaction' && e.data.event === 'extension' && e.data.duration === '1h',
        ) || undefined
      );
    });
    const bad = await p.hub.app.inject({
      method: 'POST',
      url: `/api/v1/clusters/${p.cluster}/actions`,
      headers: bearer(operator.token),
      payload: {
        action: 'extend-eviction',
        target: { kind: 'Pod', namespace: ns, name: pod },
        params: { duration: '1 day' },
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toMatch(/^params\.duration: invalid duration "1 day"/);
  });
});
