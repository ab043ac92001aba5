// Compact projections of Kubernetes objects: what the hub's inventory, the
// timeline and the actions need — never whole objects, never Secret data,
// ConfigMaps as key names only. `summary.spec` of a workload holds the fields
// whose change is worth a timeline entry; everything else there is status.
import {
  EXTENSION_ANNOTATION,
  EXTENSION_REQUESTER_ANNOTATION,
  INTERACTOR_ANNOTATION,
  TERMINATION_TIME_ANNOTATION,
} from '@wheelhouse/exec-guard/labels';
import {
  numberOrNull,
  optionalNumber,
  optionalString,
  recordOf,
  recordsOf,
  stringOrNull,
  stringRecordOf,
  stringsOf,
  toJsonObject,
  type ConditionDetail,
  type ContainerResources,
  type ContainerSummary,
  type InventoryItem,
  type JsonObject,
  type PodSummary,
  type ResourceKind,
  type UnknownRecord,
} from '@wheelhouse/protocol';

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

/** An RFC 3339 time as epoch ms, or null. */
const time = (v: unknown): number | null => (typeof v === 'string' ? numberOrNull(Date.parse(v)) : null);

export function meaningfulAnnotations(a: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a ?? {})) if (!NOISY_ANNOTATIONS.some((re) => re.test(k))) out[k] = v;
  return out;
}

function containerSpec(c: UnknownRecord): JsonObject {
  const env = recordsOf(c.env).map((e) => ({
    name: stringOrNull(e.name),
    value: e.value ?? null,
    valueFrom: e.valueFrom ?? null,
  }));
  return toJsonObject({
    name: c.name,
    image: c.image,
    command: c.command,
    args: c.args,
    env: env.length ? env : undefined,
    envFrom: c.envFrom,
    resources: Object.keys(recordOf(c.resources)).length ? c.resources : undefined,
    ports: c.ports,
    livenessProbe: c.livenessProbe,
    readinessProbe: c.readinessProbe,
    startupProbe: c.startupProbe,
  });
}

/** The pod-template fields that matter for "what changed". */
export function templateSpec(template: unknown): JsonObject {
  const t = recordOf(template);
  const meta = recordOf(t.metadata);
  const spec = recordOf(t.spec);
  const initContainers = recordsOf(spec.initContainers);
  const volumes = recordsOf(spec.volumes);
  return toJsonObject({
    labels: meta.labels,
    annotations: meaningfulAnnotations(stringRecordOf(meta.annotations)),
    containers: recordsOf(spec.containers).map(containerSpec),
    initContainers: initContainers.length ? initContainers.map(containerSpec) : undefined,
    serviceAccountName: spec.serviceAccountName,
    nodeSelector: spec.nodeSelector,
    tolerations: spec.tolerations,
    volumes: volumes.length ? volumes : undefined,
  });
}

export const imagesOf = (template: unknown): string[] =>
  recordsOf(recordOf(recordOf(template).spec).containers)
    .map((c) => stringOrNull(c.image))
    .filter((x): x is string => x !== null);

function workloadSpec(o: KubeObject, extra: UnknownRecord): JsonObject {
  return toJsonObject({
    labels: o.metadata?.labels,
    annotations: meaningfulAnnotations(o.metadata?.annotations),
    ...extra,
    template: templateSpec(o.spec?.template),
  });
}

function conditionMap(conds: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of recordsOf(conds)) {
    const t = stringOrNull(c.type);
    if (t) out[t] = stringOrNull(c.status) ?? 'Unknown';
  }
  return out;
}

/** Conditions with Kubernetes' reason and message, the way `kubectl describe` shows them. */
function conditionDetails(conds: unknown): ConditionDetail[] {
  return recordsOf(conds).flatMap((c) => {
    const type = stringOrNull(c.type);
    if (!type) return [];
    return [
      {
        type,
        status: stringOrNull(c.status) ?? 'Unknown',
        reason: stringOrNull(c.reason),
        // Long scheduler messages list every node: the first 1 KiB says why.
        message: clip(stringOrNull(c.message)),
        lastTransitionTime: time(c.lastTransitionTime),
      },
    ];
  });
}

const clip = (s: string | null, max = 1024): string | null =>
  s !== null && s.length > max ? `${s.slice(0, max)}…` : s;

function resourcesOf(c: UnknownRecord): ContainerResources | undefined {
  const r = recordOf(c.resources);
  const nonEmpty = (m: Record<string, string> | undefined) => (m && Object.keys(m).length ? m : undefined);
  const requests = nonEmpty(stringRecordOf(r.requests));
  const limits = nonEmpty(stringRecordOf(r.limits));
  if (!requests && !limits) return undefined;
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

/** Ephemeral (debug) containers with their state; nothing when the pod has none (most pods). */
function ephemeralOf(spec: UnknownRecord, status: UnknownRecord): Pick<PodSummary, 'ephemeralContainers'> {
  const specs = recordsOf(spec.ephemeralContainers);
  if (specs.length === 0) return {};
  const statuses = new Map(recordsOf(status.ephemeralContainerStatuses).map((s) => [stringOrNull(s.name), s]));
  return {
    ephemeralContainers: specs.map((c) => ({
      name: stringOrNull(c.name) ?? '',
      image: optionalString(c.image),
      target: stringOrNull(c.targetContainerName),
      state: Object.keys(recordOf(statuses.get(stringOrNull(c.name))?.state))[0] ?? 'waiting',
    })),
  };
}

function podSummary(o: KubeObject): PodSummary {
  const status = recordOf(o.status);
  const spec = recordOf(o.spec);
  const statuses = new Map(recordsOf(status.containerStatuses).map((s) => [stringOrNull(s.name), s]));
  const containers = recordsOf(spec.containers).map((c): ContainerSummary => {
    const s = statuses.get(stringOrNull(c.name)) ?? {};
    const state = recordOf(s.state);
    const stateName = Object.keys(state)[0] ?? 'waiting';
    const detail = recordOf(state[stateName]);
    const last = recordOf(recordOf(s.lastState).terminated);
    const ports = recordsOf(c.ports).flatMap((p) => {
      const containerPort = numberOrNull(p.containerPort);
      if (containerPort === null) return [];
      return [{ containerPort, name: optionalString(p.name), protocol: optionalString(p.protocol) }];
    });
    return {
      ...(ports.length > 0 ? { ports } : {}),
      name: stringOrNull(c.name) ?? '',
      image: optionalString(c.image),
      ready: s.ready === true,
      restartCount: numberOrNull(s.restartCount) ?? 0,
      state: stateName,
      reason: stringOrNull(detail.reason),
      message: clip(stringOrNull(detail.message)),
      exitCode: numberOrNull(detail.exitCode),
      resources: resourcesOf(c),
      lastTerminated: Object.keys(last).length
        ? {
            reason: stringOrNull(last.reason),
            exitCode: numberOrNull(last.exitCode),
            finishedAt: time(last.finishedAt),
          }
        : null,
    };
  });
  const conditions = conditionMap(status.conditions);
  const ann = o.metadata?.annotations ?? {};
  const terminationTime = ann[TERMINATION_TIME_ANNOTATION];
  return {
    phase: stringOrNull(status.phase) ?? 'Pending',
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
    nodeName: stringOrNull(spec.nodeName),
    podIP: stringOrNull(status.podIP),
    qosClass: stringOrNull(status.qosClass),
    startTime: time(status.startTime),
    reason: stringOrNull(status.reason),
    restarts: containers.reduce((n, c) => n + c.restartCount, 0),
    containers,
    initContainers: recordsOf(spec.initContainers).map((c) => ({
      name: stringOrNull(c.name) ?? '',
      image: optionalString(c.image),
    })),
    ...ephemeralOf(spec, status),
    conditionDetails: conditionDetails(status.conditions),
  };
}

const taintsOf = (spec: UnknownRecord) =>
  recordsOf(spec.taints).map((t) => ({
    key: optionalString(t.key),
    value: optionalString(t.value),
    effect: optionalString(t.effect),
  }));

/** The item of `kind` with its summary; the switch makes each summary match its kind's schema. */
function itemOf(kind: ResourceKind, base: ItemBase, o: KubeObject): InventoryItem {
  const spec = recordOf(o.spec);
  const status = recordOf(o.status);
  const ann = o.metadata?.annotations ?? {};
  switch (kind) {
    case 'Namespace':
      return { ...base, kind, summary: { phase: optionalString(status.phase) } };
    case 'Node': {
      const info = recordOf(status.nodeInfo);
      return {
        ...base,
        kind,
        summary: {
          unschedulable: spec.unschedulable === true,
          conditions: conditionMap(status.conditions),
          capacity: stringRecordOf(status.capacity),
          allocatable: stringRecordOf(status.allocatable),
          taints: taintsOf(spec),
          kubeletVersion: optionalString(info.kubeletVersion),
          addresses: recordsOf(status.addresses).map((a) => ({
            type: optionalString(a.type),
            address: optionalString(a.address),
          })),
          spec: toJsonObject({ unschedulable: spec.unschedulable === true, taints: taintsOf(spec) }),
        },
      };
    }
    case 'Pod':
      return { ...base, kind, summary: podSummary(o) };
    case 'Deployment':
      return {
        ...base,
        kind,
        summary: {
          replicas: numberOrNull(spec.replicas) ?? 1,
          readyReplicas: numberOrNull(status.readyReplicas) ?? 0,
          availableReplicas: numberOrNull(status.availableReplicas) ?? 0,
          updatedReplicas: numberOrNull(status.updatedReplicas) ?? 0,
          generation: optionalNumber(o.metadata?.generation),
          observedGeneration: optionalNumber(status.observedGeneration),
          revision: ann['deployment.kubernetes.io/revision'],
          paused: spec.paused === true,
          selector: stringRecordOf(recordOf(spec.selector).matchLabels),
          images: imagesOf(spec.template),
          conditions: conditionMap(status.conditions),
          conditionDetails: conditionDetails(status.conditions),
          spec: workloadSpec(o, {
            replicas: numberOrNull(spec.replicas) ?? 1,
            strategy: spec.strategy,
            paused: spec.paused,
          }),
        },
      };
    case 'ReplicaSet':
      return {
        ...base,
        kind,
        summary: {
          replicas: numberOrNull(spec.replicas) ?? 1,
          readyReplicas: numberOrNull(status.readyReplicas) ?? 0,
          availableReplicas: numberOrNull(status.availableReplicas) ?? 0,
          revision: ann['deployment.kubernetes.io/revision'],
          changeCause: ann['kubernetes.io/change-cause'],
          podTemplateHash: o.metadata?.labels?.['pod-template-hash'],
          images: imagesOf(spec.template),
        },
      };
    case 'StatefulSet':
      return {
        ...base,
        kind,
        summary: {
          replicas: numberOrNull(spec.replicas) ?? 1,
          readyReplicas: numberOrNull(status.readyReplicas) ?? 0,
          currentRevision: optionalString(status.currentRevision),
          updateRevision: optionalString(status.updateRevision),
          serviceName: optionalString(spec.serviceName),
          images: imagesOf(spec.template),
          spec: workloadSpec(o, {
            replicas: numberOrNull(spec.replicas) ?? 1,
            updateStrategy: spec.updateStrategy,
            volumeClaimTemplates: recordsOf(spec.volumeClaimTemplates).map((v) => recordOf(v.metadata).name),
          }),
        },
      };
    case 'DaemonSet':
      return {
        ...base,
        kind,
        summary: {
          desired: numberOrNull(status.desiredNumberScheduled) ?? 0,
          ready: numberOrNull(status.numberReady) ?? 0,
          updated: numberOrNull(status.updatedNumberScheduled) ?? 0,
          available: numberOrNull(status.numberAvailable) ?? 0,
          images: imagesOf(spec.template),
          spec: workloadSpec(o, { updateStrategy: spec.updateStrategy }),
        },
      };
    case 'Job':
      return {
        ...base,
        kind,
        summary: {
          active: numberOrNull(status.active) ?? 0,
          succeeded: numberOrNull(status.succeeded) ?? 0,
          failed: numberOrNull(status.failed) ?? 0,
          completions: optionalNumber(spec.completions),
          parallelism: optionalNumber(spec.parallelism),
          suspend: spec.suspend === true,
          startTime: time(status.startTime),
          completionTime: time(status.completionTime),
          conditions: conditionMap(status.conditions),
          conditionDetails: conditionDetails(status.conditions),
          images: imagesOf(spec.template),
          spec: workloadSpec(o, {
            completions: spec.completions,
            parallelism: spec.parallelism,
            backoffLimit: spec.backoffLimit,
            suspend: spec.suspend,
          }),
        },
      };
    case 'CronJob': {
      const jobTemplate = recordOf(recordOf(spec.jobTemplate).spec);
      return {
        ...base,
        kind,
        summary: {
          schedule: optionalString(spec.schedule),
          suspend: spec.suspend === true,
          lastScheduleTime: time(status.lastScheduleTime),
          lastSuccessfulTime: time(status.lastSuccessfulTime),
          active: recordsOf(status.active).length,
          images: imagesOf(jobTemplate.template),
          spec: toJsonObject({
            labels: o.metadata?.labels,
            annotations: meaningfulAnnotations(o.metadata?.annotations),
            schedule: spec.schedule,
            suspend: spec.suspend,
            concurrencyPolicy: spec.concurrencyPolicy,
            template: templateSpec(jobTemplate.template),
          }),
        },
      };
    }
    case 'Service':
      return {
        ...base,
        kind,
        summary: {
          type: optionalString(spec.type),
          clusterIP: optionalString(spec.clusterIP),
          selector: stringRecordOf(spec.selector),
          ports: recordsOf(spec.ports).map((p) => ({
            name: optionalString(p.name),
            port: optionalNumber(p.port),
            targetPort: optionalNumber(p.targetPort) ?? optionalString(p.targetPort),
            protocol: optionalString(p.protocol),
            nodePort: optionalNumber(p.nodePort),
          })),
        },
      };
    case 'Ingress':
      return {
        ...base,
        kind,
        summary: {
          className: optionalString(spec.ingressClassName),
          hosts: recordsOf(spec.rules)
            .map((r) => r.host)
            .filter((h) => typeof h === 'string'),
          tlsHosts: recordsOf(spec.tls).flatMap((t) => stringsOf(t.hosts) ?? []),
        },
      };
    case 'ConfigMap':
      return {
        ...base,
        kind,
        summary: { keys: [...Object.keys(o.data ?? {}), ...Object.keys(o.binaryData ?? {})].sort() },
      };
    case 'PersistentVolumeClaim':
      return {
        ...base,
        kind,
        summary: {
          phase: optionalString(status.phase),
          storageClass: optionalString(spec.storageClassName),
          volumeName: optionalString(spec.volumeName),
          accessModes: stringsOf(spec.accessModes),
          requested: optionalString(recordOf(recordOf(spec.resources).requests).storage),
          capacity: optionalString(recordOf(status.capacity).storage),
        },
      };
    case 'HorizontalPodAutoscaler': {
      const ref = recordOf(spec.scaleTargetRef);
      return {
        ...base,
        kind,
        summary: {
          target: { kind: optionalString(ref.kind), name: optionalString(ref.name) },
          minReplicas: numberOrNull(spec.minReplicas) ?? 1,
          maxReplicas: optionalNumber(spec.maxReplicas),
          currentReplicas: optionalNumber(status.currentReplicas),
          desiredReplicas: optionalNumber(status.desiredReplicas),
        },
      };
    }
    case 'PodDisruptionBudget':
      return {
        ...base,
        kind,
        summary: {
          minAvailable: optionalNumber(spec.minAvailable) ?? optionalString(spec.minAvailable),
          maxUnavailable: optionalNumber(spec.maxUnavailable) ?? optionalString(spec.maxUnavailable),
          selector: stringRecordOf(recordOf(spec.selector).matchLabels),
          currentHealthy: optionalNumber(status.currentHealthy),
          desiredHealthy: optionalNumber(status.desiredHealthy),
          disruptionsAllowed: optionalNumber(status.disruptionsAllowed),
          expectedPods: optionalNumber(status.expectedPods),
        },
      };
  }
}

/** What every item carries whatever its kind. */
type ItemBase = Omit<InventoryItem, 'kind' | 'summary'>;

export function project(kind: ResourceKind, o: KubeObject): InventoryItem {
  const m = o.metadata ?? {};
  const base: ItemBase = {
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    uid: m.uid ?? '',
    resourceVersion: m.resourceVersion ?? '',
    createdAt: m.creationTimestamp ? Date.parse(m.creationTimestamp) : 0,
    labels: m.labels ?? {},
    ownerRefs: (m.ownerReferences ?? []).map((r) => ({ kind: r.kind, name: r.name, uid: r.uid })),
    ...(m.deletionTimestamp ? { deletingSince: Date.parse(m.deletionTimestamp) } : {}),
  };
  return withFixedShape(itemOf(kind, base, o));
}

/**
 * The item as one plain literal. Built with object spread ({ ...base, kind,
 * summary }), nearly every item got a hidden class of its own (V8's clone
 * path): at 30,000 pods, ~30,000 maps, ~16 MB of the agent's heap. A literal
 * with the same keys in the same order shares one.
 */
function withFixedShape(it: InventoryItem): InventoryItem {
  const out = {
    namespace: it.namespace,
    name: it.name,
    uid: it.uid,
    resourceVersion: it.resourceVersion,
    createdAt: it.createdAt,
    labels: it.labels,
    ownerRefs: it.ownerRefs,
    kind: it.kind,
    summary: it.summary,
  } as InventoryItem;
  if (it.deletingSince !== undefined) out.deletingSince = it.deletingSince;
  return out;
}
