// Which pods belong to a workload: Deployment → ReplicaSet → Pod, CronJob →
// Job → Pod, StatefulSet/DaemonSet/Job → Pod, by owner references.
import type { InventoryItem } from '../api/types.js';

export function ownedBy(item: InventoryItem, kind: string, name: string): boolean {
  return item.ownerRefs.some((r) => r.kind === kind && r.name === name);
}

export function podsOf(
  workload: { kind: string; namespace: string; name: string },
  pods: readonly InventoryItem[],
  replicaSets: readonly InventoryItem[],
  jobs: readonly InventoryItem[],
): InventoryItem[] {
  const inNs = pods.filter((p) => p.namespace === workload.namespace);
  if (workload.kind === 'Deployment') {
    const rs = new Set(
      replicaSets
        .filter((r) => r.namespace === workload.namespace && ownedBy(r, 'Deployment', workload.name))
        .map((r) => r.name),
    );
    return inNs.filter((p) => p.ownerRefs.some((o) => o.kind === 'ReplicaSet' && rs.has(o.name)));
  }
  if (workload.kind === 'CronJob') {
    const js = new Set(
      jobs.filter((j) => j.namespace === workload.namespace && ownedBy(j, 'CronJob', workload.name)).map((j) => j.name),
    );
    return inNs.filter((p) => p.ownerRefs.some((o) => o.kind === 'Job' && js.has(o.name)));
  }
  return inNs.filter((p) => ownedBy(p, workload.kind, workload.name));
}

/** The workload a pod belongs to, following ReplicaSet → Deployment and Job → CronJob. */
export function workloadOf(
  pod: InventoryItem,
  replicaSets: readonly InventoryItem[],
  jobs: readonly InventoryItem[],
): { kind: string; name: string } | undefined {
  const o = pod.ownerRefs[0];
  if (!o) return undefined;
  if (o.kind === 'ReplicaSet') {
    const rs = replicaSets.find((r) => r.namespace === pod.namespace && r.name === o.name);
    const d = rs?.ownerRefs.find((r) => r.kind === 'Deployment');
    return d ? { kind: 'Deployment', name: d.name } : { kind: 'ReplicaSet', name: o.name };
  }
  if (o.kind === 'Job') {
    const j = jobs.find((x) => x.namespace === pod.namespace && x.name === o.name);
    const cj = j?.ownerRefs.find((r) => r.kind === 'CronJob');
    return cj ? { kind: 'CronJob', name: cj.name } : { kind: 'Job', name: o.name };
  }
  return { kind: o.kind, name: o.name };
}

export function restartsOf(pods: readonly InventoryItem[]): number {
  return pods.reduce((n, p) => n + (typeof p.summary.restarts === 'number' ? p.summary.restarts : 0), 0);
}
