// The agent Helm chart: lint and template for every tier combination, the
// rendered ClusterRole equal to the catalog's rules (the nodeShell tier: its
// namespace and Role only when on, nothing cluster-wide), and the rendered RBAC
// applied to the real cluster, where the API server's authorizer and the
// agent's own self-check agree with it (the nodeShell tier's Role too: pods and
// pods/exec in its namespace, nothing in another nor cluster-wide).
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionList, type PortForwardAgentMessage } from '@wheelhouse/protocol';
import {
  agentPermissions,
  agentRbacRules,
  describePermission,
  impersonationRbacRules,
  nodeShellRbacRules,
  onBehalfOfRbacRules,
  type TierSwitches,
} from '@wheelhouse/protocol/rbac';
import { binaryPaths, kubectl } from '@wheelhouse/test-cluster';
import { eventually, kubeConfig, testNamespace } from '@wheelhouse/test-cluster/testing';
import { checkActionPermissions } from '../src/permissions.js';
import { AgentPortForwards } from '../src/reads/port-forwards.js';

const run = promisify(execFile);
const CHART = fileURLToPath(new URL('../../../deploy/helm/wheelhouse-agent', import.meta.url));
const COMBOS: TierSwitches[] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({
  basic: (i & 1) !== 0,
  advanced: (i & 2) !== 0,
  podExec: (i & 4) !== 0,
}));
const label = (t: TierSwitches): string => `basic=${t.basic} advanced=${t.advanced} podExec=${t.podExec}`;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  rules?: k8s.V1PolicyRule[];
  subjects?: k8s.RbacV1Subject[];
  roleRef?: k8s.V1RoleRef;
  spec?: { template: { spec: k8s.V1PodSpec } };
  stringData?: Record<string, string>;
}

let helm = '';
const setArgs = (values: Record<string, string | boolean>): string[] =>
  Object.entries(values).flatMap(([k, v]) => ['--set', `${k}=${String(v)}`]);
async function template(
  release: string,
  namespace: string,
  set: Record<string, string | boolean>,
): Promise<Manifest[]> {
  const args = ['template', release, CHART, '--namespace', namespace, ...setArgs(set)];
  const { stdout } = await run(helm, args, { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
}
const tierValues = (t: TierSwitches): Record<string, boolean> => ({
  'actions.basic': t.basic,
  'actions.advanced': t.advanced,
  'actions.podExec': t.podExec,
});
const required = { 'hub.url': 'https://wheelhouse.example.com', 'hub.tokenSecret.name': 'agent-token' };

beforeAll(async () => {
  helm = (await binaryPaths()).helm;
});

describe('helm lint and template, every tier combination', () => {
  it.each(COMBOS.map((t) => [label(t), t] as const))('%s', async (_name, t) => {
    const values = { ...required, ...tierValues(t) };
    const lint = await run(helm, ['lint', CHART, '--strict', ...setArgs(values)]);
    expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');

    const docs = await template('wh', 'wheelhouse', values);
    // With shells on, the on-behalf-of roles too (exec guard names the person behind a Wheelhouse shell).
    expect(docs.map((d) => d.kind).sort()).toEqual(
      t.podExec
        ? [
            'ClusterRole',
            'ClusterRole',
            'ClusterRoleBinding',
            'ClusterRoleBinding',
            'Deployment',
            'Role',
            'RoleBinding',
            'ServiceAccount',
          ]
        : ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'ServiceAccount'],
    );
    const role = docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'wh-wheelhouse-agent');
    // Exactly the catalog's rules: nothing more, nothing less.
    expect(role?.rules).toEqual(agentRbacRules(t));
    for (const r of role?.rules ?? [])
      expect(r.resources?.some((res) => res === '*' || res.startsWith('secrets'))).toBe(false);
    const binding = docs.find((d) => d.kind === 'ClusterRoleBinding' && d.metadata.name === 'wh-wheelhouse-agent');
    expect(binding?.roleRef?.name).toBe(role?.metadata.name);
    if (t.podExec) {
      expect(docs.find((d) => d.metadata.name === 'wh-wheelhouse-agent-on-behalf-of')?.rules).toEqual(
        onBehalfOfRbacRules(),
      );
      // Impersonating itself only: its own ServiceAccount, by name, in its namespace.
      expect(docs.find((d) => d.kind === 'Role')).toMatchObject({
        metadata: { name: 'wh-wheelhouse-agent-self', namespace: 'wheelhouse' },
        rules: [
          {
            apiGroups: [''],
            resources: ['serviceaccounts'],
            resourceNames: ['wh-wheelhouse-agent'],
            verbs: ['impersonate'],
          },
        ],
      });
    }
    expect(binding?.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'wh-wheelhouse-agent', namespace: 'wheelhouse' },
    ]);

    const pod = docs.find((d) => d.kind === 'Deployment')?.spec?.template.spec;
    const c = pod?.containers[0];
    expect(pod?.serviceAccountName).toBe('wh-wheelhouse-agent');
    expect(pod?.securityContext?.runAsNonRoot).toBe(true);
    expect(c?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c?.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c?.readinessProbe?.httpGet?.path).toBe('/readyz');
    const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.secretKeyRef?.name]));
    const tiers = (['basic', 'advanced', 'podExec'] as const).filter((k) => t[k]);
    expect(env.WHEELHOUSE_TIERS).toBe(tiers.length ? tiers.join(',') : 'none');
    expect(env.WHEELHOUSE_AGENT_TOKEN).toBe('agent-token');
    expect(env.WHEELHOUSE_HUB_URL).toBe('https://wheelhouse.example.com');
    expect(env.WHEELHOUSE_IMPERSONATE).toBeUndefined();
  });
});

describe('helm lint and template, the nodeShell tier', () => {
  // What a user relies on: node shells add a namespace that admits privileged pods and a Role in it only when
  // asked for, nothing cluster-wide, and the agent is told the tier and the namespace.
  const cases: { name: string; t: TierSwitches; on: boolean }[] = [
    { name: 'off', t: { basic: true, advanced: false, podExec: false }, on: false },
    { name: 'on, alone', t: { basic: false, advanced: false, podExec: false }, on: true },
    { name: 'on, with basic and podExec', t: { basic: true, advanced: false, podExec: true }, on: true },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { t } = c;
    const values = {
      ...required,
      ...tierValues(t),
      ...(c.on ? { 'actions.nodeShell': true } : {}),
      'nodeShell.namespace': 'ops-node-shells',
    };
    const lint = await run(helm, ['lint', CHART, '--strict', ...setArgs(values)]);
    expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    const docs = await template('wh', 'wheelhouse', values);
    const inNodeShellNs = docs.filter(
      (d) =>
        d.metadata.namespace === 'ops-node-shells' || (d.kind === 'Namespace' && d.metadata.name === 'ops-node-shells'),
    );
    const env = Object.fromEntries(
      (docs.find((d) => d.kind === 'Deployment')?.spec?.template.spec.containers[0]?.env ?? []).map((e) => [
        e.name,
        e.value,
      ]),
    );
    // Node shells change nothing cluster-wide: the ClusterRole is the other tiers' rules exactly.
    expect(docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'wh-wheelhouse-agent')?.rules).toEqual(
      agentRbacRules(t),
    );
    if (!c.on) {
      expect(inNodeShellNs).toEqual([]);
      expect(String(env.WHEELHOUSE_TIERS)).not.toContain('nodeShell');
      expect(env.WHEELHOUSE_NODE_SHELL_NAMESPACE).toBeUndefined();
      return;
    }
    expect(inNodeShellNs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'Namespace/ops-node-shells',
      'Role/wh-wheelhouse-agent-node-shell',
      'RoleBinding/wh-wheelhouse-agent-node-shell',
    ]);
    const ns = inNodeShellNs.find((d) => d.kind === 'Namespace') as unknown as {
      metadata: { labels: Record<string, string> };
    };
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(inNodeShellNs.find((d) => d.kind === 'Role')?.rules).toEqual(nodeShellRbacRules());
    expect(inNodeShellNs.find((d) => d.kind === 'RoleBinding')).toMatchObject({
      roleRef: { kind: 'Role', name: 'wh-wheelhouse-agent-node-shell' },
      subjects: [{ kind: 'ServiceAccount', name: 'wh-wheelhouse-agent', namespace: 'wheelhouse' }],
    });
    const tiers = [...(['basic', 'advanced', 'podExec'] as const).filter((k) => t[k]), 'nodeShell'];
    expect(env.WHEELHOUSE_TIERS).toBe(tiers.join(','));
    expect(env.WHEELHOUSE_NODE_SHELL_NAMESPACE).toBe('ops-node-shells');
    expect(env.WHEELHOUSE_NODE_SHELL_IMAGE).toBe('busybox:1.37');
  });
});

describe('helm template values', () => {
  it('renders the impersonation role only when impersonation.enabled', async () => {
    const on = await template('wh', 'wheelhouse', {
      ...required,
      'impersonation.enabled': true,
      'impersonation.userPrefix': 'oidc:',
      'impersonation.idpGroups': '{sre,oncall}',
    });
    const roles = on.filter((d) => d.kind === 'ClusterRole');
    expect(roles.map((r) => r.metadata.name)).toEqual(['wh-wheelhouse-agent', 'wh-wheelhouse-agent-impersonate']);
    // Any user; exactly the configured groups (the fixed ones and the IdP groups passed on).
    expect(roles[1]?.rules).toEqual([
      ...impersonationRbacRules(),
      {
        apiGroups: [''],
        resources: ['groups'],
        resourceNames: ['wheelhouse:users', 'sre', 'oncall'],
        verbs: ['impersonate'],
      },
    ]);
    expect(on.filter((d) => d.kind === 'ClusterRoleBinding').map((b) => b.roleRef?.name)).toEqual([
      'wh-wheelhouse-agent',
      'wh-wheelhouse-agent-impersonate',
    ]);
    const env = on.find((d) => d.kind === 'Deployment')?.spec?.template.spec.containers[0]?.env ?? [];
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'WHEELHOUSE_IMPERSONATE', value: 'true' },
        { name: 'WHEELHOUSE_IMPERSONATE_USER_PREFIX', value: 'oidc:' },
        { name: 'WHEELHOUSE_IMPERSONATE_GROUPS', value: 'wheelhouse:users' },
        { name: 'WHEELHOUSE_IMPERSONATE_IDP_GROUPS', value: 'sre,oncall' },
      ]),
    );
    // Off (the default): no impersonating users or groups; with shells on, only itself with the on-behalf-of extra.
    const off = await template('wh', 'wheelhouse', {
      ...required,
      'actions.basic': true,
      'actions.advanced': true,
      'actions.podExec': true,
    });
    const impersonating = off
      .flatMap((d) => d.rules ?? [])
      .filter((r) => r.verbs.includes('impersonate'))
      .map((r) => ({ resources: r.resources, resourceNames: r.resourceNames }));
    expect(impersonating).toEqual([
      { resources: ['userextras/wheelhouse.dev/on-behalf-of'], resourceNames: undefined },
      { resources: ['serviceaccounts'], resourceNames: ['wh-wheelhouse-agent'] },
    ]);
    // With impersonation on, the on-behalf-of roles are not rendered (the person is the identity).
    expect(on.some((d) => d.metadata.name.endsWith('-on-behalf-of'))).toBe(false);
  });

  it("runs the agent with the chart's nodeOptions (an 8 MB young generation), or none when emptied", async () => {
    const envOf = async (set: Record<string, string | boolean>) =>
      (await template('wh', 'wheelhouse', { ...required, ...set })).find((d) => d.kind === 'Deployment')?.spec?.template
        .spec.containers[0]?.env ?? [];
    expect(await envOf({})).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-semi-space-size=8' });
    expect((await envOf({ nodeOptions: '' })).map((e) => e.name)).not.toContain('NODE_OPTIONS');
  });

  it('creates the token Secret from hub.token, and refuses to render without a token or a hub URL', async () => {
    const docs = await template('wh', 'wheelhouse', { 'hub.url': 'https://h', 'hub.token': 's3cret' });
    const secret = docs.find((d) => d.kind === 'Secret');
    expect(secret?.metadata.name).toBe('wh-wheelhouse-agent-token');
    expect(secret?.stringData).toEqual({ token: 's3cret' });
    await expect(template('wh', 'wheelhouse', { 'hub.url': 'https://h' })).rejects.toThrow(/hub.tokenSecret.name/);
    await expect(template('wh', 'wheelhouse', { 'hub.token': 'x' })).rejects.toThrow(/hub.url is required/);
  });

  it('accepts tier switches given as strings (--set-string) like booleans', async () => {
    const { stdout } = await run(helm, [
      'template',
      'wh',
      CHART,
      '--set',
      'hub.url=https://h,hub.token=x',
      '--set-string',
      'actions.basic=true',
    ]);
    const role = parseAllDocuments(stdout)
      .map((d) => d.toJS() as Manifest)
      .find((d) => d.kind === 'ClusterRole');
    expect(role?.rules).toEqual(agentRbacRules({ basic: true, advanced: false, podExec: false }));
  });
});

describe('the rendered RBAC on the real cluster', () => {
  const release = `wh-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'wh-helm-'));
  let ns = '';
  const admin = kubeConfig();
  const authz = admin.makeApiClient(k8s.AuthorizationV1Api);
  const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const sa = `${release}-wheelhouse-agent`;

  const applyRbac = async (t: TierSwitches, extra: Record<string, string | boolean> = {}): Promise<void> => {
    const docs = await template(release, ns, { ...required, ...tierValues(t), ...extra });
    const file = join(dir, 'rbac.json');
    writeFileSync(
      file,
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs.filter((d) => d.kind !== 'Deployment') }),
    );
    await kubectl(['apply', '-f', file]);
  };
  const can = async (verb: string, group: string, resourcePath: string, namespace = 'default'): Promise<boolean> => {
    const [resource = '', subresource = ''] = resourcePath.split('/');
    const r = await authz.createSubjectAccessReview({
      body: {
        spec: {
          user: `system:serviceaccount:${ns}:${sa}`,
          groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
          resourceAttributes: { verb, group, resource, ...(subresource ? { subresource } : {}), namespace },
        },
      },
    });
    return r.status?.allowed === true;
  };

  beforeAll(async () => {
    ns = await testNamespace('helm-rbac');
  });
  afterAll(async () => {
    await rbac.deleteClusterRoleBinding({ name: sa }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: sa }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('basic allows scaling but not node or secret access; enabling advanced allows patching nodes; revoking takes it away', async () => {
    await applyRbac({ basic: true, advanced: false, podExec: false });
    await eventually(
      'basic RBAC in effect',
      async () => (await can('patch', 'apps', 'deployments/scale')) || undefined,
    );
    expect(await can('patch', '', 'nodes')).toBe(false);
    expect(await can('get', '', 'secrets')).toBe(false);
    expect(await can('create', '', 'pods/exec')).toBe(false);
    expect(await can('watch', 'apps', 'deployments')).toBe(true);

    await applyRbac({ basic: true, advanced: true, podExec: false });
    await eventually('advanced RBAC in effect', async () => (await can('patch', '', 'nodes')) || undefined);
    expect(await can('create', '', 'pods/eviction')).toBe(true);
    expect(await can('get', '', 'secrets')).toBe(false);

    // Revoke advanced (helm upgrade --set actions.advanced=false --reuse-values renders this).
    await applyRbac({ basic: true, advanced: false, podExec: false });
    await eventually('advanced RBAC revoked', async () => !(await can('patch', '', 'nodes')) || undefined);
    expect(await can('patch', 'apps', 'deployments/scale')).toBe(true);
  });

  it("nodeShell: the chart's ServiceAccount makes, execs into and deletes pods in the node-shell namespace only, and gains nothing cluster-wide", async () => {
    // The namespace the chart creates (privileged pods admitted there only); removed after, as testNamespace's are.
    const shellNs = `${release}-node-shells`;
    // The tier alone: the other tiers grant pod deletion (basic) and exec (podExec) cluster-wide, which would hide
    // a node-shell grant leaking out of its namespace.
    const t: TierSwitches = { basic: false, advanced: false, podExec: false };
    const inShellNs = (verb: string, resourcePath: string): Promise<boolean> => can(verb, '', resourcePath, shellNs);
    try {
      await applyRbac(t, { 'actions.nodeShell': true, 'nodeShell.namespace': shellNs });
      await eventually('the node-shell Role in effect', async () => (await inShellNs('create', 'pods')) || undefined);
      const labels = (await core.readNamespace({ name: shellNs })).metadata?.labels ?? {};
      expect(labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
      for (const [verb, resource] of [
        ['create', 'pods'],
        ['delete', 'pods'],
        ['get', 'pods'],
        ['list', 'pods'],
        ['create', 'pods/exec'],
      ] as const)
        expect(await inShellNs(verb, resource), `${verb} ${resource} in ${shellNs}`).toBe(true);
      // Nothing else there: not other pod subresources, not other resources.
      expect(await inShellNs('create', 'pods/portforward')).toBe(false);
      expect(await inShellNs('patch', 'pods')).toBe(false);
      expect(await inShellNs('get', 'secrets')).toBe(false);
      expect(await inShellNs('create', 'pods/ephemeralcontainers')).toBe(false);
      // Not in another namespace (neither the agent's own nor an application's).
      for (const other of ['default', ns])
        for (const [verb, resource] of [
          ['create', 'pods'],
          ['delete', 'pods'],
          ['create', 'pods/exec'],
        ] as const)
          expect(await can(verb, '', resource, other), `${verb} ${resource} in ${other}`).toBe(false);
      // Nothing cluster-wide beyond the other tiers: the ClusterRole in the cluster is theirs exactly, and the one
      // binding naming the node-shell Role is in the node-shell namespace.
      expect((await rbac.readClusterRole({ name: sa })).rules).toEqual(agentRbacRules(t));
      const bindings = (await rbac.listRoleBindingForAllNamespaces()).items.filter(
        (b) => b.roleRef.name === `${sa}-node-shell`,
      );
      expect(bindings.map((b) => b.metadata?.namespace)).toEqual([shellNs]);
      expect(bindings[0]?.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: ns }]);
    } finally {
      await core.deleteNamespace({ name: shellNs }).catch(() => undefined);
    }
  });

  it("the agent's self-check, run as the chart's ServiceAccount, finds the tiers it was not given", async () => {
    await applyRbac({ basic: true, advanced: false, podExec: false });
    const tr = await core.createNamespacedServiceAccountToken({
      namespace: ns,
      name: sa,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...admin.getCurrentCluster(), name: 'local' } as k8s.Cluster],
      users: [{ name: sa, token: tr.status?.token ?? '' }],
      contexts: [{ name: sa, cluster: 'local', user: sa }],
      currentContext: sa,
    });
    const granted = new Set(agentPermissions({ basic: true, advanced: false, podExec: false }).map(describePermission));
    const expected: Record<string, string[]> = {};
    for (const a of actionList()) {
      const lacking = [
        ...new Set(
          a.permissions.flatMap((p) =>
            p.verbs.map((verb) => describePermission({ apiGroup: p.apiGroup, resource: p.resource, verb })),
          ),
        ),
      ]
        .filter((p) => !granted.has(p))
        .sort();
      if (lacking.length) expected[a.id] = lacking;
    }
    // No basic action lacks anything; node actions (advanced only) do. An advanced
    // action whose rules basic already grants (force-delete-pod: delete pods) is
    // gated by the agent's tier check, not by RBAC.
    for (const a of actionList().filter((x) => x.tier === 'basic')) expect(expected[a.id], a.id).toBeUndefined();
    expect(expected.drain).toEqual(['create pods/eviction', 'patch nodes']);
    const all = { basic: true, advanced: true, podExec: true };
    const missing = await eventually('the self-check to match the rendered RBAC', async () => {
      const m = await checkActionPermissions(kc, all);
      return JSON.stringify(m) === JSON.stringify(expected) ? m : undefined;
    });
    expect(missing).toEqual(expected);
    expect(await checkActionPermissions(kc, { basic: true, advanced: false, podExec: false })).toEqual({});
  });

  it("with podExec, the chart's ServiceAccount forwards a pod's port (the upgrade needs get and create pods/portforward); without, Kubernetes refuses", async () => {
    const web = createServer((_req, res) => res.end('hello through the chart RBAC'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    try {
      await core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name: 'pf' }, spec: { containers: [{ name: 'app', image: 'registry.local/web:1' }] } },
      });
      await admin.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
        group: 'kwok.x-k8s.io',
        version: 'v1alpha1',
        namespace: ns,
        plural: 'portforwards',
        body: {
          apiVersion: 'kwok.x-k8s.io/v1alpha1',
          kind: 'PortForward',
          metadata: { name: 'pf', namespace: ns },
          spec: {
            forwards: [{ ports: [80], target: { address: '127.0.0.1', port: (web.address() as AddressInfo).port } }],
          },
        },
      });
      await eventually(
        'pod pf Running',
        async () =>
          (await core.readNamespacedPod({ namespace: ns, name: 'pf' })).status?.phase === 'Running' || undefined,
      );
      await applyRbac({ basic: true, advanced: false, podExec: true });
      await eventually(
        'portforward RBAC in effect',
        async () => (await can('create', '', 'pods/portforward')) || undefined,
      );
      const tr = await core.createNamespacedServiceAccountToken({
        namespace: ns,
        name: sa,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({
        clusters: [{ ...admin.getCurrentCluster(), name: 'local' } as k8s.Cluster],
        users: [{ name: sa, token: tr.status?.token ?? '' }],
        contexts: [{ name: sa, cluster: 'local', user: sa }],
        currentContext: sa,
      });
      /** One forwarded HTTP request as the agent makes it; the text received, or the end's message. */
      const forwardOnce = async (): Promise<string> => {
        const got: PortForwardAgentMessage[] = [];
        const pf = new AgentPortForwards({
          kc,
          log: pino({ level: 'silent' }),
          enabled: true,
          send: (m) => got.push(m) > 0,
        });
        const connId = randomUUID();
        pf.onControl({ type: 'portfwd.open', connId, namespace: ns, pod: 'pf', port: 80, user: 'u', window: 65536 });
        const first = await eventually('opened or ended', () =>
          Promise.resolve(got.find((m) => m.type === 'portfwd.opened' || m.type === 'portfwd.end')),
        );
        if (first.type === 'portfwd.end') return first.message ?? first.reason;
        const req = Buffer.from('GET / HTTP/1.0\r\n\r\n').toString('base64');
        pf.onControl({ type: 'portfwd.data', connId, data: req });
        const text = (): string =>
          got.map((m) => (m.type === 'portfwd.data' ? Buffer.from(m.data, 'base64').toString() : '')).join('');
        // The answer arrives; the connection stays open until a side closes it (here: the hub's close).
        const answer = await eventually('the answer', () =>
          Promise.resolve(text().includes('hello') ? text() : undefined),
        );
        pf.onControl({ type: 'portfwd.close', connId });
        return answer;
      };
      expect(await forwardOnce()).toContain('hello through the chart RBAC');
      await applyRbac({ basic: true, advanced: false, podExec: false });
      await eventually(
        'portforward RBAC revoked',
        async () => !(await can('get', '', 'pods/portforward')) || undefined,
      );
      expect(await forwardOnce()).toMatch(/HTTP 403/);
    } finally {
      await new Promise((r) => web.close(r));
    }
  });
});
