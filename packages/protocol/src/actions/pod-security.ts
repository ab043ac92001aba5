// Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/)
// checked on every pod template an apply creates or changes, plus the
// Secret/ServiceAccount references that need their own permission. Pure, so
// the hub (400 before anything is stored) and the agent (defence in depth)
// refuse with the same words.
import { z } from 'zod';
import type { TargetIssue } from './declaration.js';
import type { ManifestObject } from './manifest.js';

export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export const PodSecurityLevel = z.enum(POD_SECURITY_LEVELS);
export type PodSecurityLevel = z.infer<typeof PodSecurityLevel>;
export const DEFAULT_POD_SECURITY_LEVEL: PodSecurityLevel = 'baseline';

/** The hub's permission that lets an apply reference Secrets or run as a non-default ServiceAccount. */
export const SECRET_REFERENCE_PERMISSION = 'action:apply:secrets';

/** What the hub authorized a command under; the agent enforces it again. */
export const WorkloadPolicy = z
  .object({
    podSecurity: PodSecurityLevel,
    /** The requester holds action:apply:secrets on the target's namespace. */
    secretReferences: z.boolean(),
  })
  .strict();
export type WorkloadPolicy = z.infer<typeof WorkloadPolicy>;

/** What an agent assumes when a command carries no policy (an older hub): the strictest sensible default. */
export const DEFAULT_WORKLOAD_POLICY: WorkloadPolicy = { podSecurity: 'baseline', secretReferences: false };

export interface PodSecurityViolation {
  /** Field path inside the object, e.g. spec.template.spec.containers[0].securityContext.privileged. */
  path: string;
  /** The rule, e.g. "baseline forbids privileged containers". */
  rule: string;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const recs = (v: unknown): Rec[] => (Array.isArray(v) ? v.map((x) => (isRec(x) ? x : {})) : []);
const rec = (v: unknown): Rec => (isRec(v) ? v : {});
/** A manifest value for a message: strings as they are, anything else as JSON. */
function show(v: unknown): string {
  if (typeof v === 'string') return v;
  // Manifest values are plain data; undefined is the one that JSON.stringify does not turn into text.
  return v === undefined ? '(unset)' : JSON.stringify(v);
}

export interface PodTemplate {
  /** Path of the pod spec in the object ("spec", "spec.template.spec", …). */
  specPath: string;
  spec: Rec;
  /** Path of the pod metadata (AppArmor annotations live there). */
  metadataPath: string;
  metadata: Rec;
}

/** The pod spec a kind carries, if any: a Pod itself, a workload's template, a CronJob's job template's. */
export function podTemplateOf(o: Rec): PodTemplate | null {
  const spec = rec(o.spec);
  switch (o.kind) {
    case 'Pod':
      return { specPath: 'spec', spec, metadataPath: 'metadata', metadata: rec(o.metadata) };
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job': {
      const t = rec(spec.template);
      return {
        specPath: 'spec.template.spec',
        spec: rec(t.spec),
        metadataPath: 'spec.template.metadata',
        metadata: rec(t.metadata),
      };
    }
    case 'CronJob': {
      const t = rec(rec(rec(spec.jobTemplate).spec).template);
      return {
        specPath: 'spec.jobTemplate.spec.template.spec',
        spec: rec(t.spec),
        metadataPath: 'spec.jobTemplate.spec.template.metadata',
        metadata: rec(t.metadata),
      };
    }
    default:
      return null;
  }
}

/** Every container of a pod spec with its path (init and ephemeral containers too). */
function containersOf(t: PodTemplate): { path: string; c: Rec }[] {
  return (['containers', 'initContainers', 'ephemeralContainers'] as const).flatMap((field) =>
    recs(t.spec[field]).map((c, i) => ({ path: `${t.specPath}.${field}[${i}]`, c })),
  );
}

// The lists below are the Pod Security Standards' own (Kubernetes 1.35).
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';
/** Keys of a volume that are not its source. */
const VOLUME_META = new Set(['name']);

function baseline(t: PodTemplate): PodSecurityViolation[] {
  const out: PodSecurityViolation[] = [];
  const forbid = (path: string, rule: string) => out.push({ path, rule: `baseline forbids ${rule}` });
  const s = t.spec;
  const p = t.specPath;
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (s[ns] === true) forbid(`${p}.${ns}`, `sharing the host's namespaces (${ns})`);
  }
  recs(s.volumes).forEach((v, i) => {
    if (v.hostPath !== undefined) forbid(`${p}.volumes[${i}].hostPath`, 'hostPath volumes');
  });
  const podSc = rec(s.securityContext);
  const sc = (path: string, ctx: Rec) => {
    if (rec(ctx.windowsOptions).hostProcess === true)
      forbid(`${path}.windowsOptions.hostProcess`, 'Windows HostProcess pods');
    const seLinux = rec(ctx.seLinuxOptions);
    if (typeof seLinux.type === 'string' && !SELINUX_TYPES.has(seLinux.type))
      forbid(`${path}.seLinuxOptions.type`, `SELinux type "${seLinux.type}"`);
    for (const f of ['user', 'role'] as const)
      if (seLinux[f] !== undefined && seLinux[f] !== '') forbid(`${path}.seLinuxOptions.${f}`, `custom SELinux ${f}s`);
    if (rec(ctx.seccompProfile).type === 'Unconfined')
      forbid(`${path}.seccompProfile.type`, 'seccomp profile Unconfined');
    const aa = rec(ctx.appArmorProfile).type;
    if (aa !== undefined && aa !== 'RuntimeDefault' && aa !== 'Localhost')
      forbid(`${path}.appArmorProfile.type`, `AppArmor profile ${show(aa)}`);
  };
  sc(`${p}.securityContext`, podSc);
  recs(podSc.sysctls).forEach((x, i) => {
    if (!SAFE_SYSCTLS.has(show(x.name)))
      forbid(`${p}.securityContext.sysctls[${i}].name`, `unsafe sysctl "${show(x.name)}"`);
  });
  for (const [k, v] of Object.entries(rec(t.metadata.annotations))) {
    if (k.startsWith(APPARMOR_ANNOTATION) && v !== 'runtime/default' && !show(v).startsWith('localhost/'))
      forbid(`${t.metadataPath}.annotations["${k}"]`, `AppArmor profile "${show(v)}"`);
  }
  for (const { path, c } of containersOf(t)) {
    const csc = rec(c.securityContext);
    if (csc.privileged === true) forbid(`${path}.securityContext.privileged`, 'privileged containers');
    const add = rec(csc.capabilities).add;
    const added: readonly unknown[] = Array.isArray(add) ? add : [];
    added.forEach((cap, i) => {
      if (!BASELINE_CAPABILITIES.has(show(cap)))
        forbid(`${path}.securityContext.capabilities.add[${i}]`, `adding capability ${show(cap)}`);
    });
    if (csc.procMount !== undefined && csc.procMount !== 'Default')
      forbid(`${path}.securityContext.procMount`, `procMount ${show(csc.procMount)}`);
    sc(`${path}.securityContext`, csc);
    recs(c.ports).forEach((port, i) => {
      if (port.hostPort !== undefined && port.hostPort !== 0) forbid(`${path}.ports[${i}].hostPort`, 'host ports');
    });
  }
  return out;
}

function restricted(t: PodTemplate): PodSecurityViolation[] {
  const out: PodSecurityViolation[] = [];
  const forbid = (path: string, rule: string) => out.push({ path, rule: `restricted ${rule}` });
  const p = t.specPath;
  recs(t.spec.volumes).forEach((v, i) => {
    const source = Object.keys(v).find((k) => !VOLUME_META.has(k));
    if (source !== undefined && !RESTRICTED_VOLUMES.has(source) && source !== 'hostPath')
      forbid(`${p}.volumes[${i}].${source}`, `forbids ${source} volumes`);
  });
  const podSc = rec(t.spec.securityContext);
  const podNonRoot = podSc.runAsNonRoot === true;
  const podSeccomp = rec(podSc.seccompProfile).type;
  const seccompOk = (type: unknown) => type === 'RuntimeDefault' || type === 'Localhost';
  if (podSc.runAsUser === 0) forbid(`${p}.securityContext.runAsUser`, 'forbids running as root (runAsUser 0)');
  for (const { path, c } of containersOf(t)) {
    const csc = rec(c.securityContext);
    const at = `${path}.securityContext`;
    if (csc.allowPrivilegeEscalation !== false)
      forbid(`${at}.allowPrivilegeEscalation`, 'requires allowPrivilegeEscalation: false');
    if (csc.runAsNonRoot === false || (!podNonRoot && csc.runAsNonRoot !== true))
      forbid(`${at}.runAsNonRoot`, 'requires runAsNonRoot: true (on the pod or every container)');
    if (csc.runAsUser === 0) forbid(`${at}.runAsUser`, 'forbids running as root (runAsUser 0)');
    const type = rec(csc.seccompProfile).type;
    if (type === undefined ? !seccompOk(podSeccomp) : !seccompOk(type))
      forbid(
        `${at}.seccompProfile.type`,
        'requires seccomp profile RuntimeDefault or Localhost (on the pod or every container)',
      );
    const caps = rec(csc.capabilities);
    const drop = Array.isArray(caps.drop) ? caps.drop.map(String) : [];
    if (!drop.includes('ALL')) forbid(`${at}.capabilities.drop`, 'requires dropping ALL capabilities');
    const add = Array.isArray(caps.add) ? caps.add.map(String) : [];
    add.forEach((cap, i) => {
      if (cap !== 'NET_BIND_SERVICE' && BASELINE_CAPABILITIES.has(cap))
        forbid(`${at}.capabilities.add[${i}]`, `forbids adding capability ${cap} (only NET_BIND_SERVICE)`);
    });
  }
  return out;
}

/** Violations of the level by the object's pod template (none for kinds without one, or level privileged). */
export function checkPodSecurity(object: Rec, level: PodSecurityLevel): PodSecurityViolation[] {
  if (level === 'privileged') return [];
  const t = podTemplateOf(object);
  if (!t) return [];
  return level === 'restricted' ? [...baseline(t), ...restricted(t)] : baseline(t);
}

/** References to Secrets and a non-default ServiceAccount in the object's pod template. */
export function secretReferences(object: Rec): PodSecurityViolation[] {
  const t = podTemplateOf(object);
  if (!t) return [];
  const out: PodSecurityViolation[] = [];
  const needs = `needs the ${SECRET_REFERENCE_PERMISSION} permission`;
  const p = t.specPath;
  for (const field of ['serviceAccountName', 'serviceAccount'] as const) {
    const sa = t.spec[field];
    if (sa !== undefined && sa !== 'default' && sa !== '')
      out.push({ path: `${p}.${field}`, rule: `running as ServiceAccount "${show(sa)}" ${needs}` });
  }
  recs(t.spec.volumes).forEach((v, i) => {
    if (v.secret !== undefined)
      out.push({
        path: `${p}.volumes[${i}].secret`,
        rule: `mounting Secret "${show(rec(v.secret).secretName)}" ${needs}`,
      });
    recs(rec(v.projected).sources).forEach((src, j) => {
      if (src.secret !== undefined)
        out.push({
          path: `${p}.volumes[${i}].projected.sources[${j}].secret`,
          rule: `mounting Secret "${show(rec(src.secret).name)}" ${needs}`,
        });
    });
  });
  for (const { path, c } of containersOf(t)) {
    recs(c.env).forEach((e, i) => {
      const ref = rec(e.valueFrom).secretKeyRef;
      if (ref !== undefined)
        out.push({
          path: `${path}.env[${i}].valueFrom.secretKeyRef`,
          rule: `reading Secret "${show(rec(ref).name)}" ${needs}`,
        });
    });
    recs(c.envFrom).forEach((e, i) => {
      if (e.secretRef !== undefined)
        out.push({
          path: `${path}.envFrom[${i}].secretRef`,
          rule: `reading Secret "${show(rec(e.secretRef).name)}" ${needs}`,
        });
    });
  }
  return out;
}

/**
 * Every problem the policy finds in a manifest's documents, as issues whose
 * path is the field (prefixed "document N: " when the manifest has several).
 */
export function checkWorkloadPolicy(objects: readonly ManifestObject[], policy: WorkloadPolicy): TargetIssue[] {
  return objects.flatMap((o, i) => {
    const found = [...checkPodSecurity(o, policy.podSecurity), ...(policy.secretReferences ? [] : secretReferences(o))];
    const prefix = objects.length > 1 ? `document ${i + 1}: ` : '';
    return found.map((v) => ({ path: `${prefix}${v.path}`, message: v.rule }));
  });
}

/** Actions that re-create pods from a template already in the cluster rather than from params. */
export const TEMPLATE_ACTIONS = ['restart', 'rollback', 'trigger-job'] as const;

/**
 * Pod Security Standards issues of a pod template an action takes from the
 * cluster: `restart` re-creates the current template's pods, `rollback` brings
 * back an old revision's template, `trigger-job` creates a Job from a CronJob's
 * or Job's. `object` is the source ({kind, spec} is enough). Secret references
 * are not checked again here: these templates were admitted when someone with
 * that right created them, and refusing them would stop restarts of most real
 * workloads; the privilege of the pods is what a rollback or a trigger can
 * raise behind the level's back.
 */
export function checkTemplatePolicy(object: Rec, policy: WorkloadPolicy): TargetIssue[] {
  return checkPodSecurity(object, policy.podSecurity).map((v) => ({ path: v.path, message: v.rule }));
}

/** The sentence a refusal starts with, the same at the hub and the agent. */
export function templateRefusal(source: string, level: PodSecurityLevel, issues: readonly TargetIssue[]): string {
  return `${source} breaks the cluster's Pod Security Standards level "${level}": ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
}
