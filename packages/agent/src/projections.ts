// Compact projections of Kubernetes objects: what the hub's inventory, the
// timeline and the actions need — never whole objects, never Secret data,
// ConfigMaps as key names only. `summary.spec` of a workload holds the fields
// whose change is worth a timeline entry; everything else there is status.
import {
  EXTENSION_ANNOTATION,
  EXTENSION_REQUESTER_ANNOTATION,
  INTERACTOR_ANNOTATION,
  TERMINATION_TIME_ANNOTATION,
} from '@wheelhouse/exec-guard';
import type { InventoryItem, JsonObject, JsonValue, ResourceKind } from '@wheelhouse/protocol';

/** The loosely-typed shape every watched object shares (parsed JSON from the API). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, unknown>;
  binaryData?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Annotations that change without anyone changing intent. */
const NOISY_ANNOTATIONS = [
  /^deployment\.kubernetes\.io\//,
  /^kubectl\.kubernetes\.io\/last-applied-configuration$/,
  /^wheelhouse\.dev\/commands$/,
  /^autoscaling\.alpha\.kubernetes\.io\//,
  /^control-plane\.alpha\.kubernetes\.io\//,
];

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(asObj) : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const time = (v: unknown): number | null => (typeof v === 'string' ? Date.parse(v) : null);

/** Drops undefined values so the result is JSON (and stable to compare). */
export function toJson(v: unknown): JsonValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') {
    const out: JsonObject = {};
    for (const [k, val] of Object.entries(v as Obj)) if (val !== undefined) out[k] = toJson(val);
    return out;
  }
  return null;
}

export function meaningfulAnnotations(a: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a ?? {})) if (!NOISY_ANNOTATIONS.some((re) => re.test(k))) out[k] = v;
  return out;
}

function containerSpec(c: Obj): JsonObject {
  const env = asArr(c.env).map((e) => ({ name: str(e.name), value: e.value ?? null, valueFrom: e.valueFrom ?? null }));
  return toJson({
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    env: env.length ? env : undefined,
    envFrom: c.envFrom,
    resources: c.resources && Object.keys(asObj(c.resources)).length ? c.resources : undefined,
    ports: c.ports,
    livenessProbe: c.livenessProbe,
    readinessProbe: c.readinessProbe,
    startupProbe: c.startupProbe,
  }) as JsonObject;
}

/** The pod-template fields that matter for "what changed". */
export function templateSpec(template: unknown): JsonObject {
  const t = asObj(template);
  const meta = asObj(t.metadata);
  const spec = asObj(t.spec);
  return toJson({
    labels: meta.labels,
    annotations: meaningfulAnnotations(meta.annotations as Record<string, string> | undefined),
    containers: asArr(spec.containers).map(containerSpec),
    initContainers: asArr(spec.initContainers).length ? asArr(spec.initContainers).map(containerSpec) : undefined,
    serviceAccountName: spec.serviceAccountName,
    nodeSelector: spec.nodeSelector,
    tolerations: spec.tolerations,
    volumes: asArr(spec.volumes).length ? asArr(spec.volumes).map((v) => ({ ...v })) : undefined,
  }) as JsonObject;
}

export const imagesOf = (template: unknown): string[] =>
  asArr(asObj(asObj(template).spec).containers)
    .map((c) => str(c.image))
    .filter((x): x is string => x !== null);

function workloadSpec(o: KubeObject, extra: Obj): JsonObject {
  return toJson({
    labels: o.metadata?.labels,
    annotations: meaningfulAnnotations(o.metadata?.annotations),
    ...extra,
    template: templateSpec(o.spec?.template),
  }) as JsonObject;
}

function conditionMap(conds: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of asArr(conds)) {
    const t = str(c.type);
    if (t) out[t] = str(c.status) ?? 'Unknown';
  }
  return out;
}

function podSummary(o: KubeObject): Obj {
  const status = asObj(o.status);
  const spec = asObj(o.spec);
  const statuses = new Map(asArr(status.containerStatuses).map((s) => [str(s.name), s]));
  const containers = asArr(spec.containers).map((c) => {
    const s = statuses.get(str(c.name)) ?? {};
    const state = asObj(s.state);
    const stateName = Object.keys(state)[0] ?? 'waiting';
    const detail = asObj(state[stateName]);
    const last = asObj(asObj(s.lastState).terminated);
    return {
      name: c.name,
      image: c.image,
      ready: s.ready === true,
      restartCount: num(s.restartCount) ?? 0,
      state: stateName,
      reason: str(detail.reason),
      exitCode: num(detail.exitCode),
      lastTerminated: Object.keys(last).length
        ? { reason: str(last.reason), exitCode: num(last.exitCode), finishedAt: time(last.finishedAt) }
        : null,
    };
  });
  const conditions = conditionMap(status.conditions);
  const ann = o.metadata?.annotations ?? {};
  const terminationTime = ann[TERMINATION_TIME_ANNOTATION];
  return {
    phase: str(status.phase) ?? 'Pending',
    // Exec guard's verdict on a pod someone entered: when it will be evicted, by whom, last extension.
    execGuard: terminationTime
      ? {
          terminationTime: time(terminationTime),
          interactor: ann[INTERACTOR_ANNOTATION] ?? null,
          extension: ann[EXTENSION_ANNOTATION] ?? null,
          extensionRequester: ann[EXTENSION_REQUESTER_ANNOTATION] ?? null,
        }
      : undefined,
    ready: conditions.Ready === 'True',
    nodeName: str(spec.nodeName),
    podIP: str(status.podIP),
    qosClass: str(status.qosClass),
    startTime: time(status.startTime),
    reason: str(status.reason),
    restarts: containers.reduce((n, c) => n + c.restartCount, 0),
    containers,
    initContainers: asArr(spec.initContainers).map((c) => ({ name: c.name, image: c.image })),
  };
}

function summaryOf(kind: ResourceKind, o: KubeObject): Obj {
  const spec = asObj(o.spec);
  const status = asObj(o.status);
  const ann = o.metadata?.annotations ?? {};
  switch (kind) {
    case 'Namespace':
      return { phase: status.phase };
    case 'Node': {
      const info = asObj(status.nodeInfo);
      return {
        unschedulable: spec.unschedulable === true,
        conditions: conditionMap(status.conditions),
        capacity: status.capacity,
        allocatable: status.allocatable,
        taints: asArr(spec.taints).map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
        kubeletVersion: info.kubeletVersion,
        addresses: asArr(status.addresses).map((a) => ({ type: a.type, address: a.address })),
        spec: {
          unschedulable: spec.unschedulable === true,
          taints: asArr(spec.taints).map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
        },
      };
    }
    case 'Pod':
      return podSummary(o);
    case 'Deployment':
      return {
        replicas: num(spec.replicas) ?? 1,
        readyReplicas: num(status.readyReplicas) ?? 0,
        availableReplicas: num(status.availableReplicas) ?? 0,
        updatedReplicas: num(status.updatedReplicas) ?? 0,
        generation: o.metadata?.generation,
        observedGeneration: status.observedGeneration,
        revision: ann['deployment.kubernetes.io/revision'],
        paused: spec.paused === true,
        selector: asObj(spec.selector).matchLabels,
        images: imagesOf(spec.template),
        conditions: conditionMap(status.conditions),
        spec: workloadSpec(o, { replicas: num(spec.replicas) ?? 1, strategy: spec.strategy, paused: spec.paused }),
      };
    case 'ReplicaSet':
      return {
        replicas: num(spec.replicas) ?? 1,
        readyReplicas: num(status.readyReplicas) ?? 0,
        availableReplicas: num(status.availableReplicas) ?? 0,
        revision: ann['deployment.kubernetes.io/revision'],
        podTemplateHash: o.metadata?.labels?.['pod-template-hash'],
        images: imagesOf(spec.template),
      };
    case 'StatefulSet':
      return {
        replicas: num(spec.replicas) ?? 1,
        readyReplicas: num(status.readyReplicas) ?? 0,
        currentRevision: status.currentRevision,
        updateRevision: status.updateRevision,
        serviceName: spec.serviceName,
        images: imagesOf(spec.template),
        spec: workloadSpec(o, {
          replicas: num(spec.replicas) ?? 1,
          updateStrategy: spec.updateStrategy,
          volumeClaimTemplates: asArr(spec.volumeClaimTemplates).map((v) => asObj(v.metadata).name),
        }),
      };
    case 'DaemonSet':
      return {
        desired: num(status.desiredNumberScheduled) ?? 0,
        ready: num(status.numberReady) ?? 0,
        updated: num(status.updatedNumberScheduled) ?? 0,
        available: num(status.numberAvailable) ?? 0,
        images: imagesOf(spec.template),
        spec: workloadSpec(o, { updateStrategy: spec.updateStrategy }),
      };
    case 'Job':
      return {
        active: num(status.active) ?? 0,
        succeeded: num(status.succeeded) ?? 0,
        failed: num(status.failed) ?? 0,
        completions: spec.completions,
        parallelism: spec.parallelism,
        suspend: spec.suspend === true,
        startTime: time(status.startTime),
        completionTime: time(status.completionTime),
        conditions: conditionMap(status.conditions),
        images: imagesOf(spec.template),
        spec: workloadSpec(o, {
          completions: spec.completions,
          parallelism: spec.parallelism,
          backoffLimit: spec.backoffLimit,
          suspend: spec.suspend,
        }),
      };
    case 'CronJob': {
      const jobTemplate = asObj(asObj(spec.jobTemplate).spec);
      return {
        schedule: spec.schedule,
        suspend: spec.suspend === true,
        lastScheduleTime: time(status.lastScheduleTime),
        lastSuccessfulTime: time(status.lastSuccessfulTime),
        active: asArr(status.active).length,
        images: imagesOf(jobTemplate.template),
        spec: toJson({
          labels: o.metadata?.labels,
          annotations: meaningfulAnnotations(o.metadata?.annotations),
          schedule: spec.schedule,
          suspend: spec.suspend,
          concurrencyPolicy: spec.concurrencyPolicy,
          template: templateSpec(jobTemplate.template),
        }),
      };
    }
    case 'Service':
      return {
        type: spec.type,
        clusterIP: spec.clusterIP,
        selector: spec.selector,
        ports: asArr(spec.ports).map((p) => ({
          name: p.name,
          port: p.port,
          targetPort: p.targetPort,
          protocol: p.protocol,
          nodePort: p.nodePort,
        })),
      };
    case 'Ingress':
      return {
        className: spec.ingressClassName,
        hosts: asArr(spec.rules)
          .map((r) => r.host)
          .filter((h) => typeof h === 'string'),
        tlsHosts: asArr(spec.tls).flatMap((t) =>
          Array.isArray(t.hosts) ? (t.hosts as unknown[]).filter((h) => typeof h === 'string') : [],
        ),
      };
    case 'ConfigMap':
      return { keys: [...Object.keys(o.data ?? {}), ...Object.keys(o.binaryData ?? {})].sort() };
    case 'PersistentVolumeClaim':
      return {
        phase: status.phase,
        storageClass: spec.storageClassName,
        volumeName: spec.volumeName,
        accessModes: spec.accessModes,
        requested: asObj(asObj(spec.resources).requests).storage,
        capacity: asObj(status.capacity).storage,
      };
    case 'HorizontalPodAutoscaler':
      return {
        target: { kind: asObj(spec.scaleTargetRef).kind, name: asObj(spec.scaleTargetRef).name },
        minReplicas: spec.minReplicas ?? 1,
        maxReplicas: spec.maxReplicas,
        currentReplicas: status.currentReplicas,
        desiredReplicas: status.desiredReplicas,
      };
    case 'PodDisruptionBudget':
      return {
        minAvailable: spec.minAvailable,
        maxUnavailable: spec.maxUnavailable,
        selector: asObj(spec.selector).matchLabels,
        currentHealthy: status.currentHealthy,
        desiredHealthy: status.desiredHealthy,
        disruptionsAllowed: status.disruptionsAllowed,
        expectedPods: status.expectedPods,
      };
  }
}

export function project(kind: ResourceKind, o: KubeObject): InventoryItem {
  const m = o.metadata ?? {};
  return {
    kind,
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    uid: m.uid ?? '',
    resourceVersion: m.resourceVersion ?? '',
    createdAt: m.creationTimestamp ? Date.parse(m.creationTimestamp) : 0,
    labels: m.labels ?? {},
    ownerRefs: (m.ownerReferences ?? []).map((r) => ({ kind: r.kind, name: r.name, uid: r.uid })),
    ...(m.deletionTimestamp ? { deletingSince: Date.parse(m.deletionTimestamp) } : {}),
    summary: toJson(summaryOf(kind, o)) as JsonObject,
  };
}
