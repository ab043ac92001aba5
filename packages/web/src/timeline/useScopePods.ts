// The pods that exist now within a timeline view's scope (their lanes start
// when they did, and a pod with no phase change in the range still gets one),
// asked of the hub for that scope only: a workload's pods by owner
// (data/workload-pods.ts, as the Workload page), one pod by name, a namespace's or the cluster's
// newest pods up to a bound — never a cluster's whole pod list (issue 18: at
// 100k pods that list alone took the tab down).
import { useEffect, useState } from 'react';
import { api } from '../api/client.js';
import { listAll, MAX_WORKLOAD_PODS, readWorkloadPods } from '../data/workload-pods.js';
import type { InventoryItem, InventoryItemOf, Page } from '../api/types.js';
import type { LivePod } from './bands.js';
import type { TimelineScope } from './filter.js';

/** At most this many live pods get a lane of their own (newest first); the rest show through their events. */
export const MAX_SCOPE_PODS = MAX_WORKLOAD_PODS;

async function podsInScope(cluster: string, scope: TimelineScope, signal: AbortSignal): Promise<InventoryItem[]> {
  const { namespace, kind, name } = scope;
  if (kind === 'Pod' && namespace && name) {
    const one = await api<Page<InventoryItem>>(`/api/v1/clusters/${encodeURIComponent(cluster)}/resources`, {
      query: { kind: 'Pod', namespace, name, limit: 1 },
      signal,
    });
    return one.items;
  }
  if (kind && name && namespace) {
    return (await readWorkloadPods(cluster, { kind, namespace, name }, MAX_SCOPE_PODS, signal)).pods;
  }
  if (kind) return []; // a Node's timeline: its pods are not its own
  return listAll(cluster, { kind: 'Pod', namespace }, MAX_SCOPE_PODS, signal);
}

const toLive = (p: InventoryItemOf<'Pod'>): LivePod => ({
  namespace: p.namespace,
  name: p.name,
  createdAt: p.createdAt,
  phase: p.summary.phase,
  ready: p.summary.ready,
});

/**
 * The view's live pods, read when the view opens and on reload (their phase
 * changes in the range come as pod-phase events, live); [] until read or
 * when the read fails (the lanes then come from the events alone).
 */
export function useScopePods(cluster: string, scope: TimelineScope, reload: number): readonly LivePod[] {
  const [pods, setPods] = useState<readonly LivePod[]>([]);
  const { namespace, kind, name } = scope;
  useEffect(() => {
    const ctrl = new AbortController();
    podsInScope(cluster, { namespace, kind, name }, ctrl.signal).then(
      (items) => {
        if (!ctrl.signal.aborted)
          setPods(items.filter((i): i is InventoryItemOf<'Pod'> => i.kind === 'Pod').map(toLive));
      },
      () => {
        if (!ctrl.signal.aborted) setPods([]);
      },
    );
    return () => ctrl.abort();
  }, [cluster, namespace, kind, name, reload]);
  return pods;
}
