// Whether a workload's rollout is complete, with the same checks as
// `kubectl rollout status`; otherwise a line saying what is still pending.
import type { KubeObject } from '../projections.js';
import { num } from './util.js';

export type RolloutState = { done: true } | { seen: string };

export function rolloutState(kind: string, o: KubeObject): RolloutState {
  const spec = o.spec ?? {};
  const st = o.status ?? {};
  const generation = o.metadata?.generation ?? 0;
  const observed = num(st.observedGeneration) ?? 0;
  if (observed < generation)
    return { seen: `controller has not observed generation ${generation} yet (observed ${observed})` };
  if (kind === 'Deployment') {
    const want = num(spec.replicas) ?? 1;
    const updated = num(st.updatedReplicas) ?? 0;
    const total = num(st.replicas) ?? 0;
    const available = num(st.availableReplicas) ?? 0;
    if (updated < want) return { seen: `${updated} of ${want} replicas updated` };
    if (total > updated) return { seen: `${total - updated} old replicas pending termination` };
    if (available < updated) return { seen: `${available} of ${updated} updated replicas available` };
    return { done: true };
  }
  if (kind === 'StatefulSet') {
    const want = num(spec.replicas) ?? 1;
    const updated = num(st.updatedReplicas) ?? 0;
    const ready = num(st.readyReplicas) ?? 0;
    if (ready < want) return { seen: `${ready} of ${want} pods ready` };
    if (st.updateRevision !== st.currentRevision || updated < want)
      return { seen: `${updated} of ${want} pods updated to revision ${String(st.updateRevision)}` };
    return { done: true };
  }
  if (kind === 'DaemonSet') {
    const want = num(st.desiredNumberScheduled) ?? 0;
    const updated = num(st.updatedNumberScheduled) ?? 0;
    const available = num(st.numberAvailable) ?? 0;
    if (updated < want) return { seen: `${updated} of ${want} pods updated` };
    if (available < want) return { seen: `${available} of ${want} updated pods available` };
    return { done: true };
  }
  return { done: true };
}
