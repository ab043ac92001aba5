// Turns inventory transitions and Kubernetes Events into timeline events.
// Event ids are derived from the facts they report (uid + what changed + to
// what), so a re-sent event is recognised by the hub and stored once.
import {
  LIFECYCLE_EVENT_KINDS,
  deletedEvent,
  hasDeletionEvent,
  isResourceKind,
  RESOURCE_KINDS,
  optionalString,
  recordOf,
  stringOrNull,
} from '@wheelhouse/protocol';
import type {
  ContainerSummary,
  InventoryItem,
  InventoryItemOf,
  JsonObject,
  Owned,
  TimelineDataOf,
  TimelineEventInput,
  WorkloadRef,
} from '@wheelhouse/protocol';
import { describeChanges, diff } from './diff.js';
import type { KubeObject } from '../projections.js';

/** The workload an object belongs to (see resolveWorkload in protocol), given the object's namespace and owners. */
export type OwnerResolver = (item: Owned & { namespace: string }) => WorkloadRef | undefined;

const SPEC_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Node']);
const WATCHED_NODE_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

const containersOf = (i: InventoryItem): ContainerSummary[] => (i.kind === 'Pod' ? i.summary.containers : []);
const specOf = (i: InventoryItem): JsonObject | undefined => ('spec' in i.summary ? i.summary.spec : undefined);
const conditionsOf = (i: InventoryItem): Record<string, string> => (i.kind === 'Node' ? i.summary.conditions : {});

function base(
  i: InventoryItem,
  owner: OwnerResolver,
): Pick<TimelineEventInput, 'kind' | 'namespace' | 'name' | 'owner'> {
  const o = owner(i);
  return { kind: i.kind, namespace: i.namespace, name: i.name, ...(o ? { owner: o } : {}) };
}

/** Timeline events for one observed change of a watched object. */
export function eventsForChange(
  before: InventoryItem | undefined,
  after: InventoryItem | undefined,
  now: number,
  owner: OwnerResolver,
): TimelineEventInput[] {
  const item = after ?? before;
  if (!item) return [];
  const out: TimelineEventInput[] = [];

  if (!before && after && LIFECYCLE_EVENT_KINDS.has(after.kind)) {
    out.push({
      id: `created:${after.uid}`,
      time: after.createdAt || now,
      type: 'created',
      severity: 'info',
      ...base(after, owner),
      summary: `${after.kind} ${after.name} created`,
      data: { images: 'images' in after.summary ? after.summary.images : null },
    });
  }
  if (before && !after && hasDeletionEvent(before.kind)) out.push(deletedEvent(before, now, owner(before)));
  if (!before || !after) {
    if (after?.kind === 'Pod') out.push(...podPhaseEvents(undefined, after, now, owner));
    return out;
  }

  if (SPEC_KINDS.has(after.kind)) {
    const changes = diff(specOf(before), specOf(after));
    if (changes.length > 0) {
      out.push({
        id: `spec:${after.uid}:${after.resourceVersion}`,
        time: now,
        type: 'spec-change',
        severity: 'info',
        ...base(after, owner),
        summary: `${after.kind} ${after.name} changed: ${describeChanges(changes)}`,
        data: { changes, revision: ('revision' in after.summary ? after.summary.revision : undefined) ?? null },
      });
    }
  }
  if (after.kind === 'Pod') {
    out.push(...podPhaseEvents(before, after, now, owner));
    out.push(...restartEvents(before, after, now, owner));
  }
  if (after.kind === 'Node') {
    const a = conditionsOf(before);
    const b = conditionsOf(after);
    for (const c of WATCHED_NODE_CONDITIONS) {
      if (a[c] === b[c] || b[c] === undefined) continue;
      const bad = c === 'Ready' ? b[c] !== 'True' : b[c] === 'True';
      out.push({
        id: `node-condition:${after.uid}:${c}:${b[c]}:${after.resourceVersion}`,
        time: now,
        type: 'node-condition',
        severity: bad ? 'warning' : 'info',
        ...base(after, owner),
        summary: `Node ${after.name} ${c}: ${a[c] ?? 'Unknown'} → ${b[c]}`,
        data: { condition: c, from: a[c] ?? null, to: b[c] },
      });
    }
  }
  return out;
}

function podState(i: InventoryItem | undefined): string {
  if (i?.kind !== 'Pod') return '';
  const { phase, ready } = i.summary;
  return phase === 'Running' ? (ready ? 'Running/Ready' : 'Running/NotReady') : phase;
}

function podPhaseEvents(
  before: InventoryItem | undefined,
  after: InventoryItemOf<'Pod'>,
  now: number,
  owner: OwnerResolver,
): TimelineEventInput[] {
  const from = podState(before);
  const to = podState(after);
  if (from === to) return [];
  const severity = to === 'Failed' || to === 'Running/NotReady' ? 'warning' : 'info';
  return [
    {
      id: `pod-phase:${after.uid}:${to}:${after.resourceVersion}`,
      time: now,
      type: 'pod-phase',
      severity,
      ...base(after, owner),
      summary: `Pod ${after.name}: ${from || 'new'} → ${to}`,
      data: {
        from: from || null,
        to,
        phase: after.summary.phase,
        ready: after.summary.ready,
        nodeName: after.summary.nodeName,
      },
    },
  ];
}

function restartEvents(
  before: InventoryItem,
  after: InventoryItem,
  now: number,
  owner: OwnerResolver,
): TimelineEventInput[] {
  const prev = new Map(containersOf(before).map((c) => [c.name, c]));
  const out: TimelineEventInput[] = [];
  for (const c of containersOf(after)) {
    const p = prev.get(c.name);
    if (!p || c.restartCount <= p.restartCount) continue;
    const last = c.lastTerminated;
    // The real reason is why it stopped (OOMKilled, Error: the last termination); CrashLoopBackOff /
    // ImagePullBackOff (the waiting reason) only say what the kubelet does about it.
    const waiting = c.state === 'waiting' ? c.reason : null;
    const reason = last?.reason ?? waiting ?? c.reason ?? 'Restarted';
    const exitCode = last?.exitCode ?? c.exitCode;
    out.push({
      id: `restart:${after.uid}:${c.name}:${c.restartCount}`,
      time: now,
      type: 'container-restart',
      severity: reason === 'OOMKilled' || waiting === 'CrashLoopBackOff' ? 'error' : 'warning',
      ...base(after, owner),
      summary: `Container ${c.name} of ${after.name} restarted (${reason}${exitCode !== null ? `, exit code ${exitCode}` : ''}${
        waiting && waiting !== reason ? `; ${waiting}` : ''
      }), ${c.restartCount} restarts`,
      data: {
        container: c.name,
        restartCount: c.restartCount,
        reason,
        exitCode,
        terminationReason: last?.reason ?? null,
      },
    });
  }
  return out;
}

/** A kind the hub knows to be cluster-scoped (Node, Namespace): its events carry namespace '', as the inventory does. */
function isClusterScopedKind(kind: string): boolean {
  return isResourceKind(kind) && !RESOURCE_KINDS[kind].namespaced;
}

/** Emit a Kubernetes Event at its 1st, 2nd, 4th, 8th… occurrence: recurring noise stays readable. */
export function shouldEmitEventCount(count: number): boolean {
  return count >= 1 && (count & (count - 1)) === 0;
}

/** A core/v1 (or events.k8s.io) Event as a timeline event, or null when its count is not worth another entry. */
export function eventFromKubernetesEvent(
  e: KubeObject,
  owner: OwnerResolver,
  lookupOwnerRefs: (kind: string, ns: string, name: string) => InventoryItem['ownerRefs'],
): TimelineEventInput | null {
  const involved = recordOf(e.involvedObject);
  const count = typeof e.count === 'number' ? e.count : 1;
  if (!shouldEmitEventCount(count)) return null;
  const uid = e.metadata?.uid ?? '';
  const kind = optionalString(involved.kind) ?? '';
  // The involved object's own namespace, never the Event's: Events about Nodes and other cluster-scoped objects
  // live in `default`, and falling back to it would show them to viewers of `default`. '' (cluster-wide view
  // only) is also the fail-closed answer when a client left the namespace out.
  const namespace = isClusterScopedKind(kind) ? '' : (optionalString(involved.namespace) ?? '');
  const name = optionalString(involved.name) ?? '';
  const ownerOf = owner({ namespace, ownerRefs: lookupOwnerRefs(kind, namespace, name) });
  const last = optionalString(e.lastTimestamp) ?? optionalString(e.eventTime) ?? e.metadata?.creationTimestamp;
  const reason = typeof e.reason === 'string' ? e.reason : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const data: TimelineDataOf<'k8s-event'> = {
    reason,
    message,
    count,
    source: optionalString(recordOf(e.source).component) ?? stringOrNull(e.reportingComponent),
    eventType: typeof e.type === 'string' ? e.type : 'Normal',
  };
  return {
    id: `k8s-event:${uid}:${count}`,
    time: last ? Date.parse(last) : Date.now(),
    type: 'k8s-event',
    severity: e.type === 'Warning' ? 'warning' : 'info',
    kind,
    namespace,
    name,
    ...(ownerOf ? { owner: ownerOf } : {}),
    summary: `${reason}: ${message}${count > 1 ? ` (×${count})` : ''}`.slice(0, 4096),
    data,
  };
}
