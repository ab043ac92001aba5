// Objects of a few kinds in ONE namespace (optionally those whose first owner
// is one object), asked of the hub (issue 18) and kept live from the feed:
// what an object's page needs around it — a Deployment's ReplicaSets for its
// revisions, a ConfigMap's, claim's or Service's users in its namespace —
// instead of the cluster's whole lists of those kinds. A read costs that
// namespace's objects of those kinds (paged to the end), not the cluster's —
// or, for a Service's pods and workloads, only those its selector matches (the
// hub compares the pods' labels, the workloads' pod template labels, in SQL:
// 3 of a namespace's 5,000 travel, not 5,000).
import { useEffect, useState } from 'react';
import { formatLabelSelector, selectorMatches, templateLabelsOf } from '@wheelhouse/protocol/core';
import { errorText } from '../api/client.js';
import type { InventoryItem } from '../api/types.js';
import { readAndFollow, type Deletes, type Upserts } from './read-and-follow.js';
import { listAll } from './workload-pods.js';

export interface ListedKey {
  kind: string;
  namespace: string;
  /** "Kind/name": only objects whose first owner reference is this one (the hub's owner filter). */
  owner?: string;
  /** Only objects whose labels hold all of these (the hub's selector filter): a Service's pods. */
  labels?: Record<string, string>;
  /**
   * Only workloads whose pod template's labels hold all of these (the hub's
   * templateSelector filter, over the same path templateLabelsOf reads): a Service's workloads.
   */
  templateLabels?: Record<string, string>;
}

export interface ListedObjects {
  /** Newest first per kind; undefined until first read. */
  items: InventoryItem[] | undefined;
  error: string | undefined;
}

const firstOwner = (it: InventoryItem): string =>
  it.ownerRefs[0] ? `${it.ownerRefs[0].kind}/${it.ownerRefs[0].name}` : '';

const matches = (it: InventoryItem, keys: readonly ListedKey[]): boolean =>
  keys.some(
    (k) =>
      it.kind === k.kind &&
      it.namespace === k.namespace &&
      (k.owner === undefined || firstOwner(it) === k.owner) &&
      (k.labels === undefined || selectorMatches(k.labels, it.labels)) &&
      (k.templateLabels === undefined || selectorMatches(k.templateLabels, templateLabelsOf(it))),
  );

/**
 * The feed's changes over the objects held: one of the keys changed in place
 * or new (first); one no longer of them (its owner, labels or template labels changed) or deleted, gone.
 * The same array when nothing held changed.
 */
export function applyListed(
  held: InventoryItem[],
  keys: readonly ListedKey[],
  upserts: Upserts,
  deletes: Deletes,
): InventoryItem[] {
  let next = held;
  for (const it of upserts) {
    const at = next.findIndex((x) => x.uid === it.uid);
    if (matches(it, keys)) next = at >= 0 ? next.with(at, it) : [it, ...next];
    else if (at >= 0) next = next.filter((x) => x.uid !== it.uid);
  }
  for (const d of deletes)
    if (next.some((x) => x.kind === d.kind && x.uid === d.uid)) next = next.filter((x) => x.uid !== d.uid);
  return next;
}

/** Every object of the keys, each list read to its end. */
async function readListed(cluster: string, keys: readonly ListedKey[], signal: AbortSignal): Promise<InventoryItem[]> {
  const lists = await Promise.all(
    keys.map((k) =>
      listAll(
        cluster,
        {
          kind: k.kind,
          namespace: k.namespace,
          owner: k.owner,
          selector: k.labels === undefined ? undefined : formatLabelSelector(k.labels),
          templateSelector: k.templateLabels === undefined ? undefined : formatLabelSelector(k.templateLabels),
        },
        Number.POSITIVE_INFINITY,
        signal,
      ),
    ),
  );
  return lists.flat();
}

/** The objects of these kinds in their namespace (with their owner), live; no keys: none, nothing asked. */
export function useListedObjects(cluster: string, keys: readonly ListedKey[]): ListedObjects {
  const [state, setState] = useState<ListedObjects>({ items: undefined, error: undefined });
  // The keys by value: a caller's new array of the same keys does not read again.
  const key = JSON.stringify(keys);
  useEffect(() => {
    const wanted = JSON.parse(key) as ListedKey[];
    setState({ items: undefined, error: undefined });
    if (wanted.length === 0) {
      setState({ items: [], error: undefined });
      return undefined;
    }
    return readAndFollow<InventoryItem[]>(cluster, {
      read: (signal) => readListed(cluster, wanted, signal),
      apply: (held, upserts, deletes) => applyListed(held, wanted, upserts, deletes),
      show: (items) => setState({ items, error: undefined }),
      fail: (err) => setState((s) => ({ items: s.items ?? [], error: errorText(err) })),
    });
  }, [cluster, key]);
  return state;
}
