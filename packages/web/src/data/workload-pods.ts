// A workload's pods asked of the hub by owner (issue 18): the workload's
// ReplicaSets (Deployment) or Jobs (CronJob) first, then the pods whose first
// owner is one of those or the workload itself (the owner index, migration
// 020) — never a cluster's whole Pod, ReplicaSet or Job list, which at 100k
// pods took the workload page and its Timeline tab down. The Workload page
// keeps them live; the Timeline tab reads them once per reload.
import { useEffect, useState } from 'react';
import { api, errorText } from '../api/client.js';
import type { InventoryItem, InventoryItemOf, Page } from '../api/types.js';
import { readAndFollow } from './read-and-follow.js';

type Pod = InventoryItemOf<'Pod'>;

export interface WorkloadKey {
  kind: string;
  namespace: string;
  name: string;
}

/** At most this many pods are read (newest first); a bigger workload says so. */
export const MAX_WORKLOAD_PODS = 2000;
/** The hub takes at most 50 owners a request: a Deployment's newest 50 ReplicaSets (its revision history). */
const MAX_OWNERS = 50;
const PAGE = 1000;

type Query = Record<string, string | number | undefined>;

/** Every item of a list, newest first, up to max. */
export async function listAll(
  cluster: string,
  query: Query,
  max: number,
  signal: AbortSignal,
): Promise<InventoryItem[]> {
  const items: InventoryItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await api<Page<InventoryItem>>(`/api/v1/clusters/${encodeURIComponent(cluster)}/resources`, {
      query: { ...query, sort: 'age', order: 'desc', cursor, limit: Math.min(PAGE, max - items.length) },
      signal,
    });
    items.push(...page.items);
    cursor = page.nextCursor === null ? undefined : String(page.nextCursor);
  } while (cursor !== undefined && items.length < max);
  return items;
}

/** The kind between a workload and its pods: ReplicaSet (Deployment), Job (CronJob), or none. */
const stepOf = (kind: string): string | undefined =>
  kind === 'Deployment' ? 'ReplicaSet' : kind === 'CronJob' ? 'Job' : undefined;

/** The owners ("Kind/name") whose pods are a workload's: the workload itself, and its ReplicaSets or Jobs. */
async function ownersOf(cluster: string, w: WorkloadKey, signal: AbortSignal): Promise<string[]> {
  const self = `${w.kind}/${w.name}`;
  const step = stepOf(w.kind);
  if (!step) return [self];
  const steps = await listAll(cluster, { kind: step, namespace: w.namespace, owner: self }, MAX_OWNERS - 1, signal);
  return [self, ...steps.map((s) => `${step}/${s.name}`)];
}

const isPod = (i: InventoryItem): i is Pod => i.kind === 'Pod';

/** A workload's pods, newest first, up to max, with the owners they were found under. */
export async function readWorkloadPods(
  cluster: string,
  w: WorkloadKey,
  max: number,
  signal: AbortSignal,
): Promise<{ owners: string[]; pods: Pod[] }> {
  const owners = await ownersOf(cluster, w, signal);
  const items = await listAll(cluster, { kind: 'Pod', namespace: w.namespace, owner: owners.join(',') }, max, signal);
  return { owners, pods: items.filter(isPod) };
}

/** The hub's owner filter: an object's first owner reference. */
const firstOwner = (it: InventoryItem): string | undefined =>
  it.ownerRefs[0] ? `${it.ownerRefs[0].kind}/${it.ownerRefs[0].name}` : undefined;

export interface WorkloadPods {
  /** Newest first; undefined until first read. */
  pods: Pod[] | undefined;
  /** MAX_WORKLOAD_PODS were read: the workload may have more. */
  capped: boolean;
  error: string | undefined;
}

/**
 * A workload's pods, kept live by the cluster's feed: a pod whose first owner
 * is the workload or one of its ReplicaSets/Jobs appears, changes in place and
 * leaves; a new ReplicaSet/Job of the workload (a rollout, a scheduled run)
 * joins the owners before its pods arrive. A feed restart reads them again.
 */
export function useWorkloadPods(cluster: string, w: WorkloadKey): WorkloadPods {
  const { kind, namespace, name } = w;
  const [state, setState] = useState<WorkloadPods>({ pods: undefined, capped: false, error: undefined });
  useEffect(() => {
    const self = `${kind}/${name}`;
    const step = stepOf(kind);
    return readAndFollow<{ owners: Set<string>; pods: Pod[]; capped: boolean }>(cluster, {
      read: async (signal) => {
        const r = await readWorkloadPods(cluster, { kind, namespace, name }, MAX_WORKLOAD_PODS, signal);
        return { owners: new Set(r.owners), pods: r.pods, capped: r.pods.length >= MAX_WORKLOAD_PODS };
      },
      apply: (held, upserts, deletes) => {
        // A new ReplicaSet/Job of the workload joins the owners (in place: nothing shown changes).
        for (const it of upserts)
          if (it.namespace === namespace && it.kind === step && firstOwner(it) === self)
            held.owners.add(`${step}/${it.name}`);
        let pods = held.pods;
        for (const it of upserts) {
          if (!isPod(it) || it.namespace !== namespace) continue;
          const at = pods.findIndex((p) => p.uid === it.uid);
          const mine = held.owners.has(firstOwner(it) ?? '');
          if (at >= 0) pods = mine ? pods.with(at, it) : pods.filter((p) => p.uid !== it.uid);
          else if (mine) pods = [it, ...pods];
        }
        for (const d of deletes)
          if (d.kind === 'Pod' && pods.some((p) => p.uid === d.uid)) pods = pods.filter((p) => p.uid !== d.uid);
        return pods === held.pods ? held : { ...held, pods };
      },
      show: ({ pods, capped }) => setState({ pods, capped, error: undefined }),
      fail: (err) => setState((s) => ({ ...s, error: errorText(err) })),
    });
  }, [cluster, kind, namespace, name]);
  return state;
}
