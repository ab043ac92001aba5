// Inventory rows as the agent's projection stores them, for the tests that seed a
// hub's store directly (thousands of pods a kwok cluster here cannot run).
import type { Hub } from '@wheelhouse/hub';
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

/**
 * Adds a cluster with no agent to the hub and stores these rows as its
 * inventory, each kind as an agent's snapshot in chunks of 1,000.
 */
export async function seedCluster(
  hub: Pick<Hub, 'clusters' | 'inventory'>,
  cluster: string,
  inventory: Partial<Record<string, readonly InventoryItem[]>>,
): Promise<void> {
  await hub.clusters.create(cluster, 'test');
  for (const [kind, items = []] of Object.entries(inventory))
    for (let i = 0; i < items.length || i === 0; i += 1000)
      await hub.inventory.applySnapshotChunk(cluster, kind, 's1', items.slice(i, i + 1000), i + 1000 >= items.length);
}
