// Compact inventory: the fields the UI, timeline and actions need, never whole
// objects (no managedFields, no Secret data, ConfigMaps as metadata only).
import { z } from 'zod';
import { JsonObject } from './json.js';
import { RESOURCE_KIND_NAMES } from './kinds.js';

export const KindName = z.enum(RESOURCE_KIND_NAMES as [string, ...string[]]);

export const OwnerRef = z.object({ kind: z.string(), name: z.string(), uid: z.string() });
export type OwnerRef = z.infer<typeof OwnerRef>;

export const InventoryItem = z.object({
  kind: KindName,
  namespace: z.string(), // '' for cluster-scoped kinds
  name: z.string(),
  uid: z.string(),
  resourceVersion: z.string(),
  createdAt: z.number(),
  labels: z.record(z.string(), z.string()),
  ownerRefs: z.array(OwnerRef),
  /** Set while the object is being deleted (deletionTimestamp). */
  deletingSince: z.number().optional(),
  /** Kind-specific projection; see the agent's projections for the fields of each kind. */
  summary: JsonObject,
});
export type InventoryItem = z.infer<typeof InventoryItem>;
