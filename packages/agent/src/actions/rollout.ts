// Whether a workload's rollout is complete, with the same checks as
// `kubectl rollout status`; otherwise a line saying what is still pending.
import { optionalNumber } from '@wheelhouse/protocol';
import type { KubeObject } from '../projections.js';

export type RolloutState = { done: true } | { seen: string };

export function rolloutState(kind: string, o: KubeObject): RolloutState {
  const spec = o.spec ?? {};
  const st = o.status ?? {};
  const generation = o.metadata?.generation ?? 0;
  const observed = optionalNumber(st.observedGeneration) ?? 0;
  if (observed < generation)
    return { seen: `controller has not observed generation ${generation} yet (observed ${observed})` };
  if (kind === 'Deployment') {
    const want = optionalNumber(spec.replicas) ?? 1;
    const updated = optionalNumber(st.updatedReplicas) ?? 0;
    const total = optionalNumber(st.replicas) ?? 0;
    const available = optionalNumber(st.availableReplicas) ?? 0;
    if (updated < want) return { seen: `${updated} of ${want} replicas updated` };
    if (total > updated) return { seen: `${total - updated} old replicas pending termination` };
    if (available < updated) return { seen: `${available} of ${updated} updated replicas available` };
    return { done: true };
  }
  if (kind === 'StatefulSet') {
    const want = optionalNumber(spec.replicas) ?? 1;
    const updated = optionalNumber(st.updatedReplicas) ?? 0;
    const ready = optionalNumber(st.readyReplicas) ?? 0;
    if (ready < want) return { seen: `${ready} of ${want} pods ready` };
    if (st.updateRevision !== st.currentRevision || updated < want)
      return { seen: `${updated} of ${want} pods updated to revision ${String(st.updateRevision)}` };
    return { done: true };
  }
  if (kind === 'DaemonSet') {
    const want = optionalNumber(st.desiredNumberScheduled) ?? 0;
    const updated = optionalNumber(st.updatedNumberScheduled) ?? 0;
    const available = optionalNumber(st.numberAvailable) ?? 0;
    if (updated < want) return { seen: `${updated} of ${want} pods updated` };
    if (available < want) return { seen: `${available} of ${want} updated pods available` };
    return { done: true };
  }
  return { done: true };
}
