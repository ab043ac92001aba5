// Like `kubectl pi extend`: ask exec guard (through the pod annotation its
// webhook validates) to move the eviction time, and succeed once it has.
import type { ActionPreview } from '@wheelhouse/protocol';
import {
  EXTENSION_ID_ANNOTATION,
  EXTENSION_REQUEST_ANNOTATION,
  INTERACTION_TIMESTAMP_LABEL,
  TERMINATION_TIME_ANNOTATION,
} from '@wheelhouse/exec-guard/labels';
import { ensureOk, kubeRequest } from '../kube-http.js';
import { previewResult, type ExecutionResult, type Executor } from './context.js';
import { getTarget, objectPath } from './target.js';
import { waitFor } from './util.js';

export const extendEviction: Executor<'extend-eviction'> = async (
  { kc, command },
  params,
): Promise<ExecutionResult> => {
  const pod = await getTarget(kc, command.target);
  const annotations = pod.metadata?.annotations ?? {};
  if (!pod.metadata?.labels?.[INTERACTION_TIMESTAMP_LABEL]) {
    throw new Error(`pod ${command.target.name} was never interacted with: exec guard has no eviction time to extend`);
  }
  const before = annotations[TERMINATION_TIME_ANNOTATION] ?? null;
  if (command.dryRun) {
    const preview: ActionPreview = {
      summary: `extend the eviction time of pod ${command.target.name} by ${params.duration}`,
      diff: [{ path: `metadata.annotations.${EXTENSION_REQUEST_ANNOTATION}`, to: params.duration }],
      warnings: before ? [`currently evicted at ${before}`] : [],
      affected: [],
    };
    return previewResult(preview);
  }
  const extensionBefore = annotations[EXTENSION_ID_ANNOTATION];
  const patch = { metadata: { annotations: { [EXTENSION_REQUEST_ANNOTATION]: params.duration } } };
  ensureOk(
    await kubeRequest(kc, 'PATCH', objectPath(command.target), patch, 'application/merge-patch+json'),
    `request the extension of ${command.target.name}`,
  );
  // Exec guard applies the request asynchronously: succeed once the termination time moved.
  const after = await waitFor(`exec guard to apply the extension of ${command.target.name}`, 20_000, async () => {
    const now = await getTarget(kc, command.target);
    const a = now.metadata?.annotations ?? {};
    if (a[EXTENSION_REQUEST_ANNOTATION] === undefined && a[EXTENSION_ID_ANNOTATION] !== extensionBefore)
      return { done: a[TERMINATION_TIME_ANNOTATION] ?? null };
    return {
      seen:
        a[EXTENSION_REQUEST_ANNOTATION] !== undefined
          ? 'the request is still pending (is exec guard running?)'
          : 'no extension recorded yet',
    };
  });
  return {
    message: `eviction time of pod ${command.target.name} extended by ${params.duration}: ${before ?? '?'} → ${after ?? '?'}`,
    result: { previousTerminationTime: before, terminationTime: after ?? null },
  };
};
