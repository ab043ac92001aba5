// What can be tested of the packaging without a container engine: the hub
// chart renders what it should for its documented values, and the image's
// runtime stage holds every workspace package the entrypoint needs and runs
// it as an unprivileged user.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { binaryPaths } from '@wheelhouse/test-cluster';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHART = join(ROOT, 'deploy/helm/wheelhouse');

interface Manifest {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

async function render(values: Record<string, unknown> = {}): Promise<Manifest[]> {
  const dir = mkdtempSync(join(tmpdir(), 'wh-chart-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const { helm } = await binaryPaths();
    const { stdout } = await run(helm, ['template', 'wh', CHART, '-n', 'ops', '-f', file]);
    return parseAllDocuments(stdout)
      .map((d) => d.toJS() as Manifest)
      .filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Container = {
  args: string[];
  env?: { name: string }[];
  securityContext: Record<string, unknown>;
  livenessProbe: unknown;
  readinessProbe: unknown;
};
const deploymentOf = (docs: Manifest[]) => {
  const d = docs.find((m) => m.kind === 'Deployment');
  const pod = (
    d?.spec?.template as {
      spec: {
        containers: Container[];
        securityContext: Record<string, unknown>;
        volumes: { name: string; persistentVolumeClaim?: unknown; emptyDir?: unknown }[];
      };
    }
  ).spec;
  return { d, pod, container: pod.containers[0] as Container };
};

describe('hub Helm chart', () => {
  it('lints', async () => {
    const { helm } = await binaryPaths();
    const { stdout } = await run(helm, ['lint', CHART, '--strict']);
    expect(stdout).toContain('0 chart(s) failed');
  });

  it('renders a single-replica, non-root hub with probes and a kept volume by default', async () => {
    const docs = await render();
    expect(docs.map((m) => m.kind).sort()).toEqual(['Deployment', 'PersistentVolumeClaim', 'Secret', 'Service']);
    const { d, pod, container } = deploymentOf(docs);
    expect(d?.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
    expect(container.args).toEqual([
      'hub',
      '--listen=0.0.0.0:8080',
      '--data-dir=/var/lib/wheelhouse',
      '--command-ttl=10m',
      '--log-level=info',
      '--secure-cookie=true',
      '--session-idle=8h',
      '--session-max-age=12h',
      '--token-default-days=90',
      '--token-max-days=365',
      '--one-time-password-ttl=24h',
      '--trusted-proxies=uniquelocal',
      '--default-pod-security=baseline',
      '--audit-key-file=/etc/wheelhouse/audit/audit.key',
      '--audit-anchor-file=/var/lib/wheelhouse/anchors/audit-anchor.json',
      '--audit-anchor-interval=1m',
      '--timeline-max-age=0',
      '--timeline-max-bytes=0',
      '--recordings-max-age=0',
      '--recordings-max-bytes=0',
      '--access-max-duration=8h',
      '--access-pending-ttl=24h',
    ]);
    // The audit chain's HMAC key: a Secret created once and kept, mounted read-only.
    const key = docs.find((m) => m.kind === 'Secret') as (Manifest & { data: Record<string, string> }) | undefined;
    expect(key?.metadata).toMatchObject({
      name: 'wh-wheelhouse-audit-key',
      annotations: { 'helm.sh/resource-policy': 'keep' },
    });
    expect(Buffer.from(key?.data['audit.key'] ?? '', 'base64').toString()).toMatch(/^chart-\d{8} [A-Za-z0-9]{48}\n$/);
    expect(pod.volumes.find((v) => v.name === 'audit-key')).toMatchObject({
      secret: { secretName: 'wh-wheelhouse-audit-key', defaultMode: 0o400 },
    });
    expect(container.livenessProbe).toMatchObject({ httpGet: { path: '/healthz' } });
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/readyz' } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.volumes.find((v) => v.name === 'data')?.persistentVolumeClaim).toBeDefined();
    expect(
      docs.find((m) => m.kind === 'PersistentVolumeClaim')?.metadata.annotations?.['helm.sh/resource-policy'],
    ).toBe('keep');
  });

  it('adds an ingress, an admin bootstrap secret, and can run without persistence', async () => {
    const docs = await render({
      ingress: { enabled: true, host: 'wh.example.org', tls: { enabled: true } },
      admin: { existingSecret: 'wh-admin' },
      persistence: { enabled: false },
      audit: { keySecret: 'my-audit-key', anchor: { webhook: 'https://anchors.example.org/wh' } },
    });
    expect(docs.map((m) => m.kind).sort()).toEqual(['Deployment', 'Ingress', 'Service']);
    const ingress = docs.find((m) => m.kind === 'Ingress');
    expect(ingress?.spec).toMatchObject({
      rules: [{ host: 'wh.example.org' }],
      tls: [{ hosts: ['wh.example.org'], secretName: 'wheelhouse-tls' }],
    });
    const { pod, container } = deploymentOf(docs);
    expect(container.env?.map((e) => e.name)).toEqual(['WHEELHOUSE_INITIAL_ADMIN_PASSWORD']);
    expect(container.args).toContain('--audit-anchor-webhook=https://anchors.example.org/wh');
    expect(pod.volumes.find((v) => v.name === 'audit-key')).toMatchObject({ secret: { secretName: 'my-audit-key' } });
    expect(pod.volumes.find((v) => v.name === 'data')?.emptyDir).toBeDefined();
  });

  it('passes the proxy and cookie settings, and drops --trusted-proxies when the list is empty', async () => {
    const custom = deploymentOf(
      await render({ hub: { trustedProxies: ['10.42.0.0/16', '10.43.0.1'], secureCookie: 'auto' } }),
    );
    expect(custom.container.args).toContain('--trusted-proxies=10.42.0.0/16,10.43.0.1');
    expect(custom.container.args).toContain('--secure-cookie=auto');
    const origins = deploymentOf(await render({ hub: { allowedOrigins: ['https://a.example', 'https://b.example'] } }));
    expect(origins.container.args).toContain('--allowed-origins=https://a.example,https://b.example');
    const none = deploymentOf(await render({ hub: { trustedProxies: [] } }));
    expect(none.container.args.filter((a) => a.startsWith('--trusted-proxies'))).toEqual([]);
  });

  it('stores in PostgreSQL with the password from a Secret, and needs no persistent volume', async () => {
    const docs = await render({
      store: { url: 'postgres://wheelhouse@pg.db:5432/wheelhouse?sslmode=require', passwordSecret: 'wh-pg' },
    });
    // The Secrets are the audit chain's HMAC key and the replicas' peer secret; no PersistentVolumeClaim.
    expect(docs.map((m) => m.kind).sort()).toEqual(['Deployment', 'Secret', 'Secret', 'Service']);
    const { pod, container } = deploymentOf(docs);
    expect(container.args).toContain('--store=postgres://wheelhouse@pg.db:5432/wheelhouse?sslmode=require');
    expect(container.args).toContain('--store-password-file=/etc/wheelhouse/store/password');
    expect(container.args.some((a) => a.startsWith('--data-dir'))).toBe(false);
    expect(pod.volumes.find((v) => v.name === 'store-password')).toMatchObject({
      secret: { secretName: 'wh-pg', items: [{ key: 'password', path: 'password' }], defaultMode: 0o400 },
    });
    // Only an emptyDir for the audit anchor file (the webhook is the anchor that outlives the pod).
    expect(pod.volumes.find((v) => v.name === 'data')).toEqual({ name: 'data', emptyDir: {} });
  });

  it('runs 3 replicas on PostgreSQL: rolling, a PodDisruptionBudget, spread over nodes, ready only with the store', async () => {
    const docs = await render({
      replicas: 3,
      store: { url: 'postgres://wheelhouse@pg.db:5432/wheelhouse?sslmode=require', passwordSecret: 'wh-pg' },
    });
    expect(docs.map((m) => m.kind).sort()).toEqual([
      'Deployment',
      'PodDisruptionBudget',
      'Secret',
      'Secret',
      'Service',
    ]);
    const { d, pod, container } = deploymentOf(docs);
    // Siblings reach each replica at its pod address, authenticated by a shared secret the chart made.
    expect(container.args).toContain('--peer-url=http://$(POD_IP):8080');
    expect(container.args).toContain('--peer-secret-file=/etc/wheelhouse/peer/peer-secret');
    expect(container.env).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    const peer: (Manifest & { data?: Record<string, string> }) | undefined = docs.find(
      (m) => m.kind === 'Secret' && m.metadata.name === 'wh-wheelhouse-peer',
    );
    expect(Buffer.from(peer?.data?.['peer-secret'] ?? '', 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(peer?.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect(pod.volumes.find((v) => v.name === 'peer-secret')).toMatchObject({
      secret: { secretName: 'wh-wheelhouse-peer' },
    });
    expect(d?.spec).toMatchObject({
      replicas: 3,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    });
    const selector = {
      'app.kubernetes.io/name': 'wheelhouse',
      'app.kubernetes.io/component': 'hub',
      'app.kubernetes.io/instance': 'wh',
    };
    expect(docs.find((m) => m.kind === 'PodDisruptionBudget')?.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: selector },
    });
    expect((pod as { affinity?: unknown }).affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } },
          },
        ],
      },
    });
    expect(container.args).toContain('--store-password-file=/etc/wheelhouse/store/password');
    // /readyz answers 503 store_unavailable while the store does not (replicas-store-outage.test.ts).
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/readyz' } });

    const hard = deploymentOf(
      await render({ replicas: 2, podAntiAffinity: 'hard', store: { url: 'postgres://w@pg/w' } }),
    ).pod as { affinity?: { podAntiAffinity?: Record<string, unknown> } };
    expect(Object.keys(hard.affinity?.podAntiAffinity ?? {})).toEqual([
      'requiredDuringSchedulingIgnoredDuringExecution',
    ]);
    // A user's own affinity wins.
    const own = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } };
    const mine = deploymentOf(await render({ replicas: 2, affinity: own, store: { url: 'postgres://w@pg/w' } }))
      .pod as { affinity?: unknown };
    expect(mine.affinity).toEqual(own);
  });

  it('refuses more than one replica on the embedded SQLite store', async () => {
    await expect(render({ replicas: 2 })).rejects.toThrow(/replicas > 1 needs store.url/);
    // One replica on SQLite: no budget (it would block every drain), no anti-affinity.
    const docs = await render({ replicas: 1 });
    expect(docs.some((m) => m.kind === 'PodDisruptionBudget')).toBe(false);
    // No siblings on SQLite: no peer secret, no peer URL.
    expect(docs.some((m) => m.metadata.name === 'wh-wheelhouse-peer')).toBe(false);
    expect(deploymentOf(docs).container.args.some((a) => a.startsWith('--peer'))).toBe(false);
    expect((deploymentOf(docs).pod as { affinity?: unknown }).affinity).toBeUndefined();
  });
});

describe('hub Helm chart: single sign-on', () => {
  const SSO = {
    oidc: {
      issuer: 'https://dex.example.com',
      clientId: 'wheelhouse',
      clientSecret: { existingSecret: 'wh-oidc' },
      groupMappings: [{ group: 'sre', role: 'operator', cluster: '*', namespace: '*' }],
    },
    ingress: { enabled: true, host: 'wh.example.org', tls: { enabled: true } },
    localAccounts: { mode: 'break-glass', breakGlassUser: 'root' },
  };

  it('passes the provider, the client secret file, the mapping rules and break-glass to the hub', async () => {
    const docs = await render(SSO);
    const { pod, container } = deploymentOf(docs);
    expect(container.args).toEqual(
      expect.arrayContaining([
        '--oidc-issuer=https://dex.example.com',
        '--oidc-client-id=wheelhouse',
        '--oidc-client-secret-file=/etc/wheelhouse/oidc/client-secret',
        '--oidc-group-mappings=/etc/wheelhouse/oidc/group-mappings.json',
        '--public-url=https://wh.example.org',
        '--local-accounts=break-glass',
        '--break-glass-user=root',
      ]),
    );
    const cm = docs.find((m) => m.kind === 'ConfigMap') as (Manifest & { data: Record<string, string> }) | undefined;
    expect(JSON.parse(cm?.data['group-mappings.json'] ?? '[]')).toEqual(SSO.oidc.groupMappings);
    const oidc = pod.volumes.find((v) => v.name === 'oidc') as { projected?: { sources: unknown[] } } | undefined;
    expect(oidc?.projected?.sources).toEqual([
      { secret: { name: 'wh-oidc', items: [{ key: 'client-secret', path: 'client-secret' }] } },
      {
        configMap: { name: 'wh-wheelhouse-oidc', items: [{ key: 'group-mappings.json', path: 'group-mappings.json' }] },
      },
    ]);
  });

  it('passes the access grant maximum and the webhook URL from a Secret', async () => {
    const { container } = deploymentOf(
      await render({ access: { maxDuration: '2h', webhook: { existingSecret: 'wh-slack' } } }),
    );
    expect(container.args).toContain('--access-max-duration=2h');
    expect(container.env).toEqual([
      { name: 'WHEELHOUSE_ACCESS_WEBHOOK_URL', valueFrom: { secretKeyRef: { name: 'wh-slack', key: 'url' } } },
    ]);
  });

  it('refuses break-glass without SSO, and SSO without a client secret', async () => {
    await expect(render({ localAccounts: { mode: 'break-glass' } })).rejects.toThrow(/break-glass needs oidc.issuer/);
    await expect(render({ ...SSO, oidc: { ...SSO.oidc, clientSecret: { existingSecret: '' } } })).rejects.toThrow(
      /oidc.clientSecret.existingSecret is required/,
    );
  });
});

describe('container image', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('runs as an unprivileged user from a separate runtime stage', () => {
    const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    expect(stages).toEqual(['build', 'runtime']);
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    expect(runtime).not.toMatch(/apt-get install/);
  });

  it('copies every workspace package the entrypoint needs into the runtime stage', () => {
    const pkgDir: Record<string, string> = {};
    const deps = (dir: string): string[] => {
      const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
      };
      pkgDir[pkg.name] = dir;
      return Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@wheelhouse/'));
    };
    const dirOf: Record<string, string> = {
      '@wheelhouse/protocol': 'packages/protocol',
      '@wheelhouse/hub': 'packages/hub',
      '@wheelhouse/agent': 'packages/agent',
      '@wheelhouse/exec-guard': 'packages/exec-guard',
      '@wheelhouse/cli': 'packages/cli',
      '@wheelhouse/web': 'packages/web',
      '@wheelhouse/test-cluster': 'test/cluster',
    };
    const needed = new Set<string>();
    const visit = (name: string): void => {
      if (needed.has(name)) return;
      needed.add(name);
      const dir = dirOf[name];
      if (!dir) throw new Error(`unknown workspace package ${name}: add it to the Dockerfile and this map`);
      for (const d of deps(dir)) visit(d);
    };
    visit('@wheelhouse/cli');
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    for (const name of needed)
      expect(runtime, `${name} is copied`).toContain(`COPY --from=build /src/${dirOf[name] ?? ''}/dist`);
    expect(runtime).toContain('ENTRYPOINT ["node", "/app/packages/cli/dist/src/main.js"]');
    // The hub serves the console from the Vite build, which the build stage must produce.
    expect(dockerfile.slice(0, dockerfile.indexOf('AS runtime'))).toMatch(/npm run build -w packages\/web/);
  });

  it('has an entrypoint that starts each component (run directly here)', async () => {
    const cli = join(ROOT, 'packages/cli/dist/src/main.js');
    for (const sub of ['hub', 'agent', 'exec-guard']) {
      const { stdout } = await run(process.execPath, [cli, sub, '--help']);
      expect(stdout).toContain(`Usage: wheelhouse ${sub}`);
    }
  });
});
