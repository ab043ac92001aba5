// Inventory summaries for tests that put items in the hub's store directly:
// complete, as the agent's projections produce them.
import type { DeploymentSummary, InventoryItem, InventoryItemOf, PodSummary } from '@wheelhouse/protocol';

/** A Running, ready pod whose containers all run. */
export function runningPodSummary(containers: readonly string[] = ['app']): PodSummary {
  return {
    phase: 'Running',
    ready: true,
    nodeName: null,
    podIP: null,
    qosClass: null,
    startTime: null,
    reason: null,
    restarts: 0,
    containers: containers.map((name) => ({
      name,
      state: 'running',
      ready: true,
      restartCount: 0,
      reason: null,
      exitCode: null,
      lastTerminated: null,
    })),
    initContainers: [],
  };
}

/** A Deployment with all its replicas ready. */
export function deploymentSummary(replicas = 1): DeploymentSummary {
  return {
    replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    updatedReplicas: replicas,
    paused: false,
    images: ['busybox'],
    conditions: {},
    spec: {},
  };
}

/** A node's summary: every 5th not ready, every 3rd cordoned (the lists' status filter and sort see all three). */
export function nodeSummaryOf(i: number): InventoryItemOf<'Node'>['summary'] {
  return {
    unschedulable: i % 3 === 0,
    conditions: { Ready: i % 5 === 0 ? 'False' : 'True' },
    capacity: { pods: '110' },
    taints: [],
    addresses: [],
    spec: {},
  };
}

/** A running pod as the inventory holds it (`uid` u-<name>), for tests that seed a hub's store directly. */
export function podItem(namespace: string, name: string, createdAt = 1): InventoryItem {
  return {
    kind: 'Pod',
    namespace,
    name,
    uid: `u-${name}`,
    resourceVersion: '1',
    createdAt,
    labels: {},
    ownerRefs: [],
    summary: runningPodSummary(),
  };
}
