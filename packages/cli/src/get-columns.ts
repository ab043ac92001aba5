// The columns of `wheelhouse get <kind>`: kubectl's, from the inventory's
// summaries (a column kubectl has and the inventory does not carry is left out).
import type { InventoryItem, InventoryItemOf, PodSummary, ResourceKind } from '@wheelhouse/protocol';
import { ageOf, humanDuration, type Column } from './output.js';

type Columns<K extends ResourceKind> = Column<InventoryItemOf<K>>[];

const name: Column<InventoryItem> = { header: 'NAME', cell: (i) => i.name };
const age = (now: number): Column<InventoryItem> => ({ header: 'AGE', cell: (i) => ageOf(i.createdAt, now) });
const list = (xs: readonly string[] | undefined): string => (xs ?? []).join(',');
const selector = (m: Record<string, string> | undefined): string =>
  Object.entries(m ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** kubectl's STATUS of a pod: the reason a container is waiting or terminated, else the phase. */
export function podStatus(s: PodSummary, deletingSince?: number): string {
  let reason = s.reason ?? s.phase;
  let running = false;
  for (const c of [...s.containers].reverse()) {
    if (c.state === 'waiting' && c.reason) reason = c.reason;
    else if (c.state === 'terminated' && c.reason) reason = c.reason;
    else if (c.state === 'terminated') reason = c.exitCode === null ? 'Terminated' : `ExitCode:${c.exitCode}`;
    else if (c.state === 'running' && c.ready) running = true;
  }
  if (reason === 'Completed' && running) reason = s.ready ? 'Running' : 'NotReady';
  return deletingSince !== undefined ? 'Terminating' : reason;
}

/** RESTARTS like kubectl: the count, and how long ago the last one was: `4 (2m ago)`. */
export function podRestarts(s: PodSummary, now: number): string {
  const total = s.containers.reduce((n, c) => n + c.restartCount, 0);
  const last = Math.max(0, ...s.containers.map((c) => c.lastTerminated?.finishedAt ?? 0));
  return total > 0 && last > 0 ? `${total} (${humanDuration(now - last)} ago)` : String(total);
}

const accessMode: Record<string, string> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};

function nodeStatus(s: InventoryItemOf<'Node'>['summary']): string {
  const ready = s.conditions.Ready;
  const status = ready === 'True' ? 'Ready' : ready === 'False' ? 'NotReady' : 'Unknown';
  return s.unschedulable ? `${status},SchedulingDisabled` : status;
}

function nodeRoles(labels: Record<string, string>): string {
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  return roles.length ? roles.sort().join(',') : '<none>';
}

function jobStatus(s: InventoryItemOf<'Job'>['summary']): string {
  if (s.conditions.Complete === 'True') return 'Complete';
  if (s.conditions.Failed === 'True') return 'Failed';
  if (s.suspend) return 'Suspended';
  return 'Running';
}

function ports(s: InventoryItemOf<'Service'>['summary']): string {
  return s.ports.map((p) => `${p.port ?? ''}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

const intOrString = (v: number | string | undefined): string => (v === undefined ? 'N/A' : String(v));

/** The columns of each kind, in kubectl's order; NAMESPACE goes first with -A. */
export function columnsOf(kind: ResourceKind, now: number): Column<InventoryItem>[] {
  const byKind: { [K in ResourceKind]: Columns<K> } = {
    Pod: [
      {
        header: 'READY',
        cell: (i) => `${i.summary.containers.filter((c) => c.ready).length}/${i.summary.containers.length}`,
      },
      { header: 'STATUS', cell: (i) => podStatus(i.summary, i.deletingSince) },
      { header: 'RESTARTS', cell: (i) => podRestarts(i.summary, now) },
      age(now),
      { header: 'IP', cell: (i) => i.summary.podIP ?? '', wide: true },
      { header: 'NODE', cell: (i) => i.summary.nodeName ?? '', wide: true },
    ],
    Deployment: [
      { header: 'READY', cell: (i) => `${i.summary.readyReplicas}/${i.summary.replicas}` },
      { header: 'UP-TO-DATE', cell: (i) => String(i.summary.updatedReplicas) },
      { header: 'AVAILABLE', cell: (i) => String(i.summary.availableReplicas) },
      age(now),
      { header: 'IMAGES', cell: (i) => list(i.summary.images), wide: true },
      { header: 'SELECTOR', cell: (i) => selector(i.summary.selector), wide: true },
    ],
    ReplicaSet: [
      { header: 'DESIRED', cell: (i) => String(i.summary.replicas) },
      { header: 'READY', cell: (i) => String(i.summary.readyReplicas) },
      age(now),
      { header: 'IMAGES', cell: (i) => list(i.summary.images), wide: true },
      { header: 'REVISION', cell: (i) => i.summary.revision ?? '', wide: true },
    ],
    StatefulSet: [
      { header: 'READY', cell: (i) => `${i.summary.readyReplicas}/${i.summary.replicas}` },
      age(now),
      { header: 'IMAGES', cell: (i) => list(i.summary.images), wide: true },
      { header: 'SERVICE', cell: (i) => i.summary.serviceName ?? '', wide: true },
    ],
    DaemonSet: [
      { header: 'DESIRED', cell: (i) => String(i.summary.desired) },
      { header: 'READY', cell: (i) => String(i.summary.ready) },
      { header: 'UP-TO-DATE', cell: (i) => String(i.summary.updated) },
      { header: 'AVAILABLE', cell: (i) => String(i.summary.available) },
      age(now),
      { header: 'IMAGES', cell: (i) => list(i.summary.images), wide: true },
    ],
    Job: [
      { header: 'STATUS', cell: (i) => jobStatus(i.summary) },
      { header: 'COMPLETIONS', cell: (i) => `${i.summary.succeeded}/${i.summary.completions ?? 1}` },
      {
        header: 'DURATION',
        cell: (i) =>
          i.summary.startTime === null ? '' : humanDuration((i.summary.completionTime ?? now) - i.summary.startTime),
      },
      age(now),
      { header: 'IMAGES', cell: (i) => list(i.summary.images), wide: true },
    ],
    CronJob: [
      { header: 'SCHEDULE', cell: (i) => i.summary.schedule ?? '' },
      { header: 'SUSPEND', cell: (i) => (i.summary.suspend ? 'True' : 'False') },
      { header: 'ACTIVE', cell: (i) => String(i.summary.active) },
      { header: 'LAST SCHEDULE', cell: (i) => ageOf(i.summary.lastScheduleTime, now) },
      age(now),
      { header: 'IMAGES', cell: (i) => list(i.summary.images), wide: true },
    ],
    Node: [
      { header: 'STATUS', cell: (i) => nodeStatus(i.summary) },
      { header: 'ROLES', cell: (i) => nodeRoles(i.labels) },
      age(now),
      { header: 'VERSION', cell: (i) => i.summary.kubeletVersion ?? '' },
      {
        header: 'INTERNAL-IP',
        cell: (i) => i.summary.addresses.find((a) => a.type === 'InternalIP')?.address ?? '',
        wide: true,
      },
      { header: 'TAINTS', cell: (i) => String(i.summary.taints.length), wide: true },
    ],
    Namespace: [{ header: 'STATUS', cell: (i) => i.summary.phase ?? '' }, age(now)],
    Service: [
      { header: 'TYPE', cell: (i) => i.summary.type ?? 'ClusterIP' },
      { header: 'CLUSTER-IP', cell: (i) => i.summary.clusterIP ?? '' },
      { header: 'PORT(S)', cell: (i) => ports(i.summary) },
      age(now),
      { header: 'SELECTOR', cell: (i) => selector(i.summary.selector), wide: true },
    ],
    ConfigMap: [{ header: 'DATA', cell: (i) => String(i.summary.keys.length) }, age(now)],
    PersistentVolumeClaim: [
      { header: 'STATUS', cell: (i) => i.summary.phase ?? '' },
      { header: 'VOLUME', cell: (i) => i.summary.volumeName ?? '' },
      { header: 'CAPACITY', cell: (i) => i.summary.capacity ?? '' },
      {
        header: 'ACCESS MODES',
        cell: (i) => (i.summary.accessModes ?? []).map((m) => accessMode[m] ?? m).join(','),
      },
      { header: 'STORAGECLASS', cell: (i) => i.summary.storageClass ?? '' },
      age(now),
      { header: 'REQUESTED', cell: (i) => i.summary.requested ?? '', wide: true },
    ],
    Ingress: [
      { header: 'CLASS', cell: (i) => i.summary.className ?? '' },
      { header: 'HOSTS', cell: (i) => list(i.summary.hosts) || '*' },
      age(now),
      { header: 'TLS HOSTS', cell: (i) => list(i.summary.tlsHosts), wide: true },
    ],
    HorizontalPodAutoscaler: [
      {
        header: 'REFERENCE',
        cell: (i) => `${i.summary.target.kind ?? ''}/${i.summary.target.name ?? ''}`,
      },
      { header: 'MINPODS', cell: (i) => String(i.summary.minReplicas) },
      { header: 'MAXPODS', cell: (i) => String(i.summary.maxReplicas ?? '') },
      { header: 'REPLICAS', cell: (i) => String(i.summary.currentReplicas ?? 0) },
      age(now),
    ],
    PodDisruptionBudget: [
      { header: 'MIN AVAILABLE', cell: (i) => intOrString(i.summary.minAvailable) },
      { header: 'MAX UNAVAILABLE', cell: (i) => intOrString(i.summary.maxUnavailable) },
      { header: 'ALLOWED DISRUPTIONS', cell: (i) => String(i.summary.disruptionsAllowed ?? 0) },
      age(now),
    ],
  };
  // Each kind's cells read that kind's summary; the items of a `get` are all of that kind.
  return [name, ...(byKind[kind] as Column<InventoryItem>[])];
}
