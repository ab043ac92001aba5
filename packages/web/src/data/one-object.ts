// One object by kind, namespace and name, asked of the hub alone (issue 18: a
// workload's page must not list every object of its kind to find it), then
// kept current by the cluster's feed: changed in place, gone when deleted,
// there when (re)created under that name. A feed restart reads it again
// (read-and-follow.ts).
import { useEffect, useState } from 'react';
import { api, errorText } from '../api/client.js';
import type { InventoryItem, Page } from '../api/types.js';
import { readAndFollow } from './read-and-follow.js';
import { oneObjectUrl } from '../start/first-requests.js';

export interface OneObject {
  /** undefined while the first read is out, null when there is no such object. */
  item: InventoryItem | null | undefined;
  error: string | undefined;
}

/** name undefined: no object is wanted (nothing asked; item null). */
export function useOneObject(cluster: string, kind: string, namespace: string, name: string | undefined): OneObject {
  const [state, setState] = useState<OneObject>({ item: undefined, error: undefined });
  useEffect(() => {
    if (name === undefined) {
      setState({ item: null, error: undefined });
      return undefined;
    }
    setState({ item: undefined, error: undefined });
    return readAndFollow<InventoryItem | null>(cluster, {
      read: async (signal) => {
        const page = await api<Page<InventoryItem>>(oneObjectUrl(cluster, kind, namespace, name), { signal });
        return page.items.find((i) => i.kind === kind && i.namespace === namespace && i.name === name) ?? null;
      },
      // (Re)created under that name: this one; the one shown deleted: none.
      apply: (item, upserts, deletes) => {
        let next = item;
        for (const it of upserts) if (it.kind === kind && it.namespace === namespace && it.name === name) next = it;
        for (const d of deletes) if (d.kind === kind && d.uid === next?.uid) next = null;
        return next;
      },
      show: (item) => setState({ item, error: undefined }),
      fail: (err) => setState((s) => ({ item: s.item ?? null, error: errorText(err) })),
    });
  }, [cluster, kind, namespace, name]);
  return state;
}
