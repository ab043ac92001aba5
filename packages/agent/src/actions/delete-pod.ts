// A DELETE with a DeleteOptions body takes its options from the body only: a dry run says so there, not in the query.
import type { KubeClientConfig } from '../kube-config.js';
import { optionalNumber, type ActionPreview, type CommandTarget } from '@wheelhouse/protocol';
import { KubeApiError } from '@wheelhouse/exec-guard/kube-errors';
import { ensureOk, kubeRequest } from '../kube-http.js';
import type { KubeObject } from '../projections.js';
import { previewResult, type ExecutionResult, type ExecutionContext } from './context.js';
import { createdAfterRequest, getTarget, objectPath } from './target.js';
import { getOrNull, waitFor } from './util.js';

/**
 * Deletes an object with a uid precondition (never a same-named successor) and
 * waits until that object is gone. Returns the seconds it took.
 */
export async function deleteAndWait(
  kc: KubeClientConfig,
  target: CommandTarget,
  uid: string | undefined,
  options: { gracePeriodSeconds?: number; propagationPolicy?: string },
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  const body = { apiVersion: 'v1', kind: 'DeleteOptions', ...options, ...(uid ? { preconditions: { uid } } : {}) };
  const res = await kubeRequest(kc, 'DELETE', objectPath(target), body);
  if (res.status === 404)
    throw new KubeApiError(
      404,
      'NotFound',
      `${target.kind} ${target.namespace ? `${target.namespace}/` : ''}${target.name} not found`,
    );
  if (res.status !== 409) ensureOk(res, `delete ${target.kind} ${target.name}`); // 409: uid precondition — the object we saw is already gone
  await waitFor(`${target.kind} ${target.name} to be gone`, timeoutMs, async () => {
    const o = await getOrNull(kc, objectPath(target), `get ${target.kind} ${target.name}`);
    if (!o || o.metadata?.uid !== uid) return { done: true };
    return {
      seen: o.metadata?.deletionTimestamp ? `terminating since ${o.metadata.deletionTimestamp}` : 'still present',
    };
  });
  return Math.round((Date.now() - started) / 100) / 10;
}

const controllerOf = (o: KubeObject): string | undefined => {
  const ref = o.metadata?.ownerReferences?.find((r) => r.controller);
  return ref ? `${ref.kind} ${ref.name}` : undefined;
};

/** delete-pod (grace from params or the pod) and force-delete-pod (grace 0). */
export async function deletePodWith(
  ctx: ExecutionContext,
  grace: number | undefined,
  timeoutSeconds: number,
): Promise<ExecutionResult> {
  const { kc, command } = ctx;
  const t = command.target;
  const pod = await getTarget(kc, t);
  if (!command.dryRun && createdAfterRequest(pod, command.requestedAt)) {
    // A re-delivery after the agent restarted: the object this command deleted is gone, and this one is its successor.
    return {
      message: `already done: ${t.kind} ${t.name} now is a newer object (created after the command was requested); left alone`,
      result: { alreadyApplied: true },
    };
  }
  const podGrace = optionalNumber(pod.spec?.terminationGracePeriodSeconds) ?? 30;
  const used = grace ?? podGrace;
  const source =
    grace === undefined ? "the pod's terminationGracePeriodSeconds" : grace === 0 ? 'force delete' : 'requested';
  const owner = controllerOf(pod);
  if (command.dryRun) {
    ensureOk(
      await kubeRequest(kc, 'DELETE', objectPath(t), {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        dryRun: ['All'],
        gracePeriodSeconds: used,
      }),
      'dry run',
    );
    const warnings = [
      owner ? `${owner} will create a replacement pod` : 'no controller manages this pod: it will not be recreated',
      ...(used === 0
        ? [
            'grace period 0: the API forgets the pod at once; its process may keep running on the node until the kubelet stops it',
          ]
        : []),
      ...(pod.metadata?.deletionTimestamp
        ? [`the pod is already terminating (since ${pod.metadata.deletionTimestamp})`]
        : []),
    ];
    const preview: ActionPreview = {
      summary: `delete pod ${t.name} with a grace period of ${used}s (${source})`,
      diff: [],
      warnings,
      affected: [{ kind: 'Pod', namespace: t.namespace, name: t.name, effect: 'deleted' }],
    };
    return previewResult(preview);
  }
  const took = await deleteAndWait(
    kc,
    t,
    pod.metadata?.uid,
    { gracePeriodSeconds: used },
    (used + timeoutSeconds) * 1000,
  );
  return {
    message: `deleted pod ${t.name} with a grace period of ${used}s (${source}); gone after ${took}s${owner ? `; ${owner} replaces it` : ''}`,
    result: { gracePeriodSeconds: used, seconds: took },
  };
}
