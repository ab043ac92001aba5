// What the health checks read: per watched object, a projection of only the
// fields the checks (pod-checks.ts, workload-checks.ts) and the usage reader
// read — Kubernetes-shaped, so the checks read it as they read an object —
// plus the last Warning Events per object. Kept apart from the inventory
// projections because checks need fields (probes, resources, condition
// messages) the hub's inventory never carries. Pods, Nodes and ReplicaSets
// (the kinds a big cluster has most of) keep only what is read; the other
// kinds keep the object minus its bulk (managedFields, env, volume sources,
// the last-applied annotation).
import {
  isRecord,
  recordOf,
  recordsOf,
  stringOrNull,
  type ResourceKind,
  type UnknownRecord,
  type UsageMessage,
} from '@wheelhouse/protocol';
import type { KubeObject } from '../projections.js';

export interface WarningEvent {
  reason: string;
  message: string;
  count: number;
  time: number;
}

/** Warning Events kept per involved object: enough for evidence, bounded. */
const EVENTS_PER_OBJECT = 3;

/** Memory samples kept per container (one a minute): the OOM check's "usage before the kill". */
const MEMORY_SAMPLES = 15;

export interface MemorySample {
  time: number;
  bytes: number;
}

export class ClusterView {
  private readonly byKind = new Map<ResourceKind, Map<string, UnknownRecord>>();
  /** "namespace/name" → uid per kind: byName is called per pod (usage samples), so no scan. */
  private readonly names = new Map<ResourceKind, Map<string, string>>();
  private readonly events = new Map<string, WarningEvent[]>();
  /** Recent memory use per "namespace/pod/container", oldest first. */
  private readonly memory = new Map<string, MemorySample[]>();
  /** Whether metrics.k8s.io answered last time, or why not (null: not read yet). */
  usageState: { available: true } | { available: false; reason: string } | null = null;

  set(kind: ResourceKind, o: KubeObject): void {
    const uid = o.metadata?.uid;
    if (!uid) return;
    let m = this.byKind.get(kind);
    if (!m) {
      m = new Map<string, UnknownRecord>();
      this.byKind.set(kind, m);
    }
    m.set(uid, trimForChecks(kind, o));
    this.namesOf(kind).set(nameKey(o.metadata?.namespace, o.metadata?.name), uid);
  }

  private namesOf(kind: ResourceKind): Map<string, string> {
    let n = this.names.get(kind);
    if (!n) {
      n = new Map<string, string>();
      this.names.set(kind, n);
    }
    return n;
  }

  remove(kind: ResourceKind, o: KubeObject): void {
    const uid = o.metadata?.uid;
    if (!uid) return;
    this.byKind.get(kind)?.delete(uid);
    const key = nameKey(o.metadata?.namespace, o.metadata?.name);
    if (this.names.get(kind)?.get(key) === uid) this.names.get(kind)?.delete(key);
    this.events.delete(uid);
    if (kind === 'Pod') {
      const prefix = `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}/`;
      for (const key of this.memory.keys()) if (key.startsWith(prefix)) this.memory.delete(key);
    }
  }

  /** A usage sample from metrics.k8s.io: keeps each container's memory for the OOM evidence. */
  noteUsage(sample: UsageMessage): void {
    this.usageState = sample.available
      ? { available: true }
      : { available: false, reason: sample.reason ?? 'metrics.k8s.io not available' };
    for (const p of sample.pods) {
      for (const c of p.containers) {
        const key = `${p.namespace}/${p.name}/${c.name}`;
        const list = this.memory.get(key) ?? [];
        if (list.at(-1)?.time === p.time) continue; // metrics-server had nothing newer
        list.push({ time: p.time, bytes: c.memory });
        this.memory.set(key, list.slice(-MEMORY_SAMPLES));
      }
    }
  }

  /** The container's last memory sample at or before `time` (e.g. an OOM kill), if one was seen. */
  memoryBefore(namespace: string, pod: string, container: string, time: number): MemorySample | undefined {
    return this.memory
      .get(`${namespace}/${pod}/${container}`)
      ?.filter((s) => s.time <= time)
      .at(-1);
  }

  replace(kind: ResourceKind, objects: readonly KubeObject[]): void {
    this.byKind.set(kind, new Map());
    this.names.set(kind, new Map());
    for (const o of objects) this.set(kind, o);
  }

  /** Replaces a kind with records already trimmed (trimForChecks), by uid: a paged list's. */
  replaceTrimmed(kind: ResourceKind, records: Map<string, UnknownRecord>): void {
    this.byKind.set(kind, records);
    const names = new Map<string, string>();
    for (const [uid, r] of records) {
      const m = recordOf(r.metadata);
      names.set(nameKey(stringOrNull(m.namespace) ?? undefined, stringOrNull(m.name) ?? undefined), uid);
    }
    this.names.set(kind, names);
  }

  all(kind: ResourceKind): UnknownRecord[] {
    return [...(this.byKind.get(kind)?.values() ?? [])];
  }

  byName(kind: ResourceKind, namespace: string, name: string): UnknownRecord | undefined {
    const uid = this.names.get(kind)?.get(nameKey(namespace, name));
    return uid === undefined ? undefined : this.byKind.get(kind)?.get(uid);
  }

  byUid(kind: ResourceKind, uid: string): UnknownRecord | undefined {
    return this.byKind.get(kind)?.get(uid);
  }

  /** A Kubernetes Event: Warnings are kept per involved object (newest first). */
  onEvent(e: KubeObject): boolean {
    const ev = e as UnknownRecord;
    if (ev.type !== 'Warning') return false;
    const uid = stringOrNull(recordOf(ev.involvedObject).uid);
    if (!uid) return false;
    const reason = stringOrNull(ev.reason) ?? '';
    const time = Date.parse(stringOrNull(ev.lastTimestamp) ?? stringOrNull(ev.eventTime) ?? '') || Date.now();
    const list = (this.events.get(uid) ?? []).filter((x) => x.reason !== reason);
    list.unshift({ reason, message: stringOrNull(ev.message) ?? '', count: Number(ev.count ?? 1) || 1, time });
    this.events.set(uid, list.slice(0, EVENTS_PER_OBJECT));
    return true;
  }

  warnings(uid: string): WarningEvent[] {
    return this.events.get(uid) ?? [];
  }
}

const nameKey = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ''}/${name ?? ''}`;

/** What the view keeps of an object (a copy: the object itself is not retained). */
export function trimForChecks(kind: ResourceKind, o: KubeObject): UnknownRecord {
  switch (kind) {
    case 'Pod':
      return podForChecks(o);
    case 'Node':
      return nodeForChecks(o);
    case 'ReplicaSet':
      return replicaSetForChecks(o);
    default:
      return bulkTrimmed(o);
  }
}

/** The object's own fields that are set (no keys holding undefined: each costs memory per object). */
function pick(r: unknown, keys: readonly string[]): UnknownRecord {
  const src = recordOf(r);
  const out: UnknownRecord = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
  return out;
}

const META_READ = ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp'] as const;
const CONDITION_READ = ['type', 'status', 'reason', 'message', 'lastTransitionTime'] as const;

/**
 * A pod as the checks read it: its containers' image, resources and readiness
 * probe, its claims, phase, the PodScheduled condition, and each container's
 * waiting reason, running start and last termination. Big clusters are mostly
 * pods, so this is what the agent's memory per pod depends on (a trimmed whole
 * pod was ~4× as big).
 */
function podForChecks(o: KubeObject): UnknownRecord {
  const spec = recordOf(o.spec);
  const status = recordOf(o.status);
  const claims = recordsOf(spec.volumes)
    .filter((v) => v.persistentVolumeClaim !== undefined)
    .map((v) => ({ name: v.name, persistentVolumeClaim: v.persistentVolumeClaim }));
  const scheduled = recordsOf(status.conditions)
    .filter((c) => c.type === 'PodScheduled')
    .map((c) => pick(c, CONDITION_READ));
  // Built property by property, not by object spread: spread gave nearly every pod's records a hidden
  // class of its own (V8's clone path), ~30,000 maps at 30,000 pods; the same keys in the same order share one.
  const specOut: UnknownRecord = {
    containers: recordsOf(spec.containers).map((c) => pick(c, ['name', 'image', 'resources', 'readinessProbe'])),
  };
  if (claims.length) specOut.volumes = claims;
  const statusOut = pick(status, ['phase']);
  if (scheduled.length) statusOut.conditions = scheduled;
  statusOut.containerStatuses = recordsOf(status.containerStatuses).map(containerStatusForChecks);
  return { metadata: pick(o.metadata, META_READ), spec: specOut, status: statusOut };
}

function containerStatusForChecks(s: UnknownRecord): UnknownRecord {
  const state = recordOf(s.state);
  const terminated = recordOf(s.lastState).terminated;
  const out = pick(s, ['name', 'ready', 'restartCount']);
  const stateOut: UnknownRecord = {};
  if (state.waiting !== undefined) stateOut.waiting = pick(state.waiting, ['reason', 'message']);
  if (state.running !== undefined) stateOut.running = pick(state.running, ['startedAt']);
  if (state.terminated !== undefined) stateOut.terminated = {};
  out.state = stateOut;
  if (terminated !== undefined) out.lastState = { terminated: pick(terminated, ['exitCode', 'reason', 'finishedAt']) };
  return out;
}

/** A node as the checks and the usage reader read it: conditions, cordon, allocatable (not its image list). */
function nodeForChecks(o: KubeObject): UnknownRecord {
  const status = recordOf(o.status);
  return {
    metadata: pick(o.metadata, META_READ),
    spec: pick(o.spec, ['unschedulable']),
    status: {
      ...pick(status, ['allocatable']),
      conditions: recordsOf(status.conditions).map((c) => pick(c, CONDITION_READ)),
    },
  };
}

/** A ReplicaSet as the quota check reads it (old revisions are many, and carry a whole pod template each). */
function replicaSetForChecks(o: KubeObject): UnknownRecord {
  return {
    metadata: pick(o.metadata, META_READ),
    spec: pick(o.spec, ['replicas']),
    status: { conditions: recordsOf(recordOf(o.status).conditions).map((c) => pick(c, CONDITION_READ)) },
  };
}

/** The other kinds (few per cluster): the object minus what no check needs. */
function bulkTrimmed(o: KubeObject): UnknownRecord {
  const meta = { ...recordOf(o.metadata) };
  delete meta.managedFields;
  const annotations = { ...recordOf(meta.annotations) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  meta.annotations = annotations;
  return { ...o, metadata: meta, spec: trimSpec(o.spec) };
}

/** Drops env values and volume sources at every pod spec level (they can be large and are never evidence). */
function trimSpec(spec: unknown): unknown {
  if (!isRecord(spec)) return spec;
  const out: UnknownRecord = { ...spec };
  if (Array.isArray(spec.containers)) {
    out.containers = recordsOf(spec.containers).map((c) => ({ ...c, env: undefined, envFrom: undefined }));
  }
  if (Array.isArray(spec.volumes)) {
    out.volumes = recordsOf(spec.volumes).map((v) => ({
      name: v.name,
      persistentVolumeClaim: v.persistentVolumeClaim,
    }));
  }
  if (isRecord(spec.template)) out.template = { ...spec.template, spec: trimSpec(spec.template.spec) };
  if (isRecord(spec.jobTemplate)) out.jobTemplate = { ...spec.jobTemplate, spec: trimSpec(spec.jobTemplate.spec) };
  return out;
}

// ---- small readers shared by the checks

export const metaOf = (o: UnknownRecord) => {
  const m = recordOf(o.metadata);
  return {
    name: stringOrNull(m.name) ?? '',
    namespace: stringOrNull(m.namespace) ?? '',
    uid: stringOrNull(m.uid) ?? '',
    created: Date.parse(stringOrNull(m.creationTimestamp) ?? '') || null,
    labels: recordOf(m.labels),
    annotations: recordOf(m.annotations),
  };
};

export interface Condition {
  type: string;
  status: string;
  reason: string | null;
  message: string | null;
  since: number | null;
}

export function conditionOf(o: UnknownRecord, type: string): Condition | undefined {
  const c = recordsOf(recordOf(o.status).conditions).find((x) => x.type === type);
  if (!c) return undefined;
  return {
    type,
    status: stringOrNull(c.status) ?? 'Unknown',
    reason: stringOrNull(c.reason),
    message: stringOrNull(c.message),
    since: Date.parse(stringOrNull(c.lastTransitionTime) ?? '') || null,
  };
}

/** The pod template's spec of a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job; CronJob's job template). */
export function podSpecOf(kind: string, o: UnknownRecord): UnknownRecord {
  const spec = recordOf(o.spec);
  if (kind === 'Pod') return spec;
  if (kind === 'CronJob') return recordOf(recordOf(recordOf(recordOf(spec.jobTemplate).spec).template).spec);
  return recordOf(recordOf(spec.template).spec);
}

export function templateLabelsOf(o: UnknownRecord): Record<string, unknown> {
  return recordOf(recordOf(recordOf(recordOf(o.spec).template).metadata).labels);
}

/** Whether a label selector's matchLabels / matchExpressions (In, NotIn, Exists, DoesNotExist) select these labels. */
export function selects(selector: unknown, labels: Record<string, unknown>): boolean {
  const s = recordOf(selector);
  const matchLabels = recordOf(s.matchLabels);
  const exprs = recordsOf(s.matchExpressions);
  if (Object.keys(matchLabels).length === 0 && exprs.length === 0) return false;
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  for (const e of exprs) {
    const key = stringOrNull(e.key) ?? '';
    const values = Array.isArray(e.values) ? e.values : [];
    const has = Object.hasOwn(labels, key);
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(labels[key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
