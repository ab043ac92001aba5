// Which pods a drain evicts, skips or cannot touch — kubectl drain's filters.
// Pure, so each rule is unit-tested.
import { recordsOf } from '@wheelhouse/protocol';
import type { KubeObject } from '../projections.js';

export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

export interface DrainOptions {
  force: boolean;
  deleteEmptyDirData: boolean;
}

export interface DrainPlan {
  evict: KubeObject[];
  skipped: { pod: KubeObject; reason: string }[];
  /** Pods that stop the drain unless an option allows them. */
  blockers: { pod: KubeObject; reason: string }[];
}

export const podRef = (p: KubeObject): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

export function planDrain(pods: readonly KubeObject[], opts: DrainOptions): DrainPlan {
  const plan: DrainPlan = { evict: [], skipped: [], blockers: [] };
  for (const pod of pods) {
    const controller = pod.metadata?.ownerReferences?.find((r) => r.controller);
    const phase = pod.status?.phase;
    const finished = phase === 'Succeeded' || phase === 'Failed';
    if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) {
      plan.skipped.push({ pod, reason: 'mirror (static) pod: the API cannot remove it' });
      continue;
    }
    if (controller?.kind === 'DaemonSet' && !finished) {
      plan.skipped.push({
        pod,
        reason: `DaemonSet pod (${controller.name}): it tolerates the cordon and would be recreated`,
      });
      continue;
    }
    if (!controller && !finished && !opts.force) {
      plan.blockers.push({
        pod,
        reason: 'no controller manages it, so it would not be recreated (set force to evict it anyway)',
      });
      continue;
    }
    const emptyDirs = recordsOf(pod.spec?.volumes)
      .filter((v) => v.emptyDir !== undefined)
      .map((v) => String(v.name));
    if (emptyDirs.length > 0 && !finished && !opts.deleteEmptyDirData) {
      plan.blockers.push({
        pod,
        reason: `uses emptyDir volume(s) ${emptyDirs.join(', ')}, whose data is lost on eviction (set deleteEmptyDirData)`,
      });
      continue;
    }
    plan.evict.push(pod);
  }
  return plan;
}
