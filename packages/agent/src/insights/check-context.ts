// What every check gets, and the helpers that build an insight the same way.
import type { InsightAction, InsightEvidence, InsightInput, UnknownRecord } from '@wheelhouse/protocol';
import { recordOf, stringOrNull } from '@wheelhouse/protocol';
import { metaOf, type ClusterView } from './cluster-view.js';

export interface CheckContext {
  view: ClusterView;
  now: number;
  /** The workload a pod / ReplicaSet / Job belongs to, by the protocol's one owner rule. */
  owner(
    kind: 'Pod' | 'ReplicaSet' | 'Job',
    namespace: string,
    name: string,
  ): { kind: string; name: string } | undefined;
}

export type Check = (ctx: CheckContext) => InsightInput[];

export function ref(kind: string, o: UnknownRecord): { kind: string; namespace: string; name: string } {
  const m = metaOf(o);
  return { kind, namespace: m.namespace, name: m.name };
}

export const status = (label: string, value: unknown): InsightEvidence => ({
  source: 'status',
  label,
  value: clip(value),
});
export const spec = (label: string, value: unknown): InsightEvidence => ({ source: 'spec', label, value: clip(value) });

/** The object's recent Warning Events as evidence (reason, count, message). */
export function eventEvidence(ctx: CheckContext, o: UnknownRecord, reasons?: readonly string[]): InsightEvidence[] {
  return ctx.view
    .warnings(metaOf(o).uid)
    .filter((e) => !reasons || reasons.includes(e.reason))
    .map((e) => ({
      source: 'event' as const,
      label: `Event ${e.reason}${e.count > 1 ? ` (×${e.count})` : ''}`,
      value: clip(e.message),
    }));
}

function clip(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 2000 ? `${s.slice(0, 2000)}…` : s;
}

export function insight(
  check: InsightInput['check'],
  object: { kind: string; namespace: string; name: string },
  rest: Omit<InsightInput, 'id' | 'check' | 'object'> & { idSuffix?: string },
): InsightInput {
  const { idSuffix, ...fields } = rest;
  const id = `${check}:${object.kind}:${object.namespace}:${object.name}${idSuffix ? `:${idSuffix}` : ''}`;
  return { id, check, object, ...fields };
}

/** "Roll back" to the previous revision, when the Deployment has one. */
export function rollbackAction(
  ctx: CheckContext,
  owner: { kind: string; name: string } | undefined,
  namespace: string,
): InsightAction | undefined {
  if (owner?.kind !== 'Deployment') return undefined;
  const d = ctx.view.byName('Deployment', namespace, owner.name);
  const revision = Number(
    stringOrNull(recordOf(recordOf(d?.metadata).annotations)['deployment.kubernetes.io/revision']),
  );
  if (!d || !(revision > 1)) return undefined;
  return {
    action: 'rollback',
    target: { kind: 'Deployment', namespace, name: owner.name },
    params: {},
    label: `Roll back ${owner.name} to the previous revision`,
  };
}
