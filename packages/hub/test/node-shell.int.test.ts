// Node shells (issue 17) through hub and agent on the real control plane: the agent
// creates a privileged pod pinned to the node (checked in Kubernetes: nodeName,
// host namespaces, privileged, tolerations, deadline, labels), the shell runs in it
// through the ordinary relay (audited against the Node, on the node's timeline,
// recorded), and the pod is gone from Kubernetes once the shell ends. Refusals
// (no node:shell, tier off, unknown node, bad node name) create no pod.
//
// kwok's exec runs the command on this machine, not on a node: the first agent runs
// `sh` in the pod so the shell is interactive; the second keeps the default
// (nsenter into PID 1's namespaces), which the sandbox refuses — the session shows
// nsenter ran and the pod still goes.
import { isDeepStrictEqual } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NODE_SHELL_DEFAULT_COMMAND,
  NODE_SHELL_EXPIRES_ANNOTATION,
  NODE_SHELL_OWNER_ANNOTATION,
  nodeShellPath,
  nodeShellPodName,
  shellPath,
} from '@wheelhouse/protocol';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { addUser, bearer, useFastPasswordHashing, type TestUser } from './support/identity.js';
import { ALL_TIERS, connectCluster, startPipeline, type Pipeline } from './support/hub-with-agent.js';
import { connectShell, type ShellClient } from './support/shell-client.js';
import pino from 'pino';
import { NodeShellPods, type Agent } from '@wheelhouse/agent';

useFastPasswordHashing();
const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
const NODE = 'kwok-node-0';

const podsIn = async (namespace: string): Promise<k8s.V1Pod[]> =>
  (await core.listNamespacedPod({ namespace })).items.filter((p) => !p.metadata?.deletionTimestamp);

describe('node shells', () => {
  let p: Pipeline;
  let ns: string;
  let nsDefault: string;
  let plainCluster: string;
  let defaultCluster: string;
  let plainAgent: Agent;
  let defaultAgent: Agent;
  let admin: TestUser;
  let operator: TestUser;

  const url = (cluster: string, node: string, query = ''): URL =>
    new URL(`${nodeShellPath(cluster, node)}${query}`, p.url.replace('http', 'ws'));

  async function open(cluster: string, user: TestUser): Promise<{ client: ShellClient; sessionId: string }> {
    const r = await connectShell(url(cluster, NODE), user.token);
    if (!('client' in r)) throw new Error(`node shell refused: ${r.status} ${JSON.stringify(r.body)}`);
    const opened = await r.client.waitControl('opened');
    return { client: r.client, sessionId: String(opened.sessionId) };
  }

  /** A session row as GET /api/v1/sessions lists it. */
  async function session(id: string): Promise<Record<string, unknown> | undefined> {
    const res = await p.hub.app.inject({
      url: `/api/v1/sessions?user=${admin.username}`,
      headers: bearer(admin.token),
    });
    return res.json<{ items: Record<string, unknown>[] }>().items.find((x) => x.id === id);
  }

  beforeAll(async () => {
    ns = await testNamespace('nodesh');
    nsDefault = await testNamespace('nodesh-def');
    p = await startPipeline({
      capabilities: { ...ALL_TIERS, nodeShell: true },
      agent: { nodeShell: { namespace: ns, command: ['sh'], maxLifetimeSeconds: 600 } },
    });
    defaultCluster = `${p.cluster}-def`;
    defaultAgent = (
      await connectCluster(p.hub, p.url, defaultCluster, {
        capabilities: { ...ALL_TIERS, nodeShell: true },
        agent: { nodeShell: { namespace: nsDefault } },
      })
    ).agent;
    plainCluster = `${p.cluster}-plain`;
    plainAgent = (await connectCluster(p.hub, p.url, plainCluster, { capabilities: ALL_TIERS })).agent;
    admin = await addUser(p.hub, { bindings: [{ role: 'account-admin' }] });
    operator = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    await eventually(
      'the node in every cluster inventory',
      async () => {
        const found = await Promise.all(
          [p.cluster, defaultCluster, plainCluster].map((c) => p.hub.inventory.get(c, 'Node', '', NODE)),
        );
        return found.every(Boolean);
      },
      { timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(async () => {
    await plainAgent.stop();
    await defaultAgent.stop();
    await p.stop();
  });

  it('creates a privileged pod pinned to the node, runs the shell in it, and deletes the pod when the shell ends', async () => {
    const { client, sessionId } = await open(p.cluster, admin);
    const podName = nodeShellPodName(sessionId);

    // Kubernetes' side: the pod as a node shell needs it, on the chosen node.
    const pod = await core.readNamespacedPod({ namespace: ns, name: podName });
    expect(pod.status?.phase).toBe('Running');
    expect(pod.spec).toMatchObject({
      nodeName: NODE,
      hostPID: true,
      hostNetwork: true,
      hostIPC: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: 600,
      automountServiceAccountToken: false,
      tolerations: [{ operator: 'Exists' }],
    });
    expect(pod.spec?.containers).toHaveLength(1);
    expect(pod.spec?.containers[0]).toMatchObject({ name: 'shell', image: 'busybox:1.37' });
    expect(pod.spec?.containers[0]?.securityContext?.privileged).toBe(true);
    expect(pod.metadata?.labels).toMatchObject({
      'wheelhouse.dev/node-shell': 'true',
      'wheelhouse.dev/session': sessionId,
    });
    expect(pod.metadata?.annotations?.[NODE_SHELL_OWNER_ANNOTATION]).toBe(admin.username);
    const expires = Date.parse(pod.metadata?.annotations?.[NODE_SHELL_EXPIRES_ANNOTATION] ?? '');
    expect(expires - Date.now()).toBeGreaterThan(590_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(600_000);

    // The shell works (kwok runs the exec here), relayed like any shell.
    client.type('echo "node-$((6 * 7))"\n');
    await client.waitFor('node-42');
    client.type('exit 3\n');
    const closed = await client.waitControl('closed');
    expect(closed.reason).toBe('closed');
    expect(client.controls.find((c) => c.type === 'exit')?.code).toBe(3);

    // Gone from Kubernetes once the shell ended.
    await eventually('the node-shell pod deleted', async () => (await podsIn(ns)).length === 0, { timeoutMs: 15_000 });

    // Audited against the node, with the pod named; on the node's timeline; recorded.
    const audit = await p.hub.audit.query({ actor: admin.username, limit: 20 });
    const start = audit.items.find((a) => a.action === 'shell.start' && a.outcome === 'allowed');
    expect(start?.target).toEqual({ kind: 'Node', namespace: '', name: NODE });
    expect(start?.params).toMatchObject({ sessionId, node: NODE, pod: `${ns}/${podName}` });
    await eventually('the shell end in the audit log', async () =>
      (await p.hub.audit.query({ actor: admin.username, action: 'shell.end', limit: 5 })).items.some((a) =>
        isDeepStrictEqual(a.target, { kind: 'Node', namespace: '', name: NODE }),
      ),
    );
    const tl = await p.hub.timeline.query(p.cluster, { kind: 'Node', name: NODE, types: ['shell'], limit: 10 });
    expect(tl.items.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        `node shell opened by ${admin.username} on node ${NODE}`,
        expect.stringMatching(
          new RegExp(`^node shell of ${admin.username} on node ${NODE} ended \\(closed, exit code 3\\)`),
        ),
      ]),
    );
    expect(await session(sessionId)).toMatchObject({
      namespace: ns,
      pod: podName,
      container: 'shell',
      reason: 'closed',
      exitCode: 3,
    });
    const rec = await p.hub.app.inject({
      url: `/api/v1/sessions/${sessionId}/recording`,
      headers: bearer(admin.token),
    });
    expect(rec.statusCode).toBe(200);
    expect(rec.body).toContain('node-42');
  });

  it("runs the agent's default command, nsenter into PID 1's namespaces, and still removes the pod", async () => {
    const { client, sessionId } = await open(defaultCluster, admin);
    const opened = client.controls.find((c) => c.type === 'opened');
    expect(opened?.command).toEqual([...NODE_SHELL_DEFAULT_COMMAND]);
    // This sandbox refuses to enter PID 1's namespaces (nsenter exits 1 at once); where it may, a shell runs and
    // `exit` ends it. Either way the session ends with the command's exit and the pod goes.
    client.type('exit 0\n');
    const closed = await client.waitControl('closed');
    expect(closed.reason).toBe('closed');
    expect(client.controls.find((c) => c.type === 'exit')).toBeDefined();
    await eventually('the default agent’s node-shell pod deleted', async () => (await podsIn(nsDefault)).length === 0, {
      timeoutMs: 15_000,
    });
    expect((await session(sessionId))?.pod).toBe(nodeShellPodName(sessionId));
  });

  it('deletes the pod when the person closes the shell while it still runs', async () => {
    const { client, sessionId } = await open(p.cluster, admin);
    expect((await podsIn(ns)).map((x) => x.metadata?.name)).toEqual([nodeShellPodName(sessionId)]);
    client.ws.close(1000);
    await eventually('the node-shell pod deleted', async () => (await podsIn(ns)).length === 0, { timeoutMs: 15_000 });
  });

  it('a reload detaches a node shell; it is taken back through the node route only, the pod kept meanwhile', async () => {
    const { client, sessionId } = await open(p.cluster, admin);
    const podName = nodeShellPodName(sessionId);
    client.type('export MARK=kept-$((6 * 7))\n');
    client.ws.close(1001); // going away (a reload): the session detaches
    await client.closed;
    // The pod route does not hand a node shell over (its check is pod:exec, not node:shell), though the pod is there.
    await eventually('the node-shell pod in the inventory', async () =>
      Boolean(await p.hub.inventory.get(p.cluster, 'Pod', ns, podName)),
    );
    const viaPod = await connectShell(
      new URL(`${shellPath(p.cluster, ns, podName)}?container=shell&session=${sessionId}`, p.url.replace('http', 'ws')),
      admin.token,
    );
    expect(viaPod).toMatchObject({ status: 404, body: { error: 'shell_session_gone' } });
    expect(await podsIn(ns)).toHaveLength(1);
    const back = await connectShell(url(p.cluster, NODE, `?session=${sessionId}`), admin.token);
    if (!('client' in back)) throw new Error(`reattach refused: ${back.status} ${JSON.stringify(back.body)}`);
    expect((await back.client.waitControl('reattached')).sessionId).toBe(sessionId);
    back.client.type('echo "$MARK"\n');
    await back.client.waitFor('kept-42');
    back.client.ws.close(1000);
    await eventually('the node-shell pod deleted', async () => (await podsIn(ns)).length === 0, { timeoutMs: 15_000 });
  });

  it('refuses without node:shell (403, audited), with the tier off (409), an unknown node (404), a bad name (400): no pod', async () => {
    const noPerm = await connectShell(url(p.cluster, NODE), operator.token);
    expect(noPerm).toMatchObject({
      status: 403,
      body: { error: 'forbidden', permission: 'node:shell', scope: { cluster: p.cluster } },
    });
    const denied = await p.hub.audit.query({ actor: operator.username, limit: 5 });
    expect(denied.items[0]).toMatchObject({
      action: 'shell.start',
      outcome: 'denied',
      target: { kind: 'Node', namespace: '', name: NODE },
    });

    const off = await connectShell(url(plainCluster, NODE), admin.token);
    expect(off).toMatchObject({
      status: 409,
      body: { error: 'tier_disabled', tier: 'nodeShell', cluster: plainCluster },
    });
    expect('body' in off && String(off.body.message)).toContain('node shells (the nodeShell tier');

    const unknown = await connectShell(url(p.cluster, 'no-such-node'), admin.token);
    expect(unknown).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect('body' in unknown && String(unknown.body.message)).toContain('node no-such-node');

    const bad = await connectShell(url(p.cluster, 'Bad_Node'), admin.token);
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(JSON.stringify('body' in bad ? bad.body : {})).toContain('node');

    // Nothing reached the agent: no node-shell pod anywhere.
    expect(await podsIn(ns)).toEqual([]);
    const rejected = await p.hub.audit.query({ actor: admin.username, action: 'shell.start', limit: 5 });
    expect(
      rejected.items.filter((a) => a.outcome === 'rejected').map((a) => (a.detail as { error?: string }).error),
    ).toEqual(expect.arrayContaining(['tier_disabled', 'not_found']));
  });

  it('says why when the pod cannot start on its node, and leaves no pod', async () => {
    // The agent's pods against the real API server: a node no kubelet (kwok) runs, so the pod stays Pending
    // until the agent gives up and deletes it.
    const pods = new NodeShellPods({
      kc: kubeConfig(),
      log: pino({ level: 'silent' }),
      namespace: ns,
      startTimeoutMs: 3000,
      liveSessions: () => new Set(),
    });
    const started = Date.now();
    await expect(pods.create('11111111-1111-4111-8111-111111111111', 'nodesh-nowhere', 'alice')).rejects.toThrow(
      /the node-shell pod did not start on node "nodesh-nowhere" within 3 s \(Pending.*\); is the node Ready and running a kubelet\?/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    await eventually('no node-shell pod left', async () => (await podsIn(ns)).length === 0, { timeoutMs: 15_000 });
  });

  it('reaps node-shell pods without a live session (a killed agent’s), counted in Kubernetes', async () => {
    // A pod as a previous agent process would have left it: labelled, no session alive in this agent.
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: {
          name: nodeShellPodName('00000000-0000-4000-8000-000000000000'),
          labels: {
            'wheelhouse.dev/node-shell': 'true',
            'wheelhouse.dev/session': '00000000-0000-4000-8000-000000000000',
          },
          annotations: { [NODE_SHELL_EXPIRES_ANNOTATION]: new Date(Date.now() + 3600_000).toISOString() },
        },
        spec: { nodeName: NODE, containers: [{ name: 'shell', image: 'busybox:1.37' }] },
      },
    });
    // And one of another tool, unlabelled: the reaper leaves it alone.
    await core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'not-ours' }, spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox' }] } },
    });
    expect(await p.agent.nodeShells?.reap()).toBe(1);
    await eventually(
      'only the unlabelled pod left',
      async () => (await podsIn(ns)).map((x) => x.metadata?.name).join() === 'not-ours',
    );
    await core.deleteNamespacedPod({ namespace: ns, name: 'not-ours', gracePeriodSeconds: 0 });
  });
  it('reaps a pod past its expiry even while its session lives, and keeps a live one', async () => {
    const live = '22222222-2222-4222-8222-222222222222';
    const expired = '33333333-3333-4333-8333-333333333333';
    const pods = new NodeShellPods({
      kc: kubeConfig(),
      log: pino({ level: 'silent' }),
      namespace: ns,
      liveSessions: () => new Set([live, expired]),
    });
    for (const [id, expiresAt] of [
      [live, Date.now() + 3600_000],
      [expired, Date.now() - 1000],
    ] as const)
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: {
            name: nodeShellPodName(id),
            labels: { 'wheelhouse.dev/node-shell': 'true', 'wheelhouse.dev/session': id },
            annotations: { [NODE_SHELL_EXPIRES_ANNOTATION]: new Date(expiresAt).toISOString() },
          },
          spec: { nodeName: NODE, containers: [{ name: 'shell', image: 'busybox:1.37' }] },
        },
      });
    expect(await pods.reap()).toBe(1);
    await eventually(
      'only the live pod left',
      async () => (await podsIn(ns)).map((x) => x.metadata?.name).join() === nodeShellPodName(live),
    );
    await core.deleteNamespacedPod({ namespace: ns, name: nodeShellPodName(live), gracePeriodSeconds: 0 });
  });
  it('ends when the just-in-time grant that allowed it expires, though pod:exec remains', async () => {
    // An operator everywhere (pod:exec in the node-shell namespace too) with account-admin for a while.
    const dev = await addUser(p.hub, { bindings: [{ role: 'operator' }] });
    const asked = await p.hub.app.inject({
      method: 'POST',
      url: '/api/v1/access-requests',
      headers: bearer(dev.token),
      payload: { role: 'account-admin', cluster: p.cluster, namespace: '*', duration: '5m', reason: 'INC-9 node disk' },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const approved = await p.hub.app.inject({
      method: 'POST',
      url: `/api/v1/access-requests/${asked.json<{ id: string }>().id}/approve`,
      headers: bearer(admin.token),
      payload: { comment: 'ok' },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    const { client } = await open(p.cluster, dev);
    expect(await p.hub.access.expireDue(Date.now() + 5 * 60_000 + 1)).toBe(1);
    expect(await client.waitControl('closed')).toMatchObject({ reason: 'denied' });
    await eventually('the node-shell pod deleted', async () => (await podsIn(ns)).length === 0, { timeoutMs: 15_000 });
  });
});
