// How many pods each node runs, counted by the hub in SQL (issue 18): the
// Nodes page shows these instead of listing every pod into the browser. A pod
// added, moved or deleted (or a feed restart) counts again, at most once a
// second — a 100k cluster's churn must not become a stream of requests.
import { useEffect, useState } from 'react';
import { api } from '../api/client.js';
import { clusterData } from './cluster-data.js';
import { podsByNodeUrl } from '../start/first-requests.js';

/** node name → pods on it, or undefined until the first answer. */
export function usePodsByNode(cluster: string): ReadonlyMap<string, number> | undefined {
  const [counts, setCounts] = useState<ReadonlyMap<string, number>>();
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (): void => {
      api<{ items: { node: string; pods: number }[] }>(podsByNodeUrl(cluster)).then(
        (r) => {
          if (live) setCounts(new Map(r.items.map((c) => [c.node, c.pods])));
        },
        () => undefined,
      );
    };
    const later = (): void => {
      timer ??= setTimeout(() => {
        timer = undefined;
        load();
      }, 1000);
    };
    const data = clusterData(cluster);
    const offInv = data.onInventory((upserts, deletes) => {
      if (upserts.some((u) => u.kind === 'Pod') || deletes.some((d) => d.kind === 'Pod')) later();
    });
    const offResync = data.onResync(later);
    load();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
      offInv();
      offResync();
    };
  }, [cluster]);
  return counts;
}
