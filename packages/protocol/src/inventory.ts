// Compact inventory: the fields the UI, timeline and actions need, never whole
// objects (no managedFields, no Secret data, ConfigMaps as metadata only).
// An item is a union keyed by `kind`; each kind has its typed `summary`.
import { z } from 'zod';
import { RESOURCE_KIND_NAMES, type ResourceKind } from './kinds.js';
import { SUMMARIES } from './summaries.js';

export const KindName = z.enum(RESOURCE_KIND_NAMES);

export const OwnerRef = z.object({ kind: z.string(), name: z.string(), uid: z.string() });
export type OwnerRef = z.infer<typeof OwnerRef>;

const ItemBase = z.object({
  namespace: z.string(), // '' for cluster-scoped kinds
  name: z.string(),
  uid: z.string(),
  resourceVersion: z.string(),
  createdAt: z.number(),
  labels: z.record(z.string(), z.string()),
  ownerRefs: z.array(OwnerRef),
  /** Set while the object is being deleted (deletionTimestamp). */
  deletingSince: z.number().optional(),
});

const item = <K extends ResourceKind>(kind: K) => ItemBase.extend({ kind: z.literal(kind), summary: SUMMARIES[kind] });

export const InventoryItem = z.discriminatedUnion('kind', [
  item('Namespace'),
  item('Node'),
  item('Pod'),
  item('Service'),
  item('ConfigMap'),
  item('PersistentVolumeClaim'),
  item('Deployment'),
  item('ReplicaSet'),
  item('StatefulSet'),
  item('DaemonSet'),
  item('Job'),
  item('CronJob'),
  item('Ingress'),
  item('HorizontalPodAutoscaler'),
  item('PodDisruptionBudget'),
]);
export type InventoryItem = z.infer<typeof InventoryItem>;

/** The item of one kind, with that kind's summary. */
export type InventoryItemOf<K extends ResourceKind> = Extract<InventoryItem, { kind: K }>;
