// Debug containers (issue 17, `kubectl debug` semantics) through hub and agent on
// the real control plane: the debug-container action adds an ephemeral container
// (pods/ephemeralcontainers) with an image from the hub's list, sharing the target
// container's process namespace, and a shell enters it by name. Refusals: an image
// not on the list, a container the pod does not have, no permission, tier off —
// each checked on the pod in Kubernetes, which keeps no ephemeral container.
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEBUG_IMAGES, shellPath } from '@wheelhouse/protocol';
import { agentPermissions, describePermission } from '@wheelhouse/protocol/rbac';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { useHarness } from './actions-harness.js';
import { startPipeline } from './support/hub-with-agent.js';
import { addUser, bearer } from './support/identity.js';

const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

describe('debug containers', () => {
  const h = useHarness();
  let ns: string;
  const target = (name: string) => ({ kind: 'Pod', namespace: ns, name });
  const ephemeral = async (name: string) =>
    (await core.readNamespacedPod({ namespace: ns, name })).spec?.ephemeralContainers ?? [];

  beforeAll(async () => {
    ns = await testNamespace('act-debug');
    for (const name of ['distroless', 'plain'])
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              { name: 'app', image: 'gcr.io/distroless/static:nonroot' },
              { name: 'proxy', image: 'envoy:1' },
            ],
          },
        },
      });
    for (const name of ['distroless', 'plain'])
      await eventually(`${name} running in the hub's inventory`, async () => {
        const pod = await h.p.hub.inventory.get(h.p.cluster, 'Pod', ns, name);
        return pod?.kind === 'Pod' && pod.summary.phase === 'Running';
      });
  });

  it('adds an ephemeral container targeting a container, it runs, and a shell enters it by name', async () => {
    const done = await h.run({
      action: 'debug-container',
      target: target('distroless'),
      params: { image: 'busybox:1.37', target: 'app' },
    });
    expect(done.state, done.message ?? '').toBe('succeeded');
    const name = typeof done.result?.container === 'string' ? done.result.container : '';
    expect(name).toMatch(/^debugger-[0-9a-f]{8}$/);
    expect(done.message).toBe(
      `debug container ${name} (busybox:1.37) runs in pod distroless, sharing the process namespace of app`,
    );
    // Kubernetes' side: the ephemeral container, as kubectl debug -it --target=app makes it, running.
    const pod = await core.readNamespacedPod({ namespace: ns, name: 'distroless' });
    expect(pod.spec?.ephemeralContainers).toEqual([
      expect.objectContaining({ name, image: 'busybox:1.37', targetContainerName: 'app', stdin: true, tty: true }),
    ]);
    expect(pod.status?.ephemeralContainerStatuses?.find((s) => s.name === name)?.state?.running).toBeDefined();

    // The hub's inventory knows it (the shell route looks there), then a shell enters it by name.
    await eventually('the debug container in the inventory', async () => {
      const item = await h.p.hub.inventory.get(h.p.cluster, 'Pod', ns, 'distroless');
      return (
        item?.kind === 'Pod' && item.summary.ephemeralContainers?.some((e) => e.name === name && e.state === 'running')
      );
    });
    const u = new URL(shellPath(h.p.cluster, ns, 'distroless'), h.p.url.replace('http', 'ws'));
    u.searchParams.set('container', name);
    // The sleep as in shell-owner.int.test.ts: output just before a quick exit can be lost under load.
    for (const arg of ['sh', '-c', 'echo "debugging-$((6 * 7))"; sleep 1']) u.searchParams.append('command', arg);
    const op = await addUser(h.p.hub, { bindings: [{ role: 'operator' }] });
    const ws = new WebSocket(u, { headers: bearer(op.token) });
    let output = '';
    const control: string[] = [];
    ws.on('message', (data, isBinary) => {
      if (isBinary && Buffer.isBuffer(data)) output += data.toString('utf8');
      else if (!isBinary && Buffer.isBuffer(data)) control.push(data.toString('utf8'));
    });
    const closed = new Promise((resolve) => ws.on('close', resolve));
    await eventually('the shell output', () => Promise.resolve(output.includes('debugging-42')), { timeoutMs: 20_000 });
    await closed;
    expect(control.some((c) => c.includes(`"container":"${name}"`))).toBe(true);
  });

  it('refuses an image that is not on the hub list, naming the list, and changes nothing', async () => {
    const r = await h.post({
      action: 'debug-container',
      target: target('plain'),
      params: { image: 'evil.example/rootkit:latest' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
    expect(r.body.issues).toEqual([
      {
        path: 'params.image',
        message: `"evil.example/rootkit:latest" is not one of the hub's debug images (${DEFAULT_DEBUG_IMAGES.join(', ')}); an administrator sets them with --debug-images`,
      },
    ]);
    // A malformed reference is refused by the schema, before the list.
    const bad = await h.post({ action: 'debug-container', target: target('plain'), params: { image: 'Busy Box' } });
    expect(bad.status).toBe(400);
    expect((bad.body.issues as { path: string }[])[0]?.path).toBe('params.image');
    expect(await ephemeral('plain')).toEqual([]);
  });

  it('fails on a container the pod does not have, saying which it has, and adds nothing', async () => {
    const done = await h.run({
      action: 'debug-container',
      target: target('plain'),
      params: { image: 'busybox:1.37', target: 'sidecar' },
    });
    expect(done.state).toBe('failed');
    expect(done.message).toBe('pod plain has no container "sidecar" to target; its containers: app, proxy');
    expect(await ephemeral('plain')).toEqual([]);
  });

  it('refuses a viewer (no action:debug-container) with the permission and scope, audited', async () => {
    const viewer = await addUser(h.p.hub, { bindings: [{ role: 'viewer' }] });
    const res = await fetch(`${h.p.url}/api/v1/clusters/${h.p.cluster}/actions`, {
      method: 'POST',
      headers: { ...bearer(viewer.token), 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'debug-container', target: target('plain'), params: { image: 'busybox:1.37' } }),
    });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { permission: string; scope: unknown };
    expect(body.permission).toBe('action:debug-container');
    expect(body.scope).toEqual({ cluster: h.p.cluster, namespace: ns });
    const audit = await h.p.hub.audit.query({ actor: viewer.username, limit: 10 });
    expect(audit.items.map((a) => a.outcome)).toContain('denied');
    expect(await ephemeral('plain')).toEqual([]);
  });

  it('lists the configured images in the catalog, and is in the podExec tier with patch pods/ephemeralcontainers', async () => {
    const res = await fetch(`${h.p.url}/api/v1/catalog/actions`, { headers: bearer((await addUser(h.p.hub)).token) });
    const items = ((await res.json()) as { items: { id: string; tier: string; params: unknown }[] }).items;
    const debug = items.find((i) => i.id === 'debug-container');
    expect(debug?.tier).toBe('podExec');
    expect(debug?.params).toMatchObject({ properties: { image: { enum: [...DEFAULT_DEBUG_IMAGES] } } });
    const perms = (tiers: { podExec: boolean }) =>
      agentPermissions({ basic: true, advanced: true, ...tiers }).map(describePermission);
    expect(perms({ podExec: true })).toContain('patch pods/ephemeralcontainers');
    expect(perms({ podExec: false })).not.toContain('patch pods/ephemeralcontainers');
  });

  it('is refused with tier_disabled when the cluster has the podExec tier off', async () => {
    const p = await startPipeline({ capabilities: { basic: true, advanced: true, podExec: false } });
    try {
      await eventually('agent connected', async () => (await p.hub.clusters.get(p.cluster))?.connected);
      const admin = await addUser(p.hub, { bindings: [{ role: 'account-admin' }] });
      const res = await fetch(`${p.url}/api/v1/clusters/${p.cluster}/actions`, {
        method: 'POST',
        headers: { ...bearer(admin.token), 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'debug-container', target: target('plain'), params: { image: 'busybox:1.37' } }),
      });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: string }).error).toBe('tier_disabled');
      expect(await ephemeral('plain')).toEqual([]);
    } finally {
      await p.stop();
    }
  });
});
