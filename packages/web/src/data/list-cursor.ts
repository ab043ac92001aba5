// The hub's keyset cursor of a sorted list, built from a row the console holds
// (issue 18): a feed restart deep in a long list reads the rows in view again
// starting just above them, not from the top. The hub's own cursors
// (inventory-store.ts, encodeListCursor) are base64url JSON of the sort, the
// order and the sort's columns of the page's last row, compared as a tuple
// (`(cols) > (k)`); one built here from a row's values is the same position.
// The row's values are those the console holds (stale ones included): the
// read starts where that row was, which is what a re-read of what follows it
// needs. A cursor the hub cannot read lists from the top (so the store's
// format and this one are checked together: test/list-cursor.test.ts).
import { WORKLOAD_KINDS, nodeListStatus, workloadHealth } from '@wheelhouse/protocol/core';
import type { InventoryItem } from '../api/types.js';

export type CursorSort = 'namespace' | 'name' | 'age' | 'status' | 'kind' | 'health';

/** A workload's health level as the hub's health sort ranks it. */
const SEVERITY: Record<string, number> = { err: 3, warn: 2, ok: 1 };

/** What the hub keeps as an item's status column (inventory-store.ts listColumns). */
export function listStatus(it: InventoryItem): string {
  if (it.kind === 'Pod') return it.summary.phase;
  if (it.kind === 'Node') return nodeListStatus(it);
  return (WORKLOAD_KINDS as readonly string[]).includes(it.kind) ? workloadHealth(it).level : '';
}

function base64url(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The cursor that lists from just after this item under this sort and order. */
export function cursorAfter(sort: CursorSort, order: 'asc' | 'desc', it: InventoryItem): string {
  const { namespace: ns, name, uid } = it;
  const k: (string | number)[] = {
    namespace: () => [ns, name, uid],
    name: () => [name, ns, uid],
    age: () => [it.createdAt, uid],
    status: () => [listStatus(it), ns, name, uid],
    kind: () => [it.kind, ns, name, uid],
    health: () => [SEVERITY[listStatus(it)] ?? 0, ns, name, uid],
  }[sort]();
  return base64url(JSON.stringify({ s: sort, o: order, k }));
}
