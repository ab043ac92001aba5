import {
  stringRecordOf,
  isRecord,
  optionalNumber,
  optionalString,
  recordOf,
  type ActionPreview,
} from '@wheelhouse/protocol';
import type { KubeObject } from '../projections.js';
import { ensureOk, kubeRequest } from '../kube-http.js';
import { previewResult, refuseTemplateBreakingPolicy, type ExecutionResult, type Executor } from './context.js';
import { rolloutState } from './rollout.js';
import { applyOnce, getTarget, objectPath } from './target.js';
import { CHANGE_CAUSE, changeCause, listObjects, waitFor } from './util.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** Pods of a workload, by its selector's matchLabels. */
export async function podsOf(
  kc: Parameters<typeof listObjects>[0],
  o: KubeObject,
  namespace: string,
): Promise<KubeObject[]> {
  const sel = o.spec?.selector;
  const labels = stringRecordOf(recordOf(sel).matchLabels) ?? {};
  const q = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return q ? listObjects(kc, 'Pod', namespace, `labelSelector=${encodeURIComponent(q)}`) : [];
}

export function gracePeriodOf(template: unknown): number {
  const spec = isRecord(template) && isRecord(template.spec) ? template.spec : {};
  return optionalNumber(spec.terminationGracePeriodSeconds) ?? 30;
}

export function rolloutWarnings(kind: string, o: KubeObject): string[] {
  const w: string[] = [];
  if (kind === 'Deployment' && o.spec?.paused === true)
    w.push('the Deployment is paused: nothing rolls out until it is resumed');
  const strategy = isRecord(o.spec?.updateStrategy) ? o.spec.updateStrategy.type : undefined;
  if (strategy === 'OnDelete')
    w.push(`the ${kind} uses the OnDelete update strategy: pods change only when they are deleted`);
  return w;
}

export const restart: Executor<'restart'> = async ({ kc, command }, params): Promise<ExecutionResult> => {
  const t = command.target;
  const current = await getTarget(kc, t);
  const template = current.spec?.template;
  // A restart re-creates every pod from this template: it must meet today's level.
  refuseTemplateBreakingPolicy(command, `the pod template of ${t.kind} ${t.name}`, {
    kind: t.kind,
    spec: { template },
  });
  const grace = gracePeriodOf(template);
  const now = new Date().toISOString();
  const prev = optionalString(recordOf(recordOf(recordOf(template).metadata).annotations)[RESTARTED_AT]);
  const patch = {
    metadata: { annotations: { [CHANGE_CAUSE]: changeCause(command, 'rolling restart') } },
    spec: { template: { metadata: { annotations: { [RESTARTED_AT]: now } } } },
  };
  if (command.dryRun) {
    ensureOk(
      await kubeRequest(kc, 'PATCH', `${objectPath(t)}?dryRun=All`, patch, 'application/merge-patch+json'),
      'dry run',
    );
    const pods = await podsOf(kc, current, t.namespace);
    const preview: ActionPreview = {
      summary: `rolling restart of ${t.kind} ${t.name}: ${pods.length} pods replaced, each stopped with a grace period of ${grace}s`,
      diff: [
        {
          path: `spec.template.metadata.annotations.${RESTARTED_AT}`,
          ...(prev !== undefined ? { from: prev } : {}),
          to: now,
        },
      ],
      warnings: rolloutWarnings(t.kind, current),
      affected: pods.map((p) => ({
        kind: 'Pod',
        namespace: t.namespace,
        name: p.metadata?.name ?? '',
        effect: 'recreated',
      })),
    };
    return previewResult(preview);
  }
  const r = await applyOnce(kc, t, command.id, () => patch);
  await waitFor(`the rollout of ${t.kind} ${t.name}`, params.timeoutSeconds * 1000, async () =>
    rolloutState(t.kind, await getTarget(kc, t)),
  );
  return {
    message: `${r.alreadyApplied ? 'already applied: ' : ''}restarted ${t.kind} ${t.name}: rollout complete (pods stopped with a grace period of ${grace}s)`,
    result: { alreadyApplied: r.alreadyApplied, gracePeriodSeconds: grace },
  };
};
