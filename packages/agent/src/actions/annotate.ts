import type { ActionPreview } from '@wheelhouse/protocol';
import { ensureOk, kubeRequest } from '../kube-http.js';
import { previewResult, type ExecutionResult, type Executor } from './context.js';
import { applyOnce, getTarget, objectPath } from './target.js';

export const annotate: Executor<'annotate'> = async ({ kc, command }, params): Promise<ExecutionResult> => {
  const patch = { metadata: { annotations: { [params.key]: params.value } } };
  if (command.dryRun) {
    const current = await getTarget(kc, command.target);
    ensureOk(
      await kubeRequest(kc, 'PATCH', `${objectPath(command.target)}?dryRun=All`, patch, 'application/merge-patch+json'),
      'dry run',
    );
    const from = current.metadata?.annotations?.[params.key];
    const preview: ActionPreview = {
      summary: params.value === null ? `remove annotation ${params.key}` : `set annotation ${params.key}`,
      diff: [
        {
          path: `metadata.annotations.${params.key}`,
          ...(from !== undefined ? { from } : {}),
          ...(params.value !== null ? { to: params.value } : {}),
        },
      ],
      warnings: [],
      affected: [],
    };
    return previewResult(preview);
  }
  const r = await applyOnce(kc, command.target, command.id, () => patch);
  const now = r.object.metadata?.annotations?.[params.key] ?? null;
  // "Succeeded" means Kubernetes shows the effect, not that the call returned.
  if (now !== params.value)
    throw new Error(
      `annotation ${params.key} is ${JSON.stringify(now)} after the patch, expected ${JSON.stringify(params.value)}`,
    );
  return {
    message: r.alreadyApplied ? `already applied (annotation ${params.key} present)` : `annotation ${params.key} set`,
    result: { alreadyApplied: r.alreadyApplied, resourceVersion: r.object.metadata?.resourceVersion ?? null },
  };
};
