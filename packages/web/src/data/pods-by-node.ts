// How many pods each node runs, counted by the hub in SQL (issue 18): the
// Nodes page shows these instead of listing every pod into the browser. A pod
// added, moved or deleted counts again, at most once a second — a 100k
// cluster's churn must not become a stream of requests; a feed restart counts
// again (read-and-follow.ts).
import { useEffect, useState } from 'react';
import { api } from '../api/client.js';
import { readAndFollow } from './read-and-follow.js';
import { podsByNodeUrl } from '../start/first-requests.js';

/** node name → pods on it, or undefined until the first answer. */
export function usePodsByNode(cluster: string): ReadonlyMap<string, number> | undefined {
  const [counts, setCounts] = useState<ReadonlyMap<string, number>>();
  useEffect(
    () =>
      readAndFollow<ReadonlyMap<string, number>>(cluster, {
        read: async (signal) => {
          const r = await api<{ items: { node: string; pods: number }[] }>(podsByNodeUrl(cluster), { signal });
          return new Map(r.items.map((c) => [c.node, c.pods]));
        },
        apply: (held, upserts, deletes, later) => {
          if (upserts.some((u) => u.kind === 'Pod') || deletes.some((d) => d.kind === 'Pod')) later();
          return held;
        },
        show: setCounts,
      }),
    [cluster],
  );
  return counts;
}
