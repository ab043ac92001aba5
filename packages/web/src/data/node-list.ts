// The Nodes page's list (issue 18, see paged-list.ts): nodes paged, sorted and
// filtered by the hub, each page carrying its nodes' pod counts (counted over
// those nodes only — never the cluster's 2,000 for a screenful). Live: a node
// held is replaced in place or dropped, a new one refreshes the list
// (inventory-list.ts); as pods come and go, the nodes in view are counted
// again (GET …/pods-by-node?nodes=, at most once a second), and so is a node
// scrolled into view whose count predates the last pod change (node-counts.ts).
import { useEffect, useMemo, useState } from 'react';
import { MAX_COUNTED_NODES, listCursorAfter, type NodeListRow, type NodePodCount } from '@wheelhouse/protocol/core';
import { api } from '../api/client.js';
import { nodePageUrl, podsOnNodesUrl, type PageFrom } from '../start/first-requests.js';
import { liveRows, type ListSort, type RowItem } from './inventory-list.js';
import { NodeCounts, type NodeRow } from './node-counts.js';
import { usePagedList, type Page, type PagedList, type PagedListSource } from './paged-list.js';
import { onceASecond, type Deletes, type Upserts } from './read-and-follow.js';

export type { NodeRow };

export interface NodeListParams {
  /** Name prefix (the hub compares it bytewise; lower-case DNS characters). */
  prefix?: string;
  /** NotReady, SchedulingDisabled or Ready. */
  status?: string;
  sort: ListSort;
  order: 'asc' | 'desc';
}

export interface NodeList extends PagedList<NodeRow> {
  /** A node's pods: the newest count of it, its page's or a recount's. */
  podsOf: (row: NodeRow) => number;
  /** The rows on screen now: theirs are the counts kept live. */
  inView: (rows: readonly NodeRow[]) => void;
}

const nodeItem: RowItem<NodeRow> = {
  item: (r) => r.node,
  withItem: (r, it) => (it.kind === 'Node' ? { ...r, node: it } : r),
};

/** Can these changes move a node's pod count? A pod deleted (its node unknown here), or one on a node. */
const movesCounts = (upserts: Upserts, deletes: Deletes): boolean =>
  upserts.some((u) => u.kind === 'Pod' && u.summary.nodeName !== null) || deletes.some((d) => d.kind === 'Pod');

export function useNodeList(cluster: string, params: NodeListParams): NodeList {
  const key = JSON.stringify(params);
  const [, setVersion] = useState(0);
  const live = useMemo(() => {
    const counts = new NodeCounts();
    let view: readonly NodeRow[] = [];
    const recount = onceASecond(() => {
      const at = counts.now();
      const nodes = counts.stale(view).slice(0, MAX_COUNTED_NODES);
      if (nodes.length === 0) return;
      api<{ items: NodePodCount[] }>(podsOnNodesUrl(cluster, nodes)).then(
        (r) => {
          counts.recorded(r.items, at);
          setVersion((v) => v + 1);
        },
        () => undefined,
      );
    });
    return {
      counts,
      recount,
      inView: (rows: readonly NodeRow[]) => {
        view = rows;
        if (counts.stale(rows).length > 0) recount.ask();
      },
    };
  }, [cluster]);
  useEffect(() => () => live.recount.cancel(), [live]);
  const source = useMemo(() => {
    const p = JSON.parse(key) as NodeListParams;
    const source: PagedListSource<NodeRow> = {
      key,
      countKey: JSON.stringify({ ...p, sort: undefined, order: undefined }),
      uid: (r: NodeRow) => r.node.uid,
      fetchPage: async (from: PageFrom, limit: number, count: boolean, signal?: AbortSignal) => {
        const countedAt = live.counts.now();
        const page = await api<Page<NodeListRow>>(nodePageUrl(cluster, p, from, limit, count), { signal });
        return { ...page, items: page.items.map((r) => ({ ...r, countedAt })) };
      },
      live: (held, upserts, deletes, refresh) => {
        if (movesCounts(upserts, deletes)) {
          live.counts.podsChanged();
          live.recount.ask();
        }
        return liveRows({ ...p, kind: 'Node' }, nodeItem, held, upserts, deletes, refresh);
      },
      cursorAfter: (r: NodeRow) => listCursorAfter(p.sort, p.order, r.node),
    };
    return source;
  }, [cluster, key, live]);
  const list = usePagedList(cluster, source);
  return { ...list, podsOf: (row) => live.counts.podsOf(row), inView: live.inView };
}
