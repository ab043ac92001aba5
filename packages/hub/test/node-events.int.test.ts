// Kubernetes Events about a Node are stored in namespace `default`, but a Node is cluster-scoped: on the
// timeline they carry namespace '' and only a cluster-wide viewer sees them, over the API and the live feed.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig } from '@wheelhouse/test-cluster/testing';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);

interface Ev {
  namespace: string;
  kind: string;
  name: string;
  summary: string;
}
interface LiveMsg {
  type: string;
  event?: Ev;
}

describe('events about a Node', () => {
  let p: Pipeline;
  let clusterWide: Record<string, string>;
  let defaultOnly: Record<string, string>;
  const suffix = randomBytes(4).toString('hex');
  const nodeReason = `WhNodeTest${suffix}`;
  const podReason = `WhPodTest${suffix}`;
  const created: string[] = [];
  const live: Record<'clusterWide' | 'defaultOnly', LiveMsg[]> = { clusterWide: [], defaultOnly: [] };
  const sockets: WebSocket[] = [];

  const timeline = async (headers: Record<string, string>, query: string): Promise<{ status: number; items: Ev[] }> => {
    const res = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/timeline?type=k8s-event&limit=500${query}`,
      headers,
    });
    return { status: res.statusCode, items: res.statusCode === 200 ? res.json<{ items: Ev[] }>().items : [] };
  };
  const has = (items: Ev[], reason: string): boolean => items.some((e) => e.summary.startsWith(`${reason}:`));

  const createEvent = async (name: string, reason: string, involvedObject: k8s.V1ObjectReference): Promise<void> => {
    const now = new Date();
    await core.createNamespacedEvent({
      namespace: 'default',
      body: {
        metadata: { name },
        involvedObject,
        reason,
        message: 'written by a Wheelhouse test',
        type: 'Normal',
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: 'wheelhouse-test' },
      },
    });
    created.push(name);
  };

  const subscribe = async (headers: Record<string, string>, into: LiveMsg[]): Promise<void> => {
    const ws = new WebSocket(`${p.url.replace('http', 'ws')}/api/v1/live?cluster=${p.cluster}`, { headers });
    sockets.push(ws);
    ws.on('message', (d: Buffer) => into.push(JSON.parse(d.toString()) as LiveMsg));
    await eventually('subscribed', () => Promise.resolve(into.some((m) => m.type === 'subscribed')));
  };

  beforeAll(async () => {
    p = await startPipeline();
    clusterWide = bearer((await addUser(p.hub, { bindings: [{ role: 'viewer' }] })).token);
    defaultOnly = bearer((await addUser(p.hub, { bindings: [{ role: 'viewer', namespace: 'default' }] })).token);
    await p.agent.synced;
    await subscribe(clusterWide, live.clusterWide);
    await subscribe(defaultOnly, live.defaultOnly);
    // The Node's event first, then one about a Pod in default: both come through the same watch in this order,
    // so once the viewer of default has the Pod's, the Node's would have reached them already if it leaked.
    await createEvent(`wh-node-${suffix}`, nodeReason, { apiVersion: 'v1', kind: 'Node', name: 'kwok-node-0' });
    await createEvent(`wh-pod-${suffix}`, podReason, {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: 'default',
      name: 'x',
    });
  });
  afterAll(async () => {
    for (const ws of sockets) ws.close();
    await Promise.all(
      created.map((name) => core.deleteNamespacedEvent({ name, namespace: 'default' }).catch(() => undefined)),
    );
    await p.stop();
  });

  it("is on the timeline with namespace '' for a cluster-wide viewer, not under default", async () => {
    const all = await eventually('both events on the timeline', async () => {
      const { items } = await timeline(clusterWide, '');
      return has(items, nodeReason) && has(items, podReason) ? items : undefined;
    });
    expect(all.find((e) => e.summary.startsWith(`${nodeReason}:`))).toMatchObject({
      kind: 'Node',
      name: 'kwok-node-0',
      namespace: '',
    });
    const clusterScoped = await timeline(clusterWide, '&namespace=');
    expect(clusterScoped.status).toBe(200);
    expect(has(clusterScoped.items, nodeReason)).toBe(true);
    const inDefault = await timeline(clusterWide, '&namespace=default');
    expect(has(inDefault.items, podReason)).toBe(true);
    expect(has(inDefault.items, nodeReason)).toBe(false);
  });

  it('is not visible to a viewer bound only to namespace default', async () => {
    const inDefault = await eventually('the Pod event for the viewer of default', async () => {
      const r = await timeline(defaultOnly, '&namespace=default');
      return has(r.items, podReason) ? r : undefined;
    });
    expect(inDefault.status).toBe(200);
    expect(has(inDefault.items, nodeReason)).toBe(false);
    // Cluster-scoped ('') and cluster-wide reads need a cluster-wide binding.
    expect((await timeline(defaultOnly, '&namespace=')).status).toBe(403);
    expect((await timeline(defaultOnly, '')).status).toBe(403);
  });

  it('reaches only the cluster-wide viewer on the live feed', async () => {
    const reasonIn = (msgs: LiveMsg[], reason: string): Ev | undefined =>
      msgs.find((m) => m.type === 'timeline' && m.event?.summary.startsWith(`${reason}:`))?.event;
    await eventually('the Node event live for the cluster-wide viewer', () =>
      Promise.resolve(reasonIn(live.clusterWide, nodeReason)),
    );
    expect(reasonIn(live.clusterWide, nodeReason)).toMatchObject({ kind: 'Node', namespace: '' });
    await eventually('the Pod event live for the viewer of default', () =>
      Promise.resolve(reasonIn(live.defaultOnly, podReason)),
    );
    expect(reasonIn(live.defaultOnly, nodeReason)).toBeUndefined();
  });
});
