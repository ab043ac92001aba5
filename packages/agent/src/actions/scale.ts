import type { KubeClientConfig } from '../kube-config.js';
import {
  optionalString,
  recordOf,
  recordsOf,
  isRecord,
  optionalNumber,
  type ActionPreview,
  type AffectedObject,
  type CommandTarget,
} from '@wheelhouse/protocol';
import { ensureOk, kubeRequest } from '../kube-http.js';
import type { KubeObject } from '../projections.js';
import { previewResult, type ExecutionResult, type Executor } from './context.js';
import { appliedCommands, applyOnce, getTarget, objectPath } from './target.js';
import { CHANGE_CAUSE, changeCause, listObjects, watchUntil } from './util.js';

/** Warnings a scale should show: an HPA will undo it; a StatefulSet scale-down keeps its PVCs. */
export function scaleWarnings(
  target: CommandTarget,
  current: KubeObject,
  to: number,
  hpas: readonly KubeObject[],
): string[] {
  const warnings: string[] = [];
  for (const h of hpas) {
    const ref = h.spec?.scaleTargetRef;
    if (isRecord(ref) && ref.kind === target.kind && ref.name === target.name) {
      warnings.push(
        `HorizontalPodAutoscaler ${h.metadata?.name ?? ''} targets this ${target.kind} (min ${optionalNumber(h.spec?.minReplicas) ?? 1}, max ${optionalNumber(h.spec?.maxReplicas) ?? '?'}): it will re-scale it to its own target`,
      );
    }
  }
  const from = optionalNumber(current.spec?.replicas) ?? 1;
  if (target.kind === 'StatefulSet' && to < from) {
    const claims = recordsOf(current.spec?.volumeClaimTemplates).map((c) => optionalString(recordOf(c.metadata).name));
    const names: string[] = [];
    for (const c of claims) for (let i = to; i < from; i++) names.push(`${c ?? ''}-${target.name}-${i}`);
    warnings.push(
      names.length > 0
        ? `scaling a StatefulSet down keeps the PersistentVolumeClaims of the removed pods: ${names.join(', ')}`
        : 'scaling a StatefulSet down removes the highest ordinals first; any PersistentVolumeClaims they used remain',
    );
  }
  return warnings;
}

function affectedPods(target: CommandTarget, from: number, to: number): AffectedObject[] {
  if (target.kind !== 'StatefulSet') return [];
  const out: AffectedObject[] = [];
  for (let i = Math.min(from, to); i < Math.max(from, to); i++) {
    out.push({
      kind: 'Pod',
      namespace: target.namespace,
      name: `${target.name}-${i}`,
      effect: to < from ? 'deleted' : 'created',
    });
  }
  return out;
}

async function patchScale(
  kc: KubeClientConfig,
  target: CommandTarget,
  replicas: number,
  dryRun: boolean,
): Promise<void> {
  const path = `${objectPath(target)}/scale${dryRun ? '?dryRun=All' : ''}`;
  ensureOk(
    await kubeRequest(kc, 'PATCH', path, { spec: { replicas } }, 'application/merge-patch+json'),
    `scale ${target.kind} ${target.name}`,
  );
}

export const scale: Executor<'scale'> = async ({ kc, command }, params): Promise<ExecutionResult> => {
  const t = command.target;
  const current = await getTarget(kc, t);
  const from = optionalNumber(current.spec?.replicas) ?? 1;
  if (command.dryRun) {
    const hpas = await listObjects(kc, 'HorizontalPodAutoscaler', t.namespace);
    await patchScale(kc, t, params.replicas, true);
    const preview: ActionPreview = {
      summary: `scale ${t.kind} ${t.name} from ${from} to ${params.replicas} replicas`,
      diff: from === params.replicas ? [] : [{ path: 'spec.replicas', from, to: params.replicas }],
      warnings: scaleWarnings(t, current, params.replicas, hpas),
      affected: affectedPods(t, from, params.replicas),
    };
    return previewResult(preview);
  }
  // Scale first, then record: a crash in between re-runs an absolute (idempotent) scale.
  if (appliedCommands(current).includes(command.id)) {
    // Re-delivered: the scale happened; a later change (another scale, an HPA) is not undone.
    return {
      message: `already applied: ${t.kind} ${t.name} was scaled to ${params.replicas} by this command; it now has spec.replicas=${from}`,
      result: { from, to: params.replicas, alreadyApplied: true },
    };
  }
  await patchScale(kc, t, params.replicas, false);
  // The record (change cause, command id) is written while the status is awaited, not before it: off the critical
  // path. A crash before it lands re-runs the scale on re-delivery, which is absolute and so changes nothing.
  const record = applyOnce(kc, t, command.id, () => ({
    metadata: { annotations: { [CHANGE_CAUSE]: changeCause(command, `scale to ${params.replicas}`) } },
  }));
  // Succeeded = the controller reports that many replicas (watched: the status update is seen when it lands).
  const shown = watchUntil(
    kc,
    objectPath(t),
    `${t.kind} ${t.name} to report ${params.replicas} replicas`,
    params.timeoutSeconds * 1000,
    (o) => {
      const spec = optionalNumber(o.spec?.replicas) ?? 1;
      const status = optionalNumber(o.status?.replicas) ?? 0;
      const observed = optionalNumber(o.status?.observedGeneration) ?? 0;
      if (spec === params.replicas && status === params.replicas && observed >= (o.metadata?.generation ?? 0))
        return { done: true };
      return { seen: `spec.replicas=${spec}, status.replicas=${status}` };
    },
  );
  // Both must hold; the record's failure is reported even when the status also timed out.
  const [recorded, counted] = await Promise.allSettled([record, shown]);
  if (recorded.status === 'rejected') throw recorded.reason;
  if (counted.status === 'rejected') throw counted.reason;
  return {
    message: `scaled ${t.kind} ${t.name} from ${from} to ${params.replicas}; status shows ${params.replicas} replicas`,
    result: { from, to: params.replicas, alreadyApplied: false },
  };
};
