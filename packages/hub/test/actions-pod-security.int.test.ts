// Pod Security Standards on apply (issue 13 item 2): every baseline violation
// refused at the hub for each kind that carries a pod template, nothing
// created (read back from the API server); the agent refuses again when a
// command reaches it anyway; Secret references need action:apply:secrets; an
// admin chooses the level per cluster.
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActionRequest } from '@wheelhouse/protocol';
import { kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { useHarness } from './actions-harness.js';
import { addUser, bearer } from './support/identity.js';

const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const batch = kc.makeApiClient(k8s.BatchV1Api);

type Rec = Record<string, unknown>;
const WORKLOAD_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Where each kind keeps its pod spec, as the refusal names it. */
const SPEC_PATH: Record<WorkloadKind, string> = {
  Pod: 'spec',
  Deployment: 'spec.template.spec',
  StatefulSet: 'spec.template.spec',
  DaemonSet: 'spec.template.spec',
  Job: 'spec.template.spec',
  CronJob: 'spec.jobTemplate.spec.template.spec',
};

function workload(kind: WorkloadKind, name: string, podSpec: Rec): Rec {
  const labels = { app: name };
  const spec = { terminationGracePeriodSeconds: 5, ...podSpec };
  const template = { metadata: { labels }, spec };
  const apiVersion = kind === 'Pod' ? 'v1' : kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1';
  const base = { apiVersion, kind, metadata: { name } };
  switch (kind) {
    case 'Pod':
      return { ...base, spec };
    case 'Deployment':
    case 'DaemonSet':
      return { ...base, spec: { selector: { matchLabels: labels }, template } };
    case 'StatefulSet':
      return { ...base, spec: { serviceName: name, selector: { matchLabels: labels }, template } };
    case 'Job':
      return { ...base, spec: { template: { ...template, spec: { ...spec, restartPolicy: 'Never' } } } };
    case 'CronJob':
      return {
        ...base,
        spec: {
          schedule: '0 0 1 1 *',
          jobTemplate: { spec: { template: { ...template, spec: { ...spec, restartPolicy: 'Never' } } } },
        },
      };
  }
}

const app = (extra: Rec = {}): Rec => ({ name: 'app', image: 'nginx', ...extra });

/** Each baseline rule: a pod spec breaking it, the field (under the spec path) and the rule the hub names. */
const VIOLATIONS: { name: string; spec: Rec; field: string; rule: string }[] = [
  {
    name: 'privileged',
    spec: { containers: [app({ securityContext: { privileged: true } })] },
    field: 'containers[0].securityContext.privileged',
    rule: 'baseline forbids privileged containers',
  },
  {
    name: 'hostPID',
    spec: { hostPID: true, containers: [app()] },
    field: 'hostPID',
    rule: "baseline forbids sharing the host's namespaces (hostPID)",
  },
  {
    name: 'hostNetwork',
    spec: { hostNetwork: true, containers: [app()] },
    field: 'hostNetwork',
    rule: "baseline forbids sharing the host's namespaces (hostNetwork)",
  },
  {
    name: 'hostIPC',
    spec: { hostIPC: true, containers: [app()] },
    field: 'hostIPC',
    rule: "baseline forbids sharing the host's namespaces (hostIPC)",
  },
  {
    name: 'hostPath /',
    spec: { containers: [app()], volumes: [{ name: 'root', hostPath: { path: '/' } }] },
    field: 'volumes[0].hostPath',
    rule: 'baseline forbids hostPath volumes',
  },
  {
    name: 'added capability',
    spec: { containers: [app({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } })] },
    field: 'containers[0].securityContext.capabilities.add[0]',
    rule: 'baseline forbids adding capability SYS_ADMIN',
  },
  {
    name: 'hostPort',
    spec: { containers: [app({ ports: [{ containerPort: 80, hostPort: 80 }] })] },
    field: 'containers[0].ports[0].hostPort',
    rule: 'baseline forbids host ports',
  },
  {
    name: 'unsafe sysctl',
    spec: { containers: [app()], securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } },
    field: 'securityContext.sysctls[0].name',
    rule: 'baseline forbids unsafe sysctl "kernel.msgmax"',
  },
  {
    name: 'seccomp Unconfined',
    spec: { containers: [app({ securityContext: { seccompProfile: { type: 'Unconfined' } } })] },
    field: 'containers[0].securityContext.seccompProfile.type',
    rule: 'baseline forbids seccomp profile Unconfined',
  },
  {
    name: 'SELinux type',
    spec: { containers: [app()], securityContext: { seLinuxOptions: { type: 'spc_t' } } },
    field: 'securityContext.seLinuxOptions.type',
    rule: 'baseline forbids SELinux type "spc_t"',
  },
  {
    name: 'unmasked /proc',
    spec: { containers: [app({ securityContext: { procMount: 'Unmasked' } })] },
    field: 'containers[0].securityContext.procMount',
    rule: 'baseline forbids procMount Unmasked',
  },
];

/** Names of the objects of each kind in the namespace, read from the API server. */
async function objectsIn(ns: string): Promise<Record<WorkloadKind, string[]>> {
  const names = (l: { items: { metadata?: { name?: string } }[] }) => l.items.map((i) => i.metadata?.name ?? '');
  return {
    Pod: names(await core.listNamespacedPod({ namespace: ns })),
    Deployment: names(await apps.listNamespacedDeployment({ namespace: ns })),
    StatefulSet: names(await apps.listNamespacedStatefulSet({ namespace: ns })),
    DaemonSet: names(await apps.listNamespacedDaemonSet({ namespace: ns })),
    Job: names(await batch.listNamespacedJob({ namespace: ns })),
    CronJob: names(await batch.listNamespacedCronJob({ namespace: ns })),
  };
}

describe('Pod Security Standards on apply', () => {
  const h = useHarness();
  let ns: string;
  let admin: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Rec }>;
  let adminName: string;

  beforeAll(async () => {
    ns = await testNamespace('pss');
    const user = await addUser(h.p.hub, { bindings: [{ role: 'account-admin' }] });
    adminName = user.username;
    admin = async (method, path, body) => {
      const res = await fetch(`${h.p.url}${path}`, {
        method,
        headers: { ...bearer(user.token), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Rec };
    };
  });

  const applyBody = (kind: WorkloadKind, name: string, manifest: Rec) => ({
    action: 'apply',
    target: { kind, namespace: ns, name },
    params: { manifest: JSON.stringify(manifest) },
  });

  it('refuses every baseline violation for Pod, Deployment, StatefulSet, DaemonSet, Job and CronJob with a 400 naming the field and the rule, and creates nothing', async () => {
    let n = 0;
    for (const kind of WORKLOAD_KINDS) {
      for (const v of VIOLATIONS) {
        const name = `bad-${++n}`;
        const res = await h.post(applyBody(kind, name, workload(kind, name, v.spec)));
        const expected = `${SPEC_PATH[kind]}.${v.field}: ${v.rule}`;
        expect({ kind, violation: v.name, status: res.status, message: res.body.message }).toEqual({
          kind,
          violation: v.name,
          status: 400,
          message: expected,
        });
        expect(res.body.podSecurity).toBe('baseline');
      }
    }
    // No command was recorded and the API server holds none of these objects.
    expect((await h.p.hub.commands.list({ cluster: h.p.cluster, limit: 1000 })).items.length).toBe(0);
    expect(await objectsIn(ns)).toEqual({
      Pod: [],
      Deployment: [],
      StatefulSet: [],
      DaemonSet: [],
      Job: [],
      CronJob: [],
    });
  });

  it('names the document when a multi-document manifest hides a violation behind a harmless first object', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'decoy' }, data: {} };
    const pod = workload('Pod', 'hidden', { hostPID: true, containers: [app()] });
    const res = await h.post({
      action: 'apply',
      target: { kind: 'ConfigMap', namespace: ns, name: 'decoy' },
      params: { manifest: `${JSON.stringify(cm)}\n---\n${JSON.stringify(pod)}` },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe("document 2: spec.hostPID: baseline forbids sharing the host's namespaces (hostPID)");
    await expect(core.readNamespacedConfigMap({ namespace: ns, name: 'decoy' })).rejects.toMatchObject({ code: 404 });
  });

  it('still applies a compliant manifest', async () => {
    const d = workload('Deployment', 'good', {
      containers: [
        app({ ports: [{ containerPort: 80 }], securityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } } }),
      ],
    });
    const done = await h.run(applyBody('Deployment', 'good', d));
    expect(done.state, done.message ?? '').toBe('succeeded');
    const live = await apps.readNamespacedDeployment({ namespace: ns, name: 'good' });
    expect(live.spec?.template.spec?.containers[0]?.securityContext?.capabilities?.add).toEqual(['NET_BIND_SERVICE']);
  });

  it('the agent refuses on its own a command that reached it without the hub check, in the same words, and creates nothing', async () => {
    // As if the hub's check had a bug: store and dispatch a command straight through the command service.
    const cluster = await h.p.hub.clusters.get(h.p.cluster);
    if (!cluster) throw new Error('no cluster');
    const pod = workload('Pod', 'sneaky', { containers: [app({ securityContext: { privileged: true } })] });
    const req: ActionRequest = { ...applyBody('Pod', 'sneaky', pod), dryRun: false };
    const cmd = await h.p.hub.commands.create('intruder', cluster, req, req.params, {
      podSecurity: 'baseline',
      secretReferences: false,
    });
    await h.p.hub.link.dispatchOutstanding(h.p.cluster);
    const done = await (async () => {
      for (let i = 0; i < 300; i++) {
        const c = await h.get(cmd.id);
        if (['succeeded', 'failed', 'rejected', 'expired'].includes(c.state)) return c;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('command did not finish');
    })();
    expect(done.state).toBe('rejected');
    expect(done.message).toBe('spec.containers[0].securityContext.privileged: baseline forbids privileged containers');
    await expect(core.readNamespacedPod({ namespace: ns, name: 'sneaky' })).rejects.toMatchObject({ code: 404 });
  });

  describe('Secret and ServiceAccount references need action:apply:secrets', () => {
    const withSecrets = (name: string) =>
      workload('Deployment', name, {
        containers: [app({ envFrom: [{ secretRef: { name: 'db-credentials', optional: true } }] })],
        volumes: [{ name: 'tls', secret: { secretName: 'tls', optional: true } }],
      });

    it('refuses an operator, naming the first reference, and creates nothing', async () => {
      const res = await h.post(applyBody('Deployment', 'op-secrets', withSecrets('op-secrets')));
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(
        'spec.template.spec.volumes[0].secret: mounting Secret "tls" needs the action:apply:secrets permission',
      );
      expect((res.body.issues as unknown[]).length).toBe(2);
      const sa = await h.post(
        applyBody('Pod', 'op-sa', workload('Pod', 'op-sa', { serviceAccountName: 'deployer', containers: [app()] })),
      );
      expect(sa.body.message).toBe(
        'spec.serviceAccountName: running as ServiceAccount "deployer" needs the action:apply:secrets permission',
      );
      expect((await objectsIn(ns)).Deployment).not.toContain('op-secrets');
      expect((await objectsIn(ns)).Pod).not.toContain('op-sa');
    });

    it('allows an account-admin', async () => {
      const res = await admin(
        'POST',
        `/api/v1/clusters/${h.p.cluster}/actions`,
        applyBody('Deployment', 'admin-secrets', withSecrets('admin-secrets')),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const done = await (async () => {
        for (let i = 0; i < 300; i++) {
          const c = await h.get(String(res.body.id));
          if (['succeeded', 'failed', 'rejected', 'expired'].includes(c.state)) return c;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error('command did not finish');
      })();
      expect(done.state, done.message ?? '').toBe('succeeded');
      const live = await apps.readNamespacedDeployment({ namespace: ns, name: 'admin-secrets' });
      expect(live.spec?.template.spec?.volumes?.[0]?.secret?.secretName).toBe('tls');
    });
  });

  describe('the per-cluster level', () => {
    const level = (body: unknown) => admin('PUT', `/api/v1/clusters/${h.p.cluster}/pod-security`, body);

    it('is baseline by default, changed only by an admin, validated and audited', async () => {
      expect((await admin('GET', `/api/v1/clusters/${h.p.cluster}`)).body.podSecurity).toBe('baseline');
      const byOperator = await fetch(`${h.p.url}/api/v1/clusters/${h.p.cluster}/pod-security`, {
        method: 'PUT',
        headers: { ...(await operatorHeaders()), 'content-type': 'application/json' },
        body: JSON.stringify({ level: 'privileged' }),
      });
      expect(byOperator.status).toBe(403);
      const bad = await level({ level: 'lenient' });
      expect(bad.status).toBe(400);
      expect(String(bad.body.message)).toContain('level');
      expect((await admin('GET', `/api/v1/clusters/${h.p.cluster}`)).body.podSecurity).toBe('baseline');
      expect(
        (await admin('PUT', '/api/v1/clusters/no-such-cluster/pod-security', { level: 'restricted' })).status,
      ).toBe(404);

      const ok = await level({ level: 'restricted' });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ cluster: h.p.cluster, podSecurity: 'restricted', previous: 'baseline' });
      const audit = await h.p.hub.audit.query({ action: 'cluster.pod-security', limit: 10 });
      expect(audit.items[0]).toMatchObject({
        actor: adminName,
        cluster: h.p.cluster,
        outcome: 'succeeded',
        detail: { from: 'baseline', to: 'restricted' },
      });
    });

    it('restricted refuses an ordinary pod; privileged lets a privileged pod through', async () => {
      await level({ level: 'restricted' });
      const plain = await h.post(applyBody('Pod', 'plain', workload('Pod', 'plain', { containers: [app()] })));
      expect(plain.status).toBe(400);
      expect(plain.body.message).toBe(
        'spec.containers[0].securityContext.allowPrivilegeEscalation: restricted requires allowPrivilegeEscalation: false',
      );
      expect(plain.body.podSecurity).toBe('restricted');

      await level({ level: 'privileged' });
      const priv = workload('Pod', 'priv', { containers: [app({ securityContext: { privileged: true } })] });
      const done = await h.run(applyBody('Pod', 'priv', priv));
      expect(done.state, done.message ?? '').toBe('succeeded');
      const live = await core.readNamespacedPod({ namespace: ns, name: 'priv' });
      expect(live.spec?.containers[0]?.securityContext?.privileged).toBe(true);
      await level({ level: 'baseline' });
    });
  });

  it('refuses a target.namespace that is not a DNS label with a 400 naming it', async () => {
    for (const bad of ['Team-A', 'team_a', '-team', 'a'.repeat(64), '../kube-system']) {
      const res = await h.post({
        action: 'scale',
        target: { kind: 'Deployment', namespace: bad, name: 'x' },
        params: { replicas: 1 },
      });
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
      expect(String(res.body.message)).toMatch(/^body\.target\.namespace: must be a namespace name/);
    }
  });

  // The harness's operator token, for the one request the operator makes outside h.post.
  async function operatorHeaders(): Promise<Record<string, string>> {
    const op = await addUser(h.p.hub, { bindings: [{ role: 'operator' }] });
    return bearer(op.token);
  }
});
