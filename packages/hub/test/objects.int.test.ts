// GET /api/v1/clusters/{c}/objects end to end: hub → agent link (object.get) →
// agent → Kubernetes API → back (object.result), against the local cluster.
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CONNECT_PATH, type HubMessage } from '@wheelhouse/protocol';
import { kubectl } from '@wheelhouse/test-cluster';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { addUser, bearer, login, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';

useFastPasswordHashing();

interface ObjectAnswer {
  object: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; resourceVersion: string; managedFields?: unknown };
    spec?: unknown;
  };
  yaml: string;
}

describe('live object reads through the agent', () => {
  let p: Pipeline;
  let ns: string;
  let otherNs: string;
  let viewer: TestUser;
  let nsViewer: TestUser;
  let otherViewer: TestUser;
  const sent: HubMessage[] = [];

  const get = (token: string, query: Record<string, string>, cluster = p.cluster) =>
    p.hub.app.inject({
      url: `/api/v1/clusters/${cluster}/objects?${new URLSearchParams(query).toString()}`,
      headers: bearer(token),
    });

  beforeAll(async () => {
    ns = await testNamespace('objects');
    otherNs = await testNamespace('objects-other');
    const kc = kubeConfig();
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:1.0' }] } },
        },
      },
    });
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'creds' }, stringData: { password: 'hunter2-never-read' } },
    });
    p = await startPipeline({ hub: { objectTimeoutMs: 3000 } });
    // Every message the hub sends to agents, so a refusal can be shown to have asked nothing.
    const sendTo = p.hub.link.sendTo.bind(p.hub.link);
    p.hub.link.sendTo = (cluster, msg) => {
      sent.push(msg);
      return sendTo(cluster, msg);
    };
    viewer = await addUser(p.hub, { bindings: [{ role: 'viewer' }] });
    nsViewer = await addUser(p.hub, { bindings: [{ role: 'viewer', namespace: ns }] });
    otherViewer = await addUser(p.hub, { bindings: [{ role: 'viewer', namespace: otherNs }] });
    await eventually('the hub to see the agent', () => Promise.resolve(p.hub.link.isConnected(p.cluster)));
  }, 120_000);
  afterAll(() => p.stop());

  it('returns the live Deployment as Kubernetes has it (same resourceVersion as kubectl), without managedFields, with YAML', async () => {
    // Controllers update the Deployment's status at first: compare once it is the same on both sides of our read.
    const answer = await eventually('a read between two equal kubectl reads', async () => {
      const rv = async () =>
        (
          await kubectl(['-n', ns, 'get', 'deployment', 'web', '-o', 'jsonpath={.metadata.resourceVersion}'])
        ).stdout.trim();
      const before = await rv();
      const res = await get(viewer.token, { kind: 'Deployment', namespace: ns, name: 'web' });
      expect(res.statusCode).toBe(200);
      const after = await rv();
      const body = res.json<ObjectAnswer>();
      return before === after && body.object.metadata.resourceVersion === before ? body : undefined;
    });
    expect(answer.object).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: { replicas: 1 },
    });
    expect(answer.object.metadata.managedFields).toBeUndefined();
    const full = JSON.parse(
      (await kubectl(['-n', ns, 'get', 'deployment', 'web', '-o', 'json', '--show-managed-fields'])).stdout,
    ) as { metadata: { managedFields?: unknown; uid: string } };
    expect(full.metadata.managedFields).toBeDefined(); // Kubernetes has them; the hub's answer does not
    expect(answer.object.metadata).toMatchObject({ uid: full.metadata.uid });
    expect(answer.yaml).toContain('kind: Deployment');
    expect(answer.yaml).toContain(`namespace: ${ns}`);
    expect(answer.yaml).toContain(`resourceVersion: "${answer.object.metadata.resourceVersion}"`);
    expect(answer.yaml).not.toContain('managedFields');
    // A namespace-scoped viewer of that namespace reads it too, with a session cookie as well as a token.
    expect((await get(nsViewer.token, { kind: 'Deployment', namespace: ns, name: 'web' })).statusCode).toBe(200);
    const session = await login(p.hub, nsViewer.username, nsViewer.password);
    const byCookie = await p.hub.app.inject({
      url: `/api/v1/clusters/${p.cluster}/objects?kind=Deployment&namespace=${ns}&name=web`,
      headers: { cookie: session.cookie },
    });
    expect(byCookie.statusCode).toBe(200);
  });

  it('reads cluster-scoped kinds (Node, Namespace) with view on the cluster, and refuses a namespace-scoped viewer', async () => {
    const node = await get(viewer.token, { kind: 'Node', name: 'kwok-node-0' });
    expect(node.statusCode).toBe(200);
    expect(node.json<ObjectAnswer>().object).toMatchObject({ kind: 'Node', metadata: { name: 'kwok-node-0' } });
    const namespace = await get(viewer.token, { kind: 'Namespace', name: ns });
    expect(namespace.json<ObjectAnswer>().object).toMatchObject({ kind: 'Namespace', metadata: { name: ns } });
    const refused = await get(nsViewer.token, { kind: 'Node', name: 'kwok-node-0' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      error: 'forbidden',
      permission: 'object:read',
      scope: { cluster: p.cluster },
    });
  });

  it('an inventory-viewer lists the ConfigMap but reads none of its data: 403 naming object:read, nothing asked of the agent', async () => {
    await kubeConfig()
      .makeApiClient(k8s.CoreV1Api)
      .createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'settings' }, data: { 'db-password-hint': 'in-the-data-only' } },
      });
    const inv = await addUser(p.hub, { bindings: [{ role: 'inventory-viewer' }] });
    await eventually('the ConfigMap listed to the inventory-viewer', async () => {
      const listed = await p.hub.app.inject({
        url: `/api/v1/clusters/${p.cluster}/resources?kind=ConfigMap&namespace=${ns}`,
        headers: bearer(inv.token),
      });
      return listed.json<{ items: { name: string }[] }>().items.some((i) => i.name === 'settings');
    });
    const before = sent.length;
    const res = await get(inv.token, { kind: 'ConfigMap', namespace: ns, name: 'settings' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      error: 'forbidden',
      permission: 'object:read',
      scope: { cluster: p.cluster, namespace: ns },
    });
    expect(res.body).not.toContain('in-the-data-only');
    expect(sent.slice(before)).toEqual([]);
    // A viewer reads it: the role is what an admin changes.
    const read = await get(viewer.token, { kind: 'ConfigMap', namespace: ns, name: 'settings' });
    expect(read.body).toContain('in-the-data-only');
  });

  it('answers 404 not_found when Kubernetes has no such object', async () => {
    const res = await get(viewer.token, { kind: 'Deployment', namespace: ns, name: 'nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      error: 'not_found',
      message: expect.stringContaining(`Deployment ${ns}/nope`) as unknown,
    });
  });

  it('never reads Secrets (or any kind outside the table): 400 naming querystring.kind, nothing asked of the agent', async () => {
    const before = sent.length;
    for (const kind of ['Secret', 'secrets', 'ServiceAccount']) {
      const res = await get(viewer.token, { kind, namespace: ns, name: 'creds' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: 'querystring.kind' }] });
      expect(res.body).not.toContain('hunter2');
    }
    expect(sent.slice(before)).toEqual([]);
    // Namespaced kinds need a namespace; cluster-scoped ones refuse one.
    expect((await get(viewer.token, { kind: 'Deployment', name: 'web' })).json()).toMatchObject({
      issues: [{ path: 'querystring.namespace' }],
    });
    expect((await get(viewer.token, { kind: 'Node', namespace: ns, name: 'kwok-node-0' })).json()).toMatchObject({
      issues: [{ path: 'querystring.namespace' }],
    });
    // Names cannot smuggle a path.
    expect(
      (await get(viewer.token, { kind: 'Deployment', namespace: ns, name: '../../secrets/creds' })).json(),
    ).toMatchObject({ issues: [{ path: 'querystring.name' }] });
  });

  it('answers 403 to a viewer of another namespace, audits it, and asks the agent nothing', async () => {
    const before = sent.length;
    const res = await get(otherViewer.token, { kind: 'Deployment', namespace: ns, name: 'web' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      error: 'forbidden',
      permission: 'object:read',
      scope: { cluster: p.cluster, namespace: ns },
    });
    expect(res.body).not.toContain('web:1.0');
    expect(res.body).not.toContain('resourceVersion');
    expect(sent.slice(before)).toEqual([]);
    const audit = await p.hub.audit.query({ actor: otherViewer.username, limit: 5 });
    expect(audit.items[0]).toMatchObject({ action: 'access', outcome: 'denied' });
  });

  it('answers 503 agent_unavailable when the cluster has no agent connected', async () => {
    await p.hub.clusters.create('objects-no-agent', 'test');
    const res = await get(viewer.token, { kind: 'Deployment', namespace: ns, name: 'web' }, 'objects-no-agent');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'agent_unavailable' });
    expect(
      (await get(viewer.token, { kind: 'Deployment', namespace: ns, name: 'web' }, 'no-such-cluster')).statusCode,
    ).toBe(404);
  });

  it('answers 504 agent_timeout when the agent does not answer, and 503 when it goes away while asked', async () => {
    // A mute "agent": connects with the cluster token, says hello, never answers.
    const created = await p.hub.clusters.create('objects-mute', 'test');
    if (!created) throw new Error('cluster exists');
    const ws = new WebSocket(new URL(AGENT_CONNECT_PATH, p.url.replace('http', 'ws')), {
      headers: bearer(created.token),
    });
    const asked: unknown[] = [];
    ws.on('message', (d: Buffer) => asked.push(JSON.parse(d.toString('utf8'))));
    await new Promise((r) => ws.once('open', r));
    ws.send(
      JSON.stringify({
        type: 'hello',
        protocol: 1,
        agentVersion: 'mute',
        kubernetesVersion: 'v1.35.4',
        capabilities: { basic: false, advanced: false, podExec: false },
        missingPermissions: {},
      }),
    );
    await eventually('the mute agent to be connected', () => Promise.resolve(p.hub.link.isConnected('objects-mute')));
    const t0 = Date.now();
    const res = await get(viewer.token, { kind: 'Deployment', namespace: ns, name: 'web' }, 'objects-mute');
    expect(res.statusCode).toBe(504);
    expect(res.json()).toMatchObject({ error: 'agent_timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(asked).toContainEqual(
      expect.objectContaining({
        type: 'object.get',
        kind: 'Deployment',
        namespace: ns,
        name: 'web',
        user: viewer.username,
      }),
    );

    const pending = get(viewer.token, { kind: 'Deployment', namespace: ns, name: 'web' }, 'objects-mute');
    await eventually('the second question to reach the mute agent', () => Promise.resolve(asked.length >= 3)); // welcome + 2 questions
    ws.close();
    const gone = await pending;
    expect(gone.statusCode).toBe(503);
    expect(gone.json()).toMatchObject({ error: 'agent_unavailable' });
    expect(p.hub.objects.inFlight).toBe(0);
  });
});

describe('reads with impersonation on: Kubernetes RBAC decides per user', () => {
  let p: Pipeline;
  let ns: string;
  let alice: TestUser;

  beforeAll(async () => {
    ns = await testNamespace('objects-imp');
    const kc = kubeConfig();
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings' }, data: { mode: 'fast' } } });
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'one' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
    });
    p = await startPipeline({ agent: { impersonation: { userPrefix: 'wheelhouse:', groups: ['wheelhouse:users'] } } });
    alice = await addUser(p.hub, { bindings: [{ role: 'viewer', namespace: ns }] });
    await eventually(
      'the pod in the hub inventory',
      async () => (await p.hub.inventory.get(p.cluster, 'Pod', ns, 'one'))?.summary.phase === 'Running',
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(() => p.stop());

  const readLog = async (
    token: string,
  ): Promise<{ type: string; reason?: string; message?: string; text?: string }[]> => {
    const u = new URL(`/api/v1/clusters/${p.cluster}/pods/${ns}/one/logs?tailLines=1`, p.url.replace('http', 'ws'));
    const ws = new WebSocket(u, { headers: bearer(token) });
    const got: { type: string }[] = [];
    ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString('utf8')) as { type: string }));
    await new Promise((r) => ws.on('close', r));
    return got;
  };

  it('refuses what the user’s Kubernetes identity may not read, and reads it once Kubernetes allows', async () => {
    const url = `/api/v1/clusters/${p.cluster}/objects?kind=ConfigMap&namespace=${ns}&name=settings`;
    const refused = await p.hub.app.inject({ url, headers: bearer(alice.token) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      error: 'kubernetes_forbidden',
      status: 403,
      message: expect.stringContaining(`wheelhouse:${alice.username}`) as unknown,
    });
    const log = await readLog(alice.token);
    expect(log.at(-1)).toMatchObject({
      type: 'end',
      reason: 'error',
      message: expect.stringContaining(`wheelhouse:${alice.username}`) as unknown,
    });

    await kubectl([
      '-n',
      ns,
      'create',
      'rolebinding',
      'alice-view',
      '--clusterrole=view',
      `--user=wheelhouse:${alice.username}`,
    ]);
    await eventually(
      'the read to be allowed',
      async () => (await p.hub.app.inject({ url, headers: bearer(alice.token) })).statusCode === 200,
    );
    const ok = await p.hub.app.inject({ url, headers: bearer(alice.token) });
    expect(ok.json<{ object: { data: Record<string, string> } }>().object.data).toEqual({ mode: 'fast' });
    const allowed = await readLog(alice.token);
    expect(allowed.map((m) => m.type)).toEqual(['data', 'end']);
    expect(allowed.at(-1)).toMatchObject({ reason: 'eof' });
  });
});
