// Whole-workload logs end to end against the real local control plane: a
// WebSocket client → hub → one agent log stream per container → Kubernetes
// Log API (kwok serves every pod's log from the local cluster's CRI log file,
// so a line appended once appears in every pod's log, tagged by each pod).
// A rollout replaces the pods while the client follows.
import { randomUUID } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workloadLogsPath, type WorkloadLogsServerMessage } from '@wheelhouse/protocol';
import { appendContainerLog } from '@wheelhouse/test-cluster';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();

type Msg = WorkloadLogsServerMessage;

class Client {
  readonly messages: Msg[] = [];
  readonly closed: Promise<number>;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.messages.push(JSON.parse(data.toString('utf8')) as Msg));
    this.closed = new Promise((r) => ws.on('close', (code) => r(code)));
  }
  /** Every line received, as "pod/container text". */
  get lines(): string[] {
    return this.messages.flatMap((m) =>
      m.type === 'data'
        ? m.text
            .slice(0, -1)
            .split('\n')
            .map((l) => `${m.pod}/${m.container} ${l}`)
        : [],
    );
  }
  podsWith(marker: string): string[] {
    return [
      ...new Set(this.lines.filter((l) => l.endsWith(` ${marker}`)).map((l) => l.slice(0, l.indexOf('/')))),
    ].sort();
  }
  of<T extends Msg['type']>(type: T): Extract<Msg, { type: T }>[] {
    return this.messages.filter((m): m is Extract<Msg, { type: T }> => m.type === type);
  }
}

describe('whole-workload logs', () => {
  let p: Pipeline;
  let ns: string;
  let viewer: TestUser;
  let apps: k8s.AppsV1Api;

  function open(
    user: TestUser,
    name: string,
    query: Record<string, string> = {},
    kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' = 'Deployment',
  ): Promise<{ client: Client } | { status: number; body: Record<string, unknown> }> {
    const u = new URL(workloadLogsPath(p.cluster, ns, kind, name), p.url.replace('http', 'ws'));
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    const ws = new WebSocket(u, { headers: bearer(user.token) });
    return new Promise((resolve, reject) => {
      const client = new Client(ws);
      ws.once('open', () => resolve({ client }));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }),
        );
      });
      ws.once('error', reject);
    });
  }
  async function openOk(name: string, query: Record<string, string> = {}): Promise<Client> {
    const r = await open(viewer, name, query);
    if (!('client' in r)) throw new Error(`refused: ${r.status} ${JSON.stringify(r.body)}`);
    return r.client;
  }

  async function runningPods(app: string): Promise<string[]> {
    const { items } = await p.hub.inventory.query(p.cluster, { kind: 'Pod', namespace: ns, limit: 100 });
    return items
      .filter((i) => i.kind === 'Pod' && i.labels.app === app && i.summary.phase === 'Running')
      .map((i) => i.name)
      .sort();
  }

  const deployment = (name: string, replicas: number, containers: string[]): k8s.V1Deployment => ({
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      // Roll one pod at a time, so old and new pods overlap as in a real rollout.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
      },
    },
  });

  beforeAll(async () => {
    ns = await testNamespace('wlogs');
    apps = kubeConfig().makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('web', 2, ['app', 'sidecar']) });
    await apps.createNamespacedDeployment({ namespace: ns, body: deployment('wide', 3, ['app', 'sidecar']) });
    p = await startPipeline({
      hub: { workloadLogs: { maxStreamsPerUser: 2, maxContainers: 4, rescanMs: 1000 } },
    });
    viewer = await addUser(p.hub, { bindings: [{ role: 'viewer', namespace: ns }] });
    await eventually(
      'the pods running in the hub inventory',
      async () => (await runningPods('web')).length === 2 && (await runningPods('wide')).length === 3,
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(() => p.stop());

  it('merges every container of every pod, each line tagged with its pod and container; then ends (no follow)', async () => {
    const pods = await runningPods('web');
    const c = await openOk('web', { tailLines: '2' });
    await c.closed;
    expect(c.messages.at(-1)).toEqual({ type: 'end', reason: 'eof' });
    const tags = [...new Set(c.lines.map((l) => l.slice(0, l.indexOf(' '))))].sort();
    expect(tags).toEqual(pods.flatMap((pod) => [`${pod}/app`, `${pod}/sidecar`]).sort());
    // tailLines applies per container, as kubectl logs --tail does.
    expect(c.lines).toHaveLength(2 * 2 * 2);
    expect(c.of('joined')).toHaveLength(4);
  });

  it('follows a rollout: lines from old and new pods appear tagged; old pods leave, new ones join', async () => {
    const before = await runningPods('web');
    const c = await openOk('web', { follow: 'true', tailLines: '1', container: 'app' });
    // Each container's last line says its Kubernetes stream is open (a line appended before would be missed).
    await eventually('a line from both pods', () =>
      Promise.resolve(new Set(c.of('data').map((m) => m.pod)).size === 2),
    );
    const m1 = `before-roll-${randomUUID()}`;
    await appendContainerLog([m1]);
    await eventually(`"${m1}" from both pods`, () =>
      Promise.resolve(JSON.stringify(c.podsWith(m1)) === JSON.stringify(before)),
    );
    // Only the named container is followed.
    expect(c.lines.every((l) => l.slice(l.indexOf('/') + 1).startsWith('app '))).toBe(true);

    await apps.patchNamespacedDeployment(
      {
        namespace: ns,
        name: 'web',
        body: { spec: { template: { metadata: { annotations: { roll: randomUUID() } } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    let after: string[] = [];
    await eventually(
      'the rollout to replace both pods',
      async () => {
        after = await runningPods('web');
        return after.length === 2 && after.every((n) => !before.includes(n));
      },
      { timeoutMs: 60_000 },
    );
    await eventually(
      'the old pods to leave and the new ones to join',
      () =>
        Promise.resolve(
          before.every((pod) => c.of('left').some((m) => m.pod === pod)) &&
            after.every((pod) => c.of('joined').some((m) => m.pod === pod)),
        ),
      { timeoutMs: 20_000 },
    );
    const m2 = `after-roll-${randomUUID()}`;
    await appendContainerLog([m2]);
    await eventually(`"${m2}" from both new pods`, () =>
      Promise.resolve(JSON.stringify(c.podsWith(m2)) === JSON.stringify(after)),
    );
    // The old pods' lines are still there, under their own names. (A new pod is read from its start,
    // and the local cluster's pods share one log file, so new pods may show this line as well.)
    expect(c.podsWith(m1)).toEqual(expect.arrayContaining(before));
    expect(c.messages.some((m) => m.type === 'end')).toBe(false);
    c.ws.close();
    await c.closed;
    await eventually('the agent streams to close', () => Promise.resolve(p.agent.logs.stats().streams === 0));
    expect(p.hub.workloadLogs.stats()).toEqual({ streams: 0, containers: 0 });
  }, 120_000);

  it('follows at most maxContainers containers, naming the others in a limited frame', async () => {
    const c = await openOk('wide', { follow: 'true', tailLines: '1' });
    // Three pods of two containers each: four followed, the last pod's two named as not followed.
    await eventually('the limited frames', () => Promise.resolve(c.of('limited').length === 2));
    expect(c.of('joined')).toHaveLength(4);
    const last = (await runningPods('wide'))[2];
    expect(c.of('limited')).toEqual([
      { type: 'limited', pod: last, container: 'app', limit: 4 },
      { type: 'limited', pod: last, container: 'sidecar', limit: 4 },
    ]);
    await eventually('a line from each followed container', () => Promise.resolve(c.of('data').length === 4));
    const marker = `wide-${randomUUID()}`;
    await appendContainerLog([marker]);
    await eventually('the line from two pods (both containers)', () =>
      Promise.resolve(c.podsWith(marker).length === 2 && c.lines.filter((l) => l.endsWith(marker)).length === 4),
    );
    c.ws.close();
    await c.closed;
  });

  it('limits whole-workload streams per user: 429 too_many_workload_log_streams, audited; a closed one frees its slot', async () => {
    const a = await openOk('web', { follow: 'true', tailLines: '0' });
    const b = await openOk('wide', { follow: 'true', tailLines: '0' });
    const refused = await open(viewer, 'web', { follow: 'true' });
    expect(refused).toMatchObject({
      status: 429,
      body: {
        error: 'too_many_workload_log_streams',
        message: `${viewer.username} already follows 2 workloads' logs (the per-user limit); close one first`,
      },
    });
    const rows = await p.hub.audit.query({ action: 'logs.open_workload', actor: viewer.username, limit: 50 });
    expect(rows.items.find((r) => r.outcome === 'rejected')).toMatchObject({
      target: { kind: 'Deployment', namespace: ns, name: 'web' },
      detail: { error: 'too_many_workload_log_streams' },
    });
    a.ws.close();
    await a.closed;
    await eventually('the slot to free', async () => 'client' in (await open(viewer, 'web')));
    b.ws.close();
    await b.closed;
  });

  it('refuses without logs:read (403 naming it), an unknown workload (404) and a bad kind (400), before any stream', async () => {
    const opened = p.agent.logs.stats().opened;
    const inventoryViewer = await addUser(p.hub, { bindings: [{ role: 'inventory-viewer', namespace: ns }] });
    expect(await open(inventoryViewer, 'web')).toMatchObject({
      status: 403,
      body: { error: 'forbidden', permission: 'logs:read' },
    });
    expect(await open(viewer, 'nope')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const bad = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/workloads/${ns}/Pod/web/logs`,
      headers: bearer(viewer.token),
    });
    expect(bad.statusCode).toBe(400);
    expect(p.agent.logs.stats().opened).toBe(opened);
    const denied = await p.hub.audit.query({ action: 'logs.open_workload', actor: inventoryViewer.username, limit: 5 });
    expect(denied.items).toMatchObject([
      { outcome: 'denied', target: { kind: 'Deployment', namespace: ns, name: 'web' } },
    ]);
  });
});
