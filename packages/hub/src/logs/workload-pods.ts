// The pods of a workload, from the hub's inventory: by owner references, the
// same rule as the console and the agent (protocol's resolveWorkload):
// Deployment → ReplicaSet → Pod, StatefulSet/DaemonSet/Job → Pod.
import { ofKind, ownerStep, resolveWorkload, type InventoryItem, type InventoryItemOf } from '@wheelhouse/protocol';
import type { InventoryStore } from '../inventory/inventory-store.js';

const PAGE = 1000;

async function allOf(
  inventory: Pick<InventoryStore, 'query'>,
  cluster: string,
  kind: string,
  namespace: string,
): Promise<InventoryItem[]> {
  const out: InventoryItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await inventory.query(cluster, { kind, namespace, limit: PAGE, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

export async function podsOfWorkload(
  inventory: Pick<InventoryStore, 'query'>,
  cluster: string,
  namespace: string,
  kind: string,
  name: string,
): Promise<InventoryItemOf<'Pod'>[]> {
  const pods = (await allOf(inventory, cluster, 'Pod', namespace)).filter(ofKind('Pod'));
  const steps = kind === 'Deployment' ? await allOf(inventory, cluster, 'ReplicaSet', namespace) : [];
  return pods
    .filter((p) => {
      const step = ownerStep(p);
      const parent = step && steps.find((r) => r.kind === step.kind && r.name === step.name);
      const w = resolveWorkload(p, parent);
      return w?.kind === kind && w.name === name;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
