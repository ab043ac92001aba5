// The Helm chart, linted and rendered with the pinned helm for the documented
// value combinations; assertions on the manifests a cluster would receive.
// (Integration project: it needs the pinned helm binary the cluster build provides.)
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { binaryPaths, kubectl } from '@wheelhouse/test-cluster';
import { testNamespace } from '@wheelhouse/test-cluster/testing';
import { parse, parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { OWN_KEYS_MATCH_CONDITION } from '../src/webhook-config.js';

const run = promisify(execFile);
const CHART = fileURLToPath(new URL('../../../deploy/helm/exec-guard', import.meta.url));

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [k: string]: unknown;
}

interface Webhook {
  name: string;
  failurePolicy: string;
  sideEffects: string;
  timeoutSeconds: number;
  clientConfig: { service: { name: string; namespace: string; path: string; port: number }; caBundle?: string };
  rules: { operations: string[]; resources: string[] }[];
  namespaceSelector: { matchExpressions: { key: string; operator: string; values: string[] }[] };
  objectSelector?: { matchExpressions: { key: string; operator: string }[] };
  matchConditions?: { name: string; expression: string }[];
}

let helm: string;

async function template(set: string[] = []): Promise<Manifest[]> {
  const { stdout } = await run(helm, [
    'template',
    'eg',
    CHART,
    '--namespace',
    'wheelhouse',
    ...set.flatMap((s) => ['--set', s]),
  ]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const one = (ms: Manifest[], kind: string, name?: string): Manifest => {
  const m = ms.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!m) throw new Error(`no ${kind} ${name ?? ''} rendered`);
  return m;
};

const container = (ms: Manifest[]): Record<string, unknown> & { env: { name: string; value?: string }[] } => {
  const d = one(ms, 'Deployment') as unknown as {
    spec: {
      template: { spec: { containers: (Record<string, unknown> & { env: { name: string; value?: string }[] })[] } };
    };
  };
  const c = d.spec.template.spec.containers[0];
  if (!c) throw new Error('no container');
  return c;
};
const env = (ms: Manifest[], name: string): string | undefined => container(ms).env.find((e) => e.name === name)?.value;
const webhooks = (ms: Manifest[]): Webhook[] =>
  (one(ms, 'ValidatingWebhookConfiguration') as unknown as { webhooks: Webhook[] }).webhooks;

describe('helm chart deploy/helm/exec-guard', () => {
  beforeAll(async () => {
    helm = (await binaryPaths()).helm;
  });

  it('lints cleanly for each certificate mode', async () => {
    for (const set of [
      [],
      ['certificate.mode=certManager'],
      [
        'certificate.mode=existingSecret',
        'certificate.existingSecret.name=tls',
        'certificate.existingSecret.caBundle=Y2E=',
      ],
    ]) {
      const { stdout } = await run(helm, ['lint', CHART, ...set.flatMap((s) => ['--set', s])]);
      expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it('renders a 2-replica Deployment with probes, a locked-down securityContext and the journal on an emptyDir', async () => {
    const ms = await template();
    expect(new Set(ms.map((m) => m.kind))).toEqual(
      new Set([
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'Role',
        'RoleBinding',
        'Service',
        'Deployment',
        'PodDisruptionBudget',
        'Secret',
        'ValidatingWebhookConfiguration',
      ]),
    );
    const d = one(ms, 'Deployment') as unknown as {
      spec: {
        replicas: number;
        template: {
          spec: Record<string, unknown> & {
            volumes: { name: string; emptyDir?: unknown; secret?: { secretName: string } }[];
          };
        };
      };
    };
    expect(d.spec.replicas).toBe(2);
    const c = container(ms);
    expect(c.args).toEqual(['exec-guard']);
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/health/liveness', port: 'https', scheme: 'HTTPS' } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/health/readiness', port: 'https', scheme: 'HTTPS' } });
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(d.spec.template.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(d.spec.template.spec.volumes.find((v) => v.name === 'data')?.emptyDir).toBeDefined();
    expect(d.spec.template.spec.volumes.find((v) => v.name === 'tls')?.secret?.secretName).toBe('eg-exec-guard-tls');
    expect(env(ms, 'EXEC_GUARD_TTL_SECONDS')).toBe('600');
    expect(env(ms, 'EXEC_GUARD_DATA_DIR')).toBe('/var/lib/exec-guard');
    expect(env(ms, 'EXEC_GUARD_NAMESPACE_ALLOWLIST')).toBe('kube-system');
    expect(one(ms, 'PodDisruptionBudget')).toMatchObject({ spec: { minAvailable: 1 } });
  });

  it('grants exactly what exec guard uses: pods, evictions (no delete), events, its Lease', async () => {
    const ms = await template();
    const rules = (
      one(ms, 'ClusterRole') as unknown as { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }
    ).rules;
    expect(rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] },
      { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'get', 'patch'] },
      { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
    ]);
    expect(rules.flatMap((r) => r.verbs)).not.toContain('delete');
    const role = one(ms, 'Role') as unknown as { metadata: { namespace: string }; rules: unknown[] };
    expect(role.metadata.namespace).toBe('wheelhouse');
    expect(role.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
    ]);
    expect(one(ms, 'ClusterRoleBinding')).toMatchObject({
      subjects: [{ kind: 'ServiceAccount', name: 'eg-exec-guard', namespace: 'wheelhouse' }],
    });
  });

  it('registers the hooks (CONNECT exec/attach, CREATE/UPDATE of pods with exec guard keys, kubectl debug) with failurePolicy Fail and the generated CA', async () => {
    const ms = await template();
    const [connect, update, debug] = webhooks(ms);
    expect(connect?.rules).toEqual([
      {
        operations: ['CONNECT'],
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods/exec', 'pods/attach'],
        scope: 'Namespaced',
      },
    ]);
    expect(connect?.clientConfig.service).toEqual({
      name: 'eg-exec-guard',
      namespace: 'wheelhouse',
      port: 443,
      path: '/validate/connect',
    });
    expect(update?.rules[0]).toMatchObject({ operations: ['CREATE', 'UPDATE'], resources: ['pods'] });
    expect(update?.clientConfig.service.path).toBe('/validate/pods');
    // The same CEL filter as the webhook configuration exec guard registers itself.
    expect(update?.objectSelector).toBeUndefined();
    expect(update?.matchConditions).toEqual([
      { name: 'carries-exec-guard-keys', expression: OWN_KEYS_MATCH_CONDITION },
    ]);
    expect(debug?.rules).toEqual([
      {
        operations: ['UPDATE'],
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods/ephemeralcontainers'],
        scope: 'Namespaced',
      },
    ]);
    expect(debug?.clientConfig.service.path).toBe('/validate/debug');
    for (const w of [connect, update, debug]) {
      expect(w?.failurePolicy).toBe('Fail');
      expect(w?.sideEffects).toBe('NoneOnDryRun');
      expect(w?.namespaceSelector.matchExpressions).toEqual([
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['wheelhouse', 'kube-system'] },
      ]);
      const secret = one(ms, 'Secret', 'eg-exec-guard-tls') as unknown as { data: Record<string, string> };
      expect(w?.clientConfig.caBundle).toBe(secret.data['ca.crt']);
      expect(Buffer.from(secret.data['tls.crt'] ?? '', 'base64').toString()).toContain('BEGIN CERTIFICATE');
    }
  });

  it('maps TTL, allowlist, port-forward and failurePolicy Ignore', async () => {
    const ms = await template([
      'ttlSeconds=120',
      'namespaceAllowlist={kube-system,ops}',
      'portForward=true',
      'webhook.failurePolicy.connect=Ignore',
      'webhook.failurePolicy.update=Ignore',
      'watchNamespaces={shop}',
    ]);
    expect(env(ms, 'EXEC_GUARD_TTL_SECONDS')).toBe('120');
    expect(env(ms, 'EXEC_GUARD_NAMESPACE_ALLOWLIST')).toBe('kube-system,ops');
    expect(env(ms, 'EXEC_GUARD_PORT_FORWARD')).toBe('true');
    expect(env(ms, 'EXEC_GUARD_NAMESPACES')).toBe('shop');
    const [connect, update] = webhooks(ms);
    expect(connect?.failurePolicy).toBe('Ignore');
    expect(update?.failurePolicy).toBe('Ignore');
    expect(connect?.rules[0]?.resources).toEqual(['pods/exec', 'pods/attach', 'pods/portforward']);
    expect(connect?.namespaceSelector.matchExpressions).toEqual([
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['wheelhouse', 'kube-system', 'ops'] },
      { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['shop'] },
    ]);
  });

  it('uses cert-manager when asked: a Certificate, CA injection, no generated Secret', async () => {
    const ms = await template(['certificate.mode=certManager']);
    expect(ms.some((m) => m.kind === 'Secret' && m.metadata.name === 'eg-exec-guard-tls')).toBe(false);
    expect(one(ms, 'Certificate')).toMatchObject({
      spec: {
        secretName: 'eg-exec-guard-tls',
        dnsNames: ['eg-exec-guard.wheelhouse.svc', 'eg-exec-guard.wheelhouse.svc.cluster.local'],
        issuerRef: { name: 'eg-exec-guard-selfsigned', kind: 'Issuer' },
      },
    });
    expect(one(ms, 'Issuer')).toMatchObject({ spec: { selfSigned: {} } });
    const vwc = one(ms, 'ValidatingWebhookConfiguration');
    expect(vwc.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe('wheelhouse/eg-exec-guard');
    expect(webhooks(ms).every((w) => w.clientConfig.caBundle === undefined)).toBe(true);
    const withIssuer = await template([
      'certificate.mode=certManager',
      'certificate.certManager.issuerRef.name=corp-ca',
      'certificate.certManager.issuerRef.kind=ClusterIssuer',
    ]);
    expect(withIssuer.some((m) => m.kind === 'Issuer')).toBe(false);
    expect(one(withIssuer, 'Certificate')).toMatchObject({
      spec: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' } },
    });
  });

  it('uses an existing Secret with its CA, and refuses incomplete or invalid values with a clear message', async () => {
    const ms = await template([
      'certificate.mode=existingSecret',
      'certificate.existingSecret.name=my-tls',
      'certificate.existingSecret.caBundle=Y2E=',
    ]);
    expect(ms.some((m) => m.kind === 'Secret' && m.metadata.name === 'eg-exec-guard-tls')).toBe(false);
    expect(webhooks(ms).map((w) => w.clientConfig.caBundle)).toEqual(['Y2E=', 'Y2E=', 'Y2E=']);
    const d = one(ms, 'Deployment') as unknown as {
      spec: { template: { spec: { volumes: { name: string; secret?: { secretName: string } }[] } } };
    };
    expect(d.spec.template.spec.volumes.find((v) => v.name === 'tls')?.secret?.secretName).toBe('my-tls');
    await expect(
      template(['certificate.mode=existingSecret', 'certificate.existingSecret.caBundle=Y2E=']),
    ).rejects.toThrow(/certificate.existingSecret.name is required/);
    await expect(
      template(['certificate.mode=existingSecret', 'certificate.existingSecret.name=my-tls']),
    ).rejects.toThrow(/certificate.existingSecret.caBundle is required/);
    await expect(template(['webhook.failurePolicy.connect=Maybe'])).rejects.toThrow(
      /webhook.failurePolicy.connect must be Fail or Ignore/,
    );
    await expect(template(['certificate.mode=vault'])).rejects.toThrow(/certificate.mode must be/);
  });

  it('authenticates the API server by default: a generated client CA and certificate, only the CA mounted in exec guard', async () => {
    const ms = await template();
    const secret = one(ms, 'Secret', 'eg-exec-guard-apiserver-client') as unknown as {
      data: Record<string, string>;
    };
    const b64 = (k: string): string => Buffer.from(secret.data[k] ?? '', 'base64').toString();
    const ca = new X509Certificate(b64('ca.crt'));
    const client = new X509Certificate(b64('tls.crt'));
    expect(client.checkIssued(ca)).toBe(true);
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(client.subject).toBe('CN=kube-apiserver-admission');
    expect(client.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // TLS client authentication
    // Ready for the control plane: the kubeconfig names the webhook's service host, the AdmissionConfiguration points at it.
    const kubeconfig = parse(b64('webhook-kubeconfig.yaml')) as {
      users: { name: string; user: Record<string, string> }[];
    };
    expect(kubeconfig.users.map((u) => u.name)).toEqual(['eg-exec-guard.wheelhouse.svc:443']);
    expect(Buffer.from(kubeconfig.users[0]?.user['client-certificate-data'] ?? '', 'base64').toString()).toBe(
      b64('tls.crt'),
    );
    expect(parse(b64('admission-config.yaml'))).toEqual({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'AdmissionConfiguration',
      plugins: [
        {
          name: 'ValidatingAdmissionWebhook',
          configuration: {
            apiVersion: 'apiserver.config.k8s.io/v1',
            kind: 'WebhookAdmissionConfiguration',
            kubeConfigFile: '/etc/kubernetes/exec-guard/webhook-kubeconfig.yaml',
          },
        },
      ],
    });
    expect(env(ms, 'EXEC_GUARD_CLIENT_CA')).toBe('/etc/exec-guard/client-ca/ca.crt');
    expect(env(ms, 'EXEC_GUARD_CLIENT_NAMES')).toBe('kube-apiserver-admission');
    expect(env(ms, 'EXEC_GUARD_ALLOW_UNAUTHENTICATED_CALLERS')).toBeUndefined();
    const d = one(ms, 'Deployment') as unknown as {
      spec: { template: { spec: { volumes: { name: string; secret?: { secretName: string; items?: unknown } }[] } } };
    };
    // The API server's private key never reaches exec guard's pods.
    expect(d.spec.template.spec.volumes.find((v) => v.name === 'client-ca')?.secret).toEqual({
      secretName: 'eg-exec-guard-apiserver-client',
      items: [{ key: 'ca.crt', path: 'ca.crt' }],
    });

    const existing = await template(['apiServerAuth.mode=existingSecret', 'apiServerAuth.existingSecret.name=corp-ca']);
    expect(existing.some((m) => m.metadata.name === 'eg-exec-guard-apiserver-client')).toBe(false);
    const dx = one(existing, 'Deployment') as unknown as typeof d;
    expect(dx.spec.template.spec.volumes.find((v) => v.name === 'client-ca')?.secret?.secretName).toBe('corp-ca');

    const none = await template(['apiServerAuth.mode=none']);
    expect(env(none, 'EXEC_GUARD_ALLOW_UNAUTHENTICATED_CALLERS')).toBe('true');
    expect(env(none, 'EXEC_GUARD_CLIENT_CA')).toBeUndefined();
    expect(none.some((m) => m.metadata.name === 'eg-exec-guard-apiserver-client')).toBe(false);
    await expect(template(['apiServerAuth.mode=existingSecret'])).rejects.toThrow(
      /apiServerAuth.existingSecret.name is required/,
    );
    await expect(template(['apiServerAuth.mode=trust-me'])).rejects.toThrow(
      /apiServerAuth.mode must be selfSigned, existingSecret or none, got "trust-me"/,
    );
  });

  it('ships a NetworkPolicy that lets only the API server reach the hooks, and refuses to guess the networks', async () => {
    expect((await template()).some((m) => m.kind === 'NetworkPolicy')).toBe(false);
    await expect(template(['networkPolicy.enabled=true'])).rejects.toThrow(
      /networkPolicy.enabled needs networkPolicy.apiServerCIDRs .* or networkPolicy.podCIDRs/,
    );
    const byApi = one(
      await template(['networkPolicy.enabled=true', 'networkPolicy.apiServerCIDRs={10.0.0.10/32,10.0.0.11/32}']),
      'NetworkPolicy',
    );
    expect(byApi).toMatchObject({
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'exec-guard', 'app.kubernetes.io/instance': 'eg' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            ports: [{ port: 'https', protocol: 'TCP' }],
            from: [{ ipBlock: { cidr: '10.0.0.10/32' } }, { ipBlock: { cidr: '10.0.0.11/32' } }],
          },
        ],
      },
    });
    const byPods = one(
      await template([
        'networkPolicy.enabled=true',
        'networkPolicy.podCIDRs={10.244.0.0/16,fd00:10:244::/56}',
        'networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team=monitoring',
      ]),
      'NetworkPolicy',
    ) as unknown as { spec: { ingress: { from: unknown[] }[] } };
    expect(byPods.spec.ingress[0]?.from).toEqual([
      { ipBlock: { cidr: '0.0.0.0/0', except: ['10.244.0.0/16'] } },
      { ipBlock: { cidr: '::/0', except: ['fd00:10:244::/56'] } },
    ]);
    expect(byPods.spec.ingress[1]?.from).toEqual([{ namespaceSelector: { matchLabels: { team: 'monitoring' } } }]);
  });

  it('maps kubectl debug, the extension caps, the per-user rate and the journal bound', async () => {
    const ms = await template();
    expect(env(ms, 'EXEC_GUARD_NO_DEBUG_CONTAINERS')).toBeUndefined();
    expect(env(ms, 'EXEC_GUARD_MAX_EXTENSION')).toBe('2h');
    expect(env(ms, 'EXEC_GUARD_MAX_TOTAL_EXTENSION')).toBe('24h');
    expect(env(ms, 'EXEC_GUARD_RATE_PER_USER')).toBe('5');
    expect(env(ms, 'EXEC_GUARD_RATE_BURST')).toBe('50');
    expect(env(ms, 'EXEC_GUARD_JOURNAL_MAX_BYTES')).toBe('16777216');
    const off = await template([
      'debugContainers=false',
      'extensions.max=30m',
      'extensions.maxTotal=4h',
      'rateLimit.perSecond=1',
      'rateLimit.burst=5',
    ]);
    expect(env(off, 'EXEC_GUARD_NO_DEBUG_CONTAINERS')).toBe('true');
    expect(env(off, 'EXEC_GUARD_MAX_EXTENSION')).toBe('30m');
    expect(webhooks(off).map((w) => w.name)).toEqual([
      'connect.exec-guard.wheelhouse.dev',
      'pods.exec-guard.wheelhouse.dev',
    ]);
  });

  it('renders objects the real API server accepts (server-side dry run: the CEL matchCondition compiles)', async () => {
    const ns = await testNamespace('eg-chart');
    const { stdout } = await run(helm, [
      'template',
      'eg',
      CHART,
      '--namespace',
      ns,
      '--set',
      'networkPolicy.enabled=true',
      '--set',
      'networkPolicy.podCIDRs={10.244.0.0/16}',
      '--show-only',
      'templates/webhook.yaml',
      '--show-only',
      'templates/networkpolicy.yaml',
      '--show-only',
      'templates/apiserver-client.yaml',
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'eg-chart-'));
    const file = join(dir, 'rendered.yaml');
    await writeFile(file, stdout);
    try {
      const r = await kubectl(['apply', '--dry-run=server', '-f', file]);
      expect(r.stdout).toContain(
        'validatingwebhookconfiguration.admissionregistration.k8s.io/eg-exec-guard created (server dry run)',
      );
      expect(r.stdout).toContain('networkpolicy.networking.k8s.io/eg-exec-guard created (server dry run)');
      expect(r.stdout).toContain('secret/eg-exec-guard-apiserver-client created (server dry run)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
