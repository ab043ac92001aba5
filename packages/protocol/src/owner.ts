// Which workload an object belongs to, for service timelines: one rule for the
// agent (timeline owners), the hub (shell sessions) and the console (pod lists).
// A pod's first owner is its workload, except that a ReplicaSet and a Job are
// steps: their own first owner (a Deployment, a CronJob) is the workload when
// they have one. The function is pure; callers look up the step object in
// whatever store they have (by uid, or by namespace and name).

export interface OwnerLink {
  kind: string;
  name: string;
  uid: string;
}

export interface Owned {
  ownerRefs: readonly OwnerLink[];
}

export interface WorkloadRef {
  kind: string;
  name: string;
}

/** Owner kinds that are steps towards a workload rather than the workload itself. */
export const INTERMEDIATE_OWNER_KINDS = ['ReplicaSet', 'Job'] as const;
export type IntermediateOwnerKind = (typeof INTERMEDIATE_OWNER_KINDS)[number];

const isStep = (ref: OwnerLink): ref is OwnerLink & { kind: IntermediateOwnerKind } =>
  ref.kind === 'ReplicaSet' || ref.kind === 'Job';

/** The owner whose object the resolver needs to see (a ReplicaSet or Job), if any. */
export function ownerStep(item: Owned): (OwnerLink & { kind: IntermediateOwnerKind }) | undefined {
  const ref = item.ownerRefs[0];
  return ref && isStep(ref) ? ref : undefined;
}

/**
 * The workload `item` belongs to. `step` is the object of `ownerStep(item)` when the
 * caller found it (absent when there is no step, or it is unknown or already gone).
 */
export function resolveWorkload(item: Owned, step: Owned | undefined): WorkloadRef | undefined {
  const ref = item.ownerRefs[0];
  if (!ref) return undefined;
  const up = isStep(ref) ? step?.ownerRefs[0] : undefined;
  return up ? { kind: up.kind, name: up.name } : { kind: ref.kind, name: ref.name };
}
