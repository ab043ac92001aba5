// Deletions the agent could not report: objects that vanished while it was
// away (killed, partitioned) are found missing from its next snapshot. The hub
// puts them on the timeline itself, with the same id the agent would have used,
// so an object whose deletion the agent did report is still stored once.
import { deletedEvent, hasDeletionEvent, type InventoryItem, type TimelineEventInput } from '@wheelhouse/protocol';

/** Finds an object the hub still knows (or knew until this snapshot) by uid: a pod's ReplicaSet. */
export type ParentLookup = (uid: string) => Promise<InventoryItem | null>;

/** The workload an item belongs to, as the agent names it: through a ReplicaSet or Job to its own owner. */
async function ownerOf(item: InventoryItem, parent: ParentLookup): Promise<{ kind: string; name: string } | undefined> {
  const ref = item.ownerRefs[0];
  if (!ref) return undefined;
  if (ref.kind !== 'ReplicaSet' && ref.kind !== 'Job') return { kind: ref.kind, name: ref.name };
  const up = (await parent(ref.uid))?.ownerRefs[0];
  return up ? { kind: up.kind, name: up.name } : { kind: ref.kind, name: ref.name };
}

export async function snapshotDeletions(
  gone: readonly InventoryItem[],
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
