// The Workloads page's rows (GET …/workloads, issue 18): each workload with its
// pods counted by the hub, so the console never lists a cluster's pods.
import type { InventoryItem, InventoryItemOf } from './inventory.js';

/** A workload's pods: how many, how many ready, their restarts summed. */
export interface WorkloadPods {
  total: number;
  ready: number;
  restarts: number;
  /** An unhealthy workload's newest pod that is not ready: what its reason column reads. */
  notReady?: InventoryItemOf<'Pod'>;
}

export interface WorkloadListRow {
  workload: InventoryItem;
  pods: WorkloadPods;
}

/** The kinds the Workloads page lists (ReplicaSets and their pods count under their Deployment). */
export const WORKLOAD_LIST_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
