// Inventory rows as the agent's projection stores them, for the tests that seed a
// hub's store directly (thousands of pods a kwok cluster here cannot run).
import type { InventoryItem, PodSummary } from '@wheelhouse/protocol';

export interface SeededPod {
  namespace: string;
  name: string;
  /** Default `uid-<name>`. */
  uid?: string;
  /** Default now. */
  createdAt?: number;
  ownerRefs?: InventoryItem['ownerRefs'];
  /** Default none. */
  labels?: Record<string, string>;
  /** Overrides of a quiet Running, ready pod on node-1 with no containers. */
  summary?: Partial<PodSummary>;
}

export function seededPod(p: SeededPod): InventoryItem {
  const phase = p.summary?.phase ?? 'Running';
  return {
    kind: 'Pod',
    namespace: p.namespace,
    name: p.name,
    uid: p.uid ?? `uid-${p.name}`,
    resourceVersion: '1',
    createdAt: p.createdAt ?? Date.now(),
    labels: p.labels ?? {},
    ownerRefs: p.ownerRefs ?? [],
    summary: {
      phase,
      ready: phase === 'Running',
      nodeName: 'node-1',
      podIP: null,
      qosClass: null,
      startTime: null,
      reason: null,
      restarts: 0,
      containers: [],
      initContainers: [],
      ...p.summary,
    },
  };
}
