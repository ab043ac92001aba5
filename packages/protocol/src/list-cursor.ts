// A sorted list's keyset cursor (issue 18). The hub pages its lists by it (the
// page's last row's sort columns, compared as a tuple); the console builds one
// from a row it holds, so a feed restart deep in a long list reads again from
// just above what is on screen, not from the top. One rule for both: the
// status column's value, the sort columns, the health rank and the encoding.
import { nodeListStatus, workloadHealth } from './health.js';
import type { InventoryItem } from './inventory.js';
import { WORKLOAD_KINDS } from './kinds.js';

/** Every sort a keyset-paged list has (Pods and other kinds, Workloads, Nodes). */
export type ListCursorSort = 'namespace' | 'name' | 'age' | 'status' | 'kind' | 'health';
export type ListOrder = 'asc' | 'desc';
export interface ListCursor {
  s: ListCursorSort;
  o: ListOrder;
  k: (string | number)[];
}

/** How the health sort ranks a workload's level (kept in the status column); anything else ranks 0. */
export const HEALTH_RANK: Readonly<Record<string, number>> = { err: 3, warn: 2, ok: 1 };

/** What the lists keep as an item's status column: a pod's phase, a node's list status, a workload's health level. */
export function listStatusOf(it: InventoryItem): string {
  if (it.kind === 'Pod') return it.summary.phase;
  if (it.kind === 'Node') return nodeListStatus(it);
  return (WORKLOAD_KINDS as readonly string[]).includes(it.kind) ? workloadHealth(it).level : '';
}

/** A row's columns a sort reads (the hub's row, or an item the console holds). */
export interface ListKeyRow {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  createdAt: number;
  status: string;
}

/** The values a sort orders a row by, uid last (unique): a cursor's key. */
export function listCursorKey(sort: ListCursorSort, r: ListKeyRow): (string | number)[] {
  switch (sort) {
    case 'namespace':
      return [r.namespace, r.name, r.uid];
    case 'name':
      return [r.name, r.namespace, r.uid];
    case 'age':
      return [r.createdAt, r.uid];
    case 'status':
      return [r.status, r.namespace, r.name, r.uid];
    case 'kind':
      return [r.kind, r.namespace, r.name, r.uid];
    case 'health':
      return [HEALTH_RANK[r.status] ?? 0, r.namespace, r.name, r.uid];
  }
}

/** The cursor that lists from just after this item under this sort and order. */
export function listCursorAfter(sort: ListCursorSort, order: ListOrder, it: InventoryItem): string {
  const row = { kind: it.kind, namespace: it.namespace, name: it.name, uid: it.uid, createdAt: it.createdAt };
  return encodeListCursor({ s: sort, o: order, k: listCursorKey(sort, { ...row, status: listStatusOf(it) }) });
}

// base64url of the JSON's UTF-8 bytes, with what both Node.js and browsers have (no Buffer in a page).
export function encodeListCursor(c: ListCursor): string {
  let bin = '';
  for (const b of new TextEncoder().encode(JSON.stringify(c))) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The key of a cursor of this sort and order; null (list from the top) for another's or an unreadable one. */
export function decodeListCursor(
  text: string,
  sort: ListCursorSort,
  order: ListOrder,
  width: number,
): (string | number)[] | null {
  try {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const json = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
    const v = JSON.parse(json) as Partial<ListCursor> | null;
    const k: readonly unknown[] = Array.isArray(v?.k) ? v.k : [];
    if (v?.s !== sort || v.o !== order || k.length !== width) return null;
    const keys = k.filter((x): x is string | number => typeof x === 'string' || typeof x === 'number');
    return keys.length === width ? keys : null;
  } catch {
    return null;
  }
}
