// Deletions the agent could not report: objects that vanished while it was
// away (killed, partitioned) are found missing from its next snapshot. The hub
// puts them on the timeline itself, with the same id the agent would have used,
// so an object whose deletion the agent did report is still stored once.
import {
  deletedEvent,
  hasDeletionEvent,
  ownerStep,
  resolveWorkload,
  type InventoryItem,
  type Owned,
  type TimelineEventInput,
  type WorkloadRef,
} from '@wheelhouse/protocol';

/** Finds an object the hub still knows (or knew until this snapshot) by uid: a pod's ReplicaSet. */
export type ParentLookup = (uid: string) => Promise<Owned | null>;

/** What a deletion event needs of an item. */
export type GoneItem = Pick<InventoryItem, 'kind' | 'namespace' | 'name' | 'uid' | 'ownerRefs'>;

/** The workload an item belongs to, by the rule the agent uses (protocol's resolveWorkload). */
async function ownerOf(item: GoneItem, parent: ParentLookup): Promise<WorkloadRef | undefined> {
  const step = ownerStep(item);
  return resolveWorkload(item, (step && (await parent(step.uid))) ?? undefined);
}

export async function snapshotDeletions(
  gone: readonly GoneItem[],
  now: number,
  parent: ParentLookup,
): Promise<TimelineEventInput[]> {
  const byUid = new Map(gone.map((i) => [i.uid, i]));
  const lookup: ParentLookup = async (uid) => byUid.get(uid) ?? (await parent(uid));
  const out: TimelineEventInput[] = [];
  for (const item of gone) {
    if (!hasDeletionEvent(item.kind)) continue;
    // The deletion happened while the agent was away: "now" is when the hub learnt of it.
    out.push(deletedEvent(item, now, await ownerOf(item, lookup), { noticedOnResync: true }));
  }
  return out;
}
