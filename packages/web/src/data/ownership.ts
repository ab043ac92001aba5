// Which workload a pod belongs to: Deployment → ReplicaSet → Pod, CronJob →
// Job → Pod, StatefulSet/DaemonSet/Job → Pod, by owner references. The rule is
// the protocol's resolveWorkload, the one the agent and the hub use too. (A
// workload's own pods are asked of the hub by owner: data/workload-pods.ts.)
import { ownerStep, resolveWorkload, type WorkloadRef } from '@wheelhouse/protocol/core';
import type { InventoryItem, InventoryItemOf } from '../api/types.js';
import { useOneObject } from './one-object.js';

type Pod = InventoryItemOf<'Pod'>;

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

export interface PodWorkload {
  /** The pod's workload; undefined when it has no owner (or the pod is not known yet). */
  owner: WorkloadRef | undefined;
  /** Its ReplicaSet or Job is still being read (the owner is not known yet). */
  loading: boolean;
}

/**
 * A pod's workload on its page (issue 18): its ReplicaSet or Job read by name
 * (one object, kept live), whose owner is the Deployment or CronJob — never
 * the cluster's whole ReplicaSet and Job lists. A pod owned by a workload
 * directly (StatefulSet, DaemonSet, Job) asks nothing.
 */
export function usePodWorkload(cluster: string, pod: InventoryItem | null | undefined): PodWorkload {
  const step = pod ? ownerStep(pod) : undefined;
  const { item: parent } = useOneObject(cluster, step?.kind ?? '', pod?.namespace ?? '', step?.name);
  if (!pod) return { owner: undefined, loading: pod === undefined };
  return { owner: resolveWorkload(pod, parent ?? undefined), loading: step !== undefined && parent === undefined };
}

export function restartsOf(pods: readonly Pod[]): number {
  return pods.reduce((n, p) => n + p.summary.restarts, 0);
}
