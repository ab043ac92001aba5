// Narrowing inventory items to one kind, zod-free (types only from the schemas).
import type { InventoryItem, InventoryItemOf } from './inventory.js';
import type { ResourceKind } from './kinds.js';

/** A filter that keeps the items of one kind, typed with that kind's summary. */
export const ofKind =
  <K extends ResourceKind>(kind: K) =>
  (item: InventoryItem): item is InventoryItemOf<K> =>
    item.kind === kind;
