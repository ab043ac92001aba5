// One object by kind, namespace and name, asked of the hub alone (issue 18: a
// workload's page must not list every object of its kind to find it), then
// kept current by the cluster's feed: changed in place, gone when deleted,
// there when (re)created under that name. A feed restart reads it again.
import { useEffect, useState } from 'react';
import { api, errorText } from '../api/client.js';
import type { InventoryItem, Page } from '../api/types.js';
import { clusterData } from './cluster-data.js';
import { oneObjectUrl } from '../start/first-requests.js';

export interface OneObject {
  /** undefined while the first read is out, null when there is no such object. */
  item: InventoryItem | null | undefined;
  error: string | undefined;
}

export function useOneObject(cluster: string, kind: string, namespace: string, name: string): OneObject {
  const [state, setState] = useState<OneObject>({ item: undefined, error: undefined });
  useEffect(() => {
    let ctrl = new AbortController();
    let uid: string | undefined;
    /** What the feed said about the object while a read was out (newer than its answer); undefined: nothing. */
    let seen: InventoryItem | null | undefined;
    let reading = false;
    /** Deleted while a read was out: the answer may still hold them. */
    let gone = new Set<string>();
    setState({ item: undefined, error: undefined });
    const read = (): void => {
      ctrl.abort();
      ctrl = new AbortController();
      const signal = ctrl.signal;
      reading = true;
      seen = undefined;
      gone = new Set();
      api<Page<InventoryItem>>(oneObjectUrl(cluster, kind, namespace, name), { signal }).then(
        (page) => {
          if (signal.aborted) return;
          reading = false;
          const found = page.items.find((i) => i.kind === kind && i.namespace === namespace && i.name === name);
          const it = seen !== undefined ? seen : found && !gone.has(found.uid) ? found : null;
          uid = it?.uid;
          setState({ item: it, error: undefined });
        },
        (err: unknown) => {
          if (signal.aborted) return;
          reading = false;
          setState({ item: null, error: errorText(err) });
        },
      );
    };
    const data = clusterData(cluster);
    const offInv = data.onInventory((upserts, deletes) => {
      for (const it of upserts)
        if (it.kind === kind && it.namespace === namespace && it.name === name) {
          uid = it.uid;
          if (reading) seen = it;
          else setState({ item: it, error: undefined });
        }
      for (const d of deletes) {
        if (d.kind !== kind) continue;
        if (reading) gone.add(d.uid);
        if (d.uid === uid || d.uid === seen?.uid) {
          uid = undefined;
          if (reading) seen = null;
          else setState({ item: null, error: undefined });
        }
      }
    });
    const offResync = data.onResync(read);
    read();
    return () => {
      ctrl.abort();
      offInv();
      offResync();
    };
  }, [cluster, kind, namespace, name]);
  return state;
}
