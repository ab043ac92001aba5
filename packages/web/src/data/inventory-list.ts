// One kind's list paged from the hub (issue 18, see paged-list.ts): the rows
// held stay live — changed ones are replaced in place, deleted ones dropped;
// an object new to the list refreshes the count (and the rows while at most a
// page is held) — a sorted position further down is met when scrolled to.
import { useMemo } from 'react';
import { listCursorAfter, nodeListStatus } from '@wheelhouse/protocol/core';
import { api } from '../api/client.js';
import { inventoryPageUrl, type PageFrom } from '../start/first-requests.js';
import type { InventoryItem } from '../api/types.js';
import { usePagedList, type Held, type Page, type PagedList, type PagedListSource } from './paged-list.js';

export type ListSort = 'namespace' | 'name' | 'age' | 'status';

export interface ListParams {
  kind: string;
  namespace?: string;
  /** Name prefix (the hub compares it bytewise; lower-case DNS characters). */
  prefix?: string;
  /** A pod's phase; a node's NotReady, SchedulingDisabled or Ready. */
  status?: string;
  /** Pods on this node. */
  node?: string;
  sort: ListSort;
  order: 'asc' | 'desc';
}

export type InventoryList = PagedList<InventoryItem>;

/** What the hub's status filter and sort compare: a pod's phase, a node's status (as the hub keeps them). */
function statusOf(it: InventoryItem): string | undefined {
  return it.kind === 'Pod' ? it.summary.phase : it.kind === 'Node' ? nodeListStatus(it) : undefined;
}

/** Does an item (new or changed) belong to the list under these filters? */
function matches(it: InventoryItem, p: ListParams): boolean {
  if (it.kind !== p.kind) return false;
  if (p.namespace && it.namespace !== p.namespace) return false;
  if (p.prefix && !it.name.startsWith(p.prefix)) return false;
  if (p.status && statusOf(it) !== p.status) return false;
  if (p.node && !(it.kind === 'Pod' && it.summary.nodeName === p.node)) return false;
  return true;
}

/** How a list's rows hold their object: the item itself, or a row around it (a node and its pod count). */
export interface RowItem<Row> {
  item: (row: Row) => InventoryItem;
  withItem: (row: Row, it: InventoryItem) => Row;
}

const itself: RowItem<InventoryItem> = { item: (r) => r, withItem: (_, it) => it };

/** Keeps the rows held current: replaced in place, dropped when deleted or no longer matching. */
export function liveRows<Row>(
  p: ListParams,
  rowItem: RowItem<Row>,
  held: Held<Row>,
  upserts: readonly InventoryItem[],
  deletes: readonly { kind: string; uid: string }[],
  refresh: () => void,
): boolean {
  const { item } = rowItem;
  let changed = false;
  const at = new Map(held.rows.map((r, i) => [item(r).uid, i]));
  for (const it of upserts) {
    if (it.kind !== p.kind) continue;
    const i = at.get(it.uid);
    const was = i === undefined ? undefined : held.rows[i];
    if (i === undefined || was === undefined) {
      if (matches(it, p)) refresh();
    } else {
      // The sort key changed (a new phase, a node cordoned): its place may be elsewhere now.
      if (p.sort === 'status' && statusOf(item(was)) !== statusOf(it)) refresh();
      held.rows[i] = rowItem.withItem(was, it);
      changed = true;
    }
  }
  for (const d of deletes) {
    if (d.kind !== p.kind || !at.has(d.uid)) continue;
    held.rows = held.rows.filter((r) => item(r).uid !== d.uid);
    if (held.total !== undefined) held.total = Math.max(0, held.total - 1);
    changed = true;
  }
  // A changed object that no longer matches the filters leaves the list.
  const kept = held.rows.filter((r) => matches(item(r), p));
  if (kept.length !== held.rows.length) {
    if (held.total !== undefined) held.total = Math.max(0, held.total - (held.rows.length - kept.length));
    held.rows = kept;
    changed = true;
  }
  return changed;
}

export function useInventoryList(cluster: string, params: ListParams): InventoryList {
  const key = JSON.stringify(params);
  const source = useMemo(() => {
    const p = JSON.parse(key) as ListParams;
    const source: PagedListSource<InventoryItem> = {
      key,
      countKey: JSON.stringify({ ...p, sort: undefined, order: undefined }),
      uid: (r: InventoryItem) => r.uid,
      fetchPage: (from: PageFrom, limit: number, count: boolean, signal?: AbortSignal) =>
        api<Page<InventoryItem>>(inventoryPageUrl(cluster, p, from, limit, count), { signal }),
      live: (held, upserts, deletes, refresh) => liveRows(p, itself, held, upserts, deletes, refresh),
      cursorAfter: (r: InventoryItem) => listCursorAfter(p.sort, p.order, r),
    };
    return source;
  }, [cluster, key]);
  return usePagedList(cluster, source);
}
