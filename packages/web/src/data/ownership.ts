// Which pods belong to a workload: Deployment → ReplicaSet → Pod, CronJob →
// Job → Pod, StatefulSet/DaemonSet/Job → Pod, by owner references. The rule is
// the protocol's resolveWorkload, the one the agent and the hub use too.
import { ownerStep, resolveWorkload, type WorkloadRef } from '@wheelhouse/protocol/core';
import type { InventoryItem, InventoryItemOf } from '../api/types.js';

type Pod = InventoryItemOf<'Pod'>;

export function ownedBy(item: InventoryItem, kind: string, name: string): boolean {
  return item.ownerRefs.some((r) => r.kind === kind && r.name === name);
}

export function podsOf(
  workload: { kind: string; namespace: string; name: string },
  pods: readonly Pod[],
  replicaSets: readonly InventoryItem[],
  jobs: readonly InventoryItem[],
): Pod[] {
  return pods.filter((p) => {
    if (p.namespace !== workload.namespace) return false;
    // A pod listed under its ReplicaSet or Job directly, or under the workload that owns those.
    if (ownedBy(p, workload.kind, workload.name)) return true;
    const w = workloadOf(p, replicaSets, jobs);
    return w?.kind === workload.kind && w.name === workload.name;
  });
}

/** The workload a pod belongs to, following ReplicaSet → Deployment and Job → CronJob. */
export function workloadOf(
  pod: InventoryItem,
  replicaSets: readonly InventoryItem[],
  jobs: readonly InventoryItem[],
): WorkloadRef | undefined {
  const step = ownerStep(pod);
  const candidates = step?.kind === 'ReplicaSet' ? replicaSets : jobs;
  const parent = step && candidates.find((x) => x.namespace === pod.namespace && x.name === step.name);
  return resolveWorkload(pod, parent);
}

export function restartsOf(pods: readonly Pod[]): number {
  return pods.reduce((n, p) => n + p.summary.restarts, 0);
}
