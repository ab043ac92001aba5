// Exec guard names the person behind a Wheelhouse shell with impersonation
// off (issue #20 item 6), on the real API server: the agent runs as the
// ServiceAccount the agent chart creates, with exactly the RBAC the chart
// renders; alice opens a shell through the hub; the agent execs as itself with
// Impersonate-Extra-wheelhouse.dev/on-behalf-of: alice; exec guard (a webhook
// the API server calls) puts "alice via Wheelhouse (agent system:serviceaccount:…)"
// on the pod's annotation (the console's badge), its Event, `kubectl pi get`
// and the eviction Event. And a person cannot forge the extra: without the
// agent's RBAC the API server refuses it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INTERACTOR_ANNOTATION,
  startExecGuard,
  webhookConfiguration,
  type ExecGuardHandle,
} from '@wheelhouse/exec-guard';
import { shellPath } from '@wheelhouse/protocol';
import { impersonatingKubeConfig, kubeRequest, onBehalfOfIdentity, type KubeClientConfig } from '@wheelhouse/agent';

/** A SelfSubjectReview as the config: who the API server sees (status 201), or its refusal. */
const selfReview = (kc: KubeClientConfig) =>
  kubeRequest<{ message?: string; status?: { userInfo?: Record<string, unknown> } }>(
    kc,
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  );
import { auditLogFile, eventually, kubeConfig, kubeconfigFile, testNamespace } from '@wheelhouse/test-cluster/testing';
import { addUser, bearer, useFastPasswordHashing } from './support/identity.js';
import { startPipeline, type Pipeline } from './support/hub-with-agent.js';
import { applyAgentChartIdentity, tokenConfig, type AgentChartIdentity } from './support/agent-chart-identity.js';

useFastPasswordHashing();
const run = promisify(execFile);
const PI = fileURLToPath(new URL('../../exec-guard/dist/src/kubectl-pi.js', import.meta.url));
const admin = kubeConfig();
const core = admin.makeApiClient(k8s.CoreV1Api);
const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
const admission = admin.makeApiClient(k8s.AdmissionregistrationV1Api);

describe('a shell through Wheelhouse with impersonation off names the person to exec guard', () => {
  const release = `obo-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'wh-obo-'));
  const webhookName = `wheelhouse-obo-${randomBytes(3).toString('hex')}`;
  let ns = '';
  let impNs = '';
  let agentNs = '';
  let agentUser = '';
  let chart: AgentChartIdentity;
  let guard: ExecGuardHandle;
  let p: Pipeline;

  beforeAll(async () => {
    ns = await testNamespace('obo');
    impNs = await testNamespace('obo-imp');
    agentNs = await testNamespace('obo-agent');
    // The agent chart's ServiceAccount and RBAC (podExec on, impersonation off), applied as rendered.
    chart = await applyAgentChartIdentity(release, agentNs);
    agentUser = chart.user;
    const agentKc = chart.kubeConfig;

    // Exec guard as its own component (its chart's identity is not under test here: the cluster admin).
    guard = await startExecGuard({
      kubeConfig: admin,
      selfSigned: true,
      host: '127.0.0.1',
      port: 0,
      ttlSeconds: 20,
      namespaces: [ns, impNs],
      dataDir: join(dir, 'guard'),
      logLevel: (process.env.WHEELHOUSE_TEST_LOG as 'info' | undefined) ?? 'silent',
      leaderElection: { enabled: false },
    });
    await admission.createValidatingWebhookConfiguration({
      body: webhookConfiguration({
        name: webhookName,
        url: guard.url,
        ...(guard.caBundle ? { caBundle: guard.caBundle } : {}),
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns, impNs] }],
        },
      }),
    });

    p = await startPipeline({
      capabilities: { basic: true, advanced: false, podExec: true },
      agent: { kubeConfig: agentKc },
    });
  }, 120_000);

  afterAll(async () => {
    await admission.deleteValidatingWebhookConfiguration({ name: webhookName }).catch(() => undefined);
    await p.stop();
    await guard.stop();
    await chart.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a shell as `token`'s user that prints a marker; resolves once the marker came back, then closes it. */
  async function shellOnce(token: string, pod: string, via: Pipeline = p, namespace = ns): Promise<void> {
    const u = new URL(shellPath(via.cluster, namespace, pod), via.url.replace('http', 'ws'));
    for (const arg of ['sh', '-c', 'echo obo-ready; sleep 600']) u.searchParams.append('command', arg);
    const ws = new WebSocket(u, { headers: bearer(token) });
    let output = '';
    const controls: string[] = [];
    ws.on('message', (data, isBinary) => {
      if (!Buffer.isBuffer(data)) return;
      if (isBinary) output += data.toString('utf8');
      else controls.push(data.toString('utf8'));
    });
    ws.on('unexpected-response', (_req, res) => controls.push(`HTTP ${res.statusCode ?? 0}`));
    try {
      await eventually('the shell running', () => Promise.resolve(output.includes('obo-ready')), {
        timeoutMs: 30_000,
      }).catch((err: unknown) => {
        throw new Error(`${String(err)}; the hub said: ${controls.join(' | ')}`);
      });
    } finally {
      ws.close();
    }
  }

  it('the badge, the Event, kubectl pi and the eviction record say "alice via Wheelhouse (agent …)"', async () => {
    const alice = await addUser(p.hub, {
      username: 'alice',
      bindings: [{ role: 'operator', cluster: p.cluster, namespace: ns }],
    });
    const pod = 'payments-0';
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: pod },
        spec: { containers: [{ name: 'app', image: 'busybox' }], terminationGracePeriodSeconds: 0 },
      },
    });
    await eventually(
      'the pod running in the hub inventory',
      async () => (await p.hub.inventory.get(p.cluster, 'Pod', ns, pod))?.summary.phase === 'Running',
      { timeoutMs: 60_000 },
    );
    const expected = `alice via Wheelhouse (agent ${agentUser})`;
    // The API server picks up a new webhook configuration asynchronously: shell until exec guard saw one.
    const annotated = await eventually(
      'exec guard to record the shell',
      async () => {
        await shellOnce(alice.token, pod);
        const got = await core.readNamespacedPod({ namespace: ns, name: pod });
        return got.metadata?.annotations?.[INTERACTOR_ANNOTATION];
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(annotated).toBe(expected);

    // The console's badge reads the same (the hub's pod summary).
    await eventually('the badge in the hub inventory', async () => {
      const item = await p.hub.inventory.get(p.cluster, 'Pod', ns, pod);
      return item?.summary.execGuard?.interactor === expected;
    });
    const events = async () =>
      (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${pod}` })).items
        .filter((e) => e.reason === 'PodInteraction')
        .map((e) => e.message ?? '');
    expect(await events()).toEqual(
      expect.arrayContaining([expect.stringContaining(`command by a user '${expected}' initially at time`)]),
    );
    const pi = await run(process.execPath, [PI, '--kubeconfig', kubeconfigFile(), 'get', pod, '-n', ns]);
    expect(pi.stdout).toContain(`${pod}   ${expected}`);
    // The shell ran as the agent's own identity: Kubernetes RBAC and the session record are the agent's.
    const session = await p.hub.db
      .selectFrom('shell_sessions')
      .selectAll()
      .where('username', '=', 'alice')
      .executeTakeFirstOrThrow();
    expect(session.kube_user).toBeNull();
    // The cluster's own audit log: the exec was the agent's, on behalf of alice.
    const audited = await eventually('the exec in the kube-apiserver audit log', async () => {
      const lines = (await readFile(auditLogFile(), 'utf8')).split('\n').filter(Boolean);
      return lines
        .map(
          (l) =>
            JSON.parse(l) as {
              objectRef?: { namespace?: string; subresource?: string };
              impersonatedUser?: { username: string; extra?: Record<string, string[]> };
            },
        )
        .find((e) => e.objectRef?.namespace === ns && e.objectRef.subresource === 'exec');
    });
    expect(audited.impersonatedUser).toMatchObject({
      username: agentUser,
      extra: { 'wheelhouse.dev/on-behalf-of': ['alice'] },
    });

    // At the end of the TTL (20 s here) the eviction record names her too.
    const evicted = await eventually(
      'the eviction Event',
      async () => (await events()).find((m) => m.startsWith('Pod was evicted')),
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    expect(evicted).toContain(`interacted with by a user '${expected}'`);
  }, 240_000);

  it('a person cannot forge the extra, and the agent can impersonate only itself', async () => {
    // mallory may exec in the namespace, like any operator with kubectl.
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'mallory' } } });
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'exec' },
        rules: [{ apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['get', 'create'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'mallory-exec' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'exec' },
        subjects: [{ kind: 'ServiceAccount', name: 'mallory', namespace: ns }],
      },
    });
    const mallory = await tokenConfig(ns, 'mallory');
    const forged = impersonatingKubeConfig(
      mallory,
      onBehalfOfIdentity({ username: `system:serviceaccount:${ns}:mallory`, groups: [] }, 'alice'),
    );
    const err = await selfReview(forged);
    expect(err.status).toBe(403);
    expect(err.body.message).toMatch(/cannot impersonate resource .*(userextras|serviceaccounts)/);

    // The agent's RBAC lets it impersonate its own ServiceAccount with the extra, nobody else.
    const agentKc = await tokenConfig(agentNs, chart.serviceAccount);
    const self = await selfReview(
      impersonatingKubeConfig(agentKc, onBehalfOfIdentity({ username: agentUser, groups: [] }, 'alice')),
    );
    expect(self.status).toBe(201);
    expect(self.body.status?.userInfo).toMatchObject({
      username: agentUser,
      extra: { 'wheelhouse.dev/on-behalf-of': ['alice'] },
    });
    const other = await selfReview(
      impersonatingKubeConfig(agentKc, { user: `system:serviceaccount:${ns}:mallory`, groups: [] }),
    );
    expect(other.status).toBe(403);
  });

  it('with impersonation on, the exec is made as the person, and exec guard names them', async () => {
    // bob's mapped Kubernetes user may exec in this namespace (the cluster's own RBAC decides).
    await rbac.createNamespacedRole({
      namespace: impNs,
      body: {
        metadata: { name: 'shell' },
        rules: [
          { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
          { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: impNs,
      body: {
        metadata: { name: 'bob-shell' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'shell' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'wheelhouse:bob' }],
      },
    });
    const imp = await startPipeline({
      capabilities: { basic: true, advanced: false, podExec: true },
      agent: { impersonation: { userPrefix: 'wheelhouse:', groups: ['wheelhouse:users'] } },
    });
    try {
      const bob = await addUser(imp.hub, {
        username: 'bob',
        bindings: [{ role: 'operator', cluster: imp.cluster, namespace: impNs }],
      });
      const pod = 'ledger-0';
      await core.createNamespacedPod({
        namespace: impNs,
        body: { metadata: { name: pod }, spec: { containers: [{ name: 'app', image: 'busybox' }] } },
      });
      await eventually(
        'the pod running in the hub inventory',
        async () => (await imp.hub.inventory.get(imp.cluster, 'Pod', impNs, pod))?.summary.phase === 'Running',
        { timeoutMs: 60_000 },
      );
      const annotated = await eventually(
        'exec guard to record the shell',
        async () => {
          await shellOnce(bob.token, pod, imp, impNs);
          const got = await core.readNamespacedPod({ namespace: impNs, name: pod });
          return got.metadata?.annotations?.[INTERACTOR_ANNOTATION];
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(annotated).toBe('wheelhouse:bob');
      const session = await imp.hub.db
        .selectFrom('shell_sessions')
        .selectAll()
        .where('username', '=', 'bob')
        .executeTakeFirstOrThrow();
      expect(session.kube_user).toBe('wheelhouse:bob');
    } finally {
      await imp.stop();
    }
  }, 180_000);
});
