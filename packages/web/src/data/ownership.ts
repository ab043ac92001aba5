// Which workload a pod belongs to: Deployment → ReplicaSet → Pod, CronJob →
// Job → Pod, StatefulSet/DaemonSet/Job → Pod, by owner references. The rule is
// the protocol's resolveWorkload, the one the agent and the hub use too. (A
// workload's own pods are asked of the hub by owner: data/workload-pods.ts.)
import { ownerStep, resolveWorkload, type WorkloadRef } from '@wheelhouse/protocol/core';
import type { InventoryItem, InventoryItemOf } from '../api/types.js';

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

export function restartsOf(pods: readonly Pod[]): number {
  return pods.reduce((n, p) => n + p.summary.restarts, 0);
}
