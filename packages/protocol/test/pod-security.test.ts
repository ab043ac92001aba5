import { describe, expect, it } from 'vitest';
import {
  checkPodSecurity,
  checkWorkloadPolicy,
  secretReferences,
  type PodSecurityLevel,
} from '../src/actions/pod-security.js';
import { parseManifest } from '../src/actions/manifest.js';

type Rec = Record<string, unknown>;
const container = (extra: Rec = {}): Rec => ({ name: 'app', image: 'nginx', ...extra });
const pod = (spec: Rec, metadata: Rec = {}): Rec => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', ...metadata },
  spec: { containers: [container()], ...spec },
});
const deployment = (spec: Rec): Rec => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd' },
  spec: { template: { metadata: {}, spec: { containers: [container()], ...spec } } },
});
const cronJob = (spec: Rec): Rec => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'c' },
  spec: {
    schedule: '* * * * *',
    jobTemplate: { spec: { template: { spec: { containers: [container()], ...spec } } } },
  },
});
const check = (o: Rec, level: PodSecurityLevel = 'baseline') =>
  checkPodSecurity(o, level).map((v) => `${v.path}: ${v.rule}`);
const restrictedContainer = container({
  securityContext: {
    allowPrivilegeEscalation: false,
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
    capabilities: { drop: ['ALL'] },
  },
});

describe('Pod Security Standards: baseline', () => {
  it('accepts an ordinary pod and every kind without a pod template', () => {
    expect(check(pod({}))).toEqual([]);
    expect(check({ kind: 'ConfigMap', metadata: { name: 'x' }, data: {} })).toEqual([]);
    expect(check({ kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 80 }] } })).toEqual([]);
  });

  it('forbids privileged containers, naming the field of the pod template of every workload kind', () => {
    const priv = { containers: [container({ securityContext: { privileged: true } })] };
    expect(check(pod(priv))).toEqual([
      'spec.containers[0].securityContext.privileged: baseline forbids privileged containers',
    ]);
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']) {
      expect(check({ ...deployment(priv), kind })).toEqual([
        'spec.template.spec.containers[0].securityContext.privileged: baseline forbids privileged containers',
      ]);
    }
    expect(check(cronJob(priv))).toEqual([
      'spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged: baseline forbids privileged containers',
    ]);
    // init and ephemeral containers are containers too
    expect(check(pod({ initContainers: [container({ securityContext: { privileged: true } })] }))).toEqual([
      'spec.initContainers[0].securityContext.privileged: baseline forbids privileged containers',
    ]);
    expect(check(pod({ containers: [container({ securityContext: { privileged: false } })] }))).toEqual([]);
  });

  it('forbids host namespaces', () => {
    expect(check(pod({ hostNetwork: true, hostPID: true, hostIPC: true }))).toEqual([
      "spec.hostNetwork: baseline forbids sharing the host's namespaces (hostNetwork)",
      "spec.hostPID: baseline forbids sharing the host's namespaces (hostPID)",
      "spec.hostIPC: baseline forbids sharing the host's namespaces (hostIPC)",
    ]);
    expect(check(pod({ hostNetwork: false }))).toEqual([]);
  });

  it('forbids hostPath volumes', () => {
    const spec = {
      volumes: [
        { name: 'ok', emptyDir: {} },
        { name: 'root', hostPath: { path: '/' } },
      ],
    };
    expect(check(deployment(spec))).toEqual([
      'spec.template.spec.volumes[1].hostPath: baseline forbids hostPath volumes',
    ]);
  });

  it('forbids host ports (0 is the same as unset)', () => {
    const c = container({
      ports: [
        { containerPort: 80, hostPort: 0 },
        { containerPort: 81, hostPort: 8081 },
      ],
    });
    expect(check(pod({ containers: [c] }))).toEqual([
      'spec.containers[0].ports[1].hostPort: baseline forbids host ports',
    ]);
  });

  it('allows only the default capabilities to be added', () => {
    const c = container({ securityContext: { capabilities: { add: ['NET_BIND_SERVICE', 'CHOWN', 'SYS_ADMIN'] } } });
    expect(check(pod({ containers: [c] }))).toEqual([
      'spec.containers[0].securityContext.capabilities.add[2]: baseline forbids adding capability SYS_ADMIN',
    ]);
  });

  it('forbids unsafe sysctls and allows the safe set', () => {
    const sysctls = [
      { name: 'net.ipv4.tcp_syncookies', value: '1' },
      { name: 'kernel.msgmax', value: '1' },
    ];
    expect(check(pod({ securityContext: { sysctls } }))).toEqual([
      'spec.securityContext.sysctls[1].name: baseline forbids unsafe sysctl "kernel.msgmax"',
    ]);
  });

  it('forbids seccomp, AppArmor and SELinux escapes on the pod and on containers', () => {
    expect(check(pod({ securityContext: { seccompProfile: { type: 'Unconfined' } } }))).toEqual([
      'spec.securityContext.seccompProfile.type: baseline forbids seccomp profile Unconfined',
    ]);
    expect(
      check(pod({ containers: [container({ securityContext: { appArmorProfile: { type: 'Unconfined' } } })] })),
    ).toEqual([
      'spec.containers[0].securityContext.appArmorProfile.type: baseline forbids AppArmor profile Unconfined',
    ]);
    expect(
      check(pod({}, { annotations: { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' } })),
    ).toEqual([
      'metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]: baseline forbids AppArmor profile "unconfined"',
    ]);
    expect(check(pod({ securityContext: { seLinuxOptions: { type: 'spc_t', user: 'system_u' } } }))).toEqual([
      'spec.securityContext.seLinuxOptions.type: baseline forbids SELinux type "spc_t"',
      'spec.securityContext.seLinuxOptions.user: baseline forbids custom SELinux users',
    ]);
    expect(check(pod({ securityContext: { seLinuxOptions: { type: 'container_t', level: 's0:c1' } } }))).toEqual([]);
  });

  it('forbids HostProcess and an unmasked /proc', () => {
    const c = container({ securityContext: { procMount: 'Unmasked', windowsOptions: { hostProcess: true } } });
    expect(check(pod({ containers: [c] }))).toEqual([
      'spec.containers[0].securityContext.procMount: baseline forbids procMount Unmasked',
      'spec.containers[0].securityContext.windowsOptions.hostProcess: baseline forbids Windows HostProcess pods',
    ]);
  });

  it('privileged allows everything', () => {
    expect(
      check(pod({ hostPID: true, containers: [container({ securityContext: { privileged: true } })] }), 'privileged'),
    ).toEqual([]);
  });
});

describe('Pod Security Standards: restricted', () => {
  it('accepts a pod that follows the restricted profile', () => {
    expect(check(pod({ containers: [restrictedContainer] }), 'restricted')).toEqual([]);
    // runAsNonRoot and seccomp may be set once on the pod instead
    const podLevel = pod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        container({ securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }),
      ],
    });
    expect(check(podLevel, 'restricted')).toEqual([]);
  });

  it('refuses an ordinary pod, naming each missing setting', () => {
    expect(check(pod({}), 'restricted')).toEqual([
      'spec.containers[0].securityContext.allowPrivilegeEscalation: restricted requires allowPrivilegeEscalation: false',
      'spec.containers[0].securityContext.runAsNonRoot: restricted requires runAsNonRoot: true (on the pod or every container)',
      'spec.containers[0].securityContext.seccompProfile.type: restricted requires seccomp profile RuntimeDefault or Localhost (on the pod or every container)',
      'spec.containers[0].securityContext.capabilities.drop: restricted requires dropping ALL capabilities',
    ]);
  });

  it('refuses root, extra capabilities and volume types outside the allowed set, and includes baseline', () => {
    const c = {
      ...restrictedContainer,
      securityContext: {
        ...(restrictedContainer.securityContext as Rec),
        runAsUser: 0,
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE', 'CHOWN'] },
      },
    };
    const spec = { containers: [c], volumes: [{ name: 'n', nfs: { server: 'x', path: '/' } }], hostIPC: true };
    expect(check(pod(spec), 'restricted')).toEqual([
      "spec.hostIPC: baseline forbids sharing the host's namespaces (hostIPC)",
      'spec.volumes[0].nfs: restricted forbids nfs volumes',
      'spec.containers[0].securityContext.runAsUser: restricted forbids running as root (runAsUser 0)',
      'spec.containers[0].securityContext.capabilities.add[1]: restricted forbids adding capability CHOWN (only NET_BIND_SERVICE)',
    ]);
  });
});

describe('Secret and ServiceAccount references', () => {
  const refs = (o: Rec) => secretReferences(o).map((v) => `${v.path}: ${v.rule}`);

  it('finds Secret volumes, projected Secrets, secretKeyRef, envFrom secretRef and a non-default ServiceAccount', () => {
    const c = container({
      env: [
        { name: 'A', value: 'x' },
        { name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } },
      ],
      envFrom: [{ configMapRef: { name: 'cm' } }, { secretRef: { name: 'all' } }],
    });
    const spec = {
      serviceAccountName: 'deployer',
      containers: [c],
      volumes: [
        { name: 's', secret: { secretName: 'tls' } },
        { name: 'p', projected: { sources: [{ configMap: { name: 'cm' } }, { secret: { name: 'key' } }] } },
      ],
    };
    const needs = 'needs the action:apply:secrets permission';
    expect(refs(deployment(spec))).toEqual([
      `spec.template.spec.serviceAccountName: running as ServiceAccount "deployer" ${needs}`,
      `spec.template.spec.volumes[0].secret: mounting Secret "tls" ${needs}`,
      `spec.template.spec.volumes[1].projected.sources[1].secret: mounting Secret "key" ${needs}`,
      `spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef: reading Secret "db" ${needs}`,
      `spec.template.spec.containers[0].envFrom[1].secretRef: reading Secret "all" ${needs}`,
    ]);
  });

  it('lets the default ServiceAccount and ConfigMaps through', () => {
    expect(refs(pod({ serviceAccountName: 'default', volumes: [{ name: 'c', configMap: { name: 'x' } }] }))).toEqual(
      [],
    );
  });
});

describe('checkWorkloadPolicy', () => {
  const manifest = (text: string) => {
    const r = parseManifest(text);
    if (!r.ok) throw new Error(r.errors.join('; '));
    return r.objects;
  };
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n';
  const priv = `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - name: app
      image: nginx
      securityContext: { privileged: true }
      envFrom: [{ secretRef: { name: s } }]
`;

  it('names the document when the manifest has several, and honours the secret permission and the level', () => {
    const objects = manifest(`${cm}---\n${priv}`);
    expect(checkWorkloadPolicy(objects, { podSecurity: 'baseline', secretReferences: false })).toEqual([
      {
        path: 'document 2: spec.containers[0].securityContext.privileged',
        message: 'baseline forbids privileged containers',
      },
      {
        path: 'document 2: spec.containers[0].envFrom[0].secretRef',
        message: 'reading Secret "s" needs the action:apply:secrets permission',
      },
    ]);
    expect(checkWorkloadPolicy(objects, { podSecurity: 'privileged', secretReferences: true })).toEqual([]);
    expect(checkWorkloadPolicy(manifest(priv), { podSecurity: 'baseline', secretReferences: true })).toEqual([
      { path: 'spec.containers[0].securityContext.privileged', message: 'baseline forbids privileged containers' },
    ]);
  });
});
