// The Nodes page's rows (GET …/nodes, issue 18): each node of the page with its
// pods counted by the hub over the page's nodes only, and the recount of the
// nodes in view (GET …/pods-by-node?nodes=) that keeps those counts live.
import type { InventoryItemOf } from './inventory.js';

export interface NodeListRow {
  node: InventoryItemOf<'Node'>;
  /** Pods scheduled on the node (of the namespaces the caller may view). */
  pods: number;
}

/** One node's pod count. */
export interface NodePodCount {
  node: string;
  pods: number;
}

/** The Nodes page's sorts, each an index of migration 013 (its status filter: NODE_STATUSES, health.ts). */
export const NODE_LIST_SORTS = ['name', 'status', 'age'] as const;
/** How many nodes one recount may name: a screenful and its margins, well inside SQLite's parameter cap. */
export const MAX_COUNTED_NODES = 200;
