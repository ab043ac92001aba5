// The diagnostics snapshot end to end on the real local cluster: the hub
// authorizes and audits it as a podExec action, the agent runs ps, free and df
// through the API server's exec (kwok's local exec runs them on this machine,
// procps and coreutils), and the command's result carries the parsed tables.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';

useFastPasswordHashing();
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

interface Snapshot {
  container: string;
  processCount: number;
  topByMemory: { pid: number; rssBytes: number | null; command: string }[];
  topByCpu: { cpuPercent: number | null }[] | null;
  memory: { totalBytes: number; availablePercent: number; low: boolean } | null;
  disks: { mountedOn: string; usePercent: number }[];
  missing: string[];
}

describe('diagnostics snapshot', () => {
  let p: Pipeline;
  let ns: string;

  beforeAll(async () => {
    ns = await testNamespace('diag');
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'api' }, spec: { containers: [{ name: 'app', image: 'registry.local/api:1' }] } },
    });
    p = await startPipeline();
    await eventually('the pod runs', async () => {
      const pod = await core.readNamespacedPod({ namespace: ns, name: 'api' });
      return pod.status?.phase === 'Running' || undefined;
    });
  });
  afterAll(() => p.stop());

  async function run(token: string, params: object = {}) {
    const res = await p.hub.app.inject({
      method: 'POST',
      url: `/api/v1/clusters/${p.cluster}/actions`,
      headers: bearer(token),
      payload: { action: 'diagnostics-snapshot', target: { kind: 'Pod', namespace: ns, name: 'api' }, params },
    });
    return res;
  }

  it('returns top processes, memory available and disks by use, parsed from what ran in the container; audited', async () => {
    const operator = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    const before = await core.readNamespacedPod({ namespace: ns, name: 'api' });
    const res = await p.hub.app.inject({
      method: 'POST',
      url: `/api/v1/clusters/${p.cluster}/actions`,
      headers: bearer(operator.token),
      payload: { action: 'diagnostics-snapshot', target: { kind: 'Pod', namespace: ns, name: 'api' }, params: {} },
    });
    expect(res.statusCode).toBe(202);
    const id = res.json<{ id: string }>().id;
    const done = await eventually('the snapshot', async () => {
      const c = await p.hub.commands.get(id);
      return c && ['succeeded', 'failed', 'rejected', 'expired'].includes(c.state) ? c : undefined;
    });
    expect(done.state, done.message ?? '').toBe('succeeded');
    // Read-only: the pod is as it was (Kubernetes' side).
    const after = await core.readNamespacedPod({ namespace: ns, name: 'api' });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    const s = done.result as unknown as Snapshot;
    expect(s.container).toBe('app');
    expect(s.missing).toEqual([]);
    // The machine runs at least the control plane, the hub and this test.
    expect(s.processCount).toBeGreaterThan(10);
    expect(s.topByMemory).toHaveLength(10);
    const rss = s.topByMemory.map((r) => r.rssBytes ?? 0);
    expect(rss).toEqual([...rss].sort((a, b) => b - a));
    expect(s.topByMemory.some((r) => /kube-apiserver|etcd|node/.test(r.command))).toBe(true);
    expect(s.topByCpu?.length).toBe(10);
    expect(s.memory?.totalBytes).toBeGreaterThan(512 * 1024 ** 2);
    expect(s.memory?.low).toBe((s.memory?.availablePercent ?? 0) < 20);
    expect(s.disks.map((d) => d.mountedOn)).toContain('/');
    expect(done.message).toMatch(
      /^snapshot of app: \d+ processes; memory [\d.]+ % available( \(low\))?; fullest disk \S+ at \d+ %$/,
    );
    // Audited like any podExec action: who ran what where.
    const audit = await p.hub.audit.query({ action: 'action:diagnostics-snapshot', limit: 10 });
    expect(
      audit.items.filter((a) => (a.detail as { commandId?: string } | null)?.commandId === id).map((a) => a.outcome),
    ).toEqual(expect.arrayContaining(['requested', 'succeeded']));
  });

  it('names a container the pod does not have; a viewer may not run it', async () => {
    const operator = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    const res = await run(operator.token, { container: 'sidecar' });
    const id = res.json<{ id: string }>().id;
    const done = await eventually('the refusal', async () => {
      const c = await p.hub.commands.get(id);
      return c && ['succeeded', 'failed', 'rejected', 'expired'].includes(c.state) ? c : undefined;
    });
    expect(done.state).toBe('failed');
    expect(done.message).toMatch(/pod api has no container "sidecar" \(containers: app\)/);
    const viewer = await addUser(p.hub, { bindings: [{ role: 'viewer' }] });
    expect((await run(viewer.token)).statusCode).toBe(403);
  });
});
