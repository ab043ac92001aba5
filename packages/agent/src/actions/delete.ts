import type { KubeClientConfig } from '../kube-config.js';
import type { ActionPreview, AffectedObject } from '@wheelhouse/protocol';
import { ensureOk, kubeRequest } from '../kube-http.js';
import type { KubeObject } from '../projections.js';
import { previewResult, type ExecutionResult, type Executor } from './context.js';
import { deleteAndWait } from './delete-pod.js';
import { createdAfterRequest, getTarget, objectPath } from './target.js';
import { listObjects, ownedBy } from './util.js';

/** Kinds that hang off others through ownerReferences (Deployment → ReplicaSet → Pod, CronJob → Job → Pod…). */
const DEPENDENT_KINDS = ['ReplicaSet', 'Pod', 'Job', 'ControllerRevision'] as const;

/** Everything the garbage collector would remove after `root`, by ownerReferences, transitively. */
async function dependentsOf(
  kc: KubeClientConfig,
  root: KubeObject,
  namespace: string,
): Promise<{ kind: string; o: KubeObject }[]> {
  if (!namespace) return [];
  const all = (
    await Promise.all(
      DEPENDENT_KINDS.map(async (kind) => (await listObjects(kc, kind, namespace)).map((o) => ({ kind, o }))),
    )
  ).flat();
  const out: { kind: string; o: KubeObject }[] = [];
  const queue = [root.metadata?.uid];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const uid = queue.shift();
    for (const d of all) {
      const id = d.o.metadata?.uid ?? '';
      if (!seen.has(id) && ownedBy(d.o, uid)) {
        seen.add(id);
        out.push(d);
        queue.push(id);
      }
    }
  }
  return out;
}

export const deleteObject: Executor<'delete'> = async ({ kc, command }, params): Promise<ExecutionResult> => {
  const t = command.target;
  const current = await getTarget(kc, t);
  if (!command.dryRun && createdAfterRequest(current, command.requestedAt)) {
    // A re-delivery after the agent restarted: the object this command deleted is gone, and this one is its successor.
    return {
      message: `already done: ${t.kind} ${t.name} now is a newer object (created after the command was requested); left alone`,
      result: { alreadyApplied: true },
    };
  }
  const policy = params.propagationPolicy;
  const dependents = await dependentsOf(kc, current, t.namespace);
  const direct = dependents.filter((d) => ownedBy(d.o, current.metadata?.uid));
  const going = policy === 'Orphan' ? [] : dependents;
  const count = (list: { kind: string }[]): string => {
    const by = new Map<string, number>();
    for (const d of list) by.set(d.kind, (by.get(d.kind) ?? 0) + 1);
    return [...by].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ');
  };
  if (command.dryRun) {
    ensureOk(
      await kubeRequest(kc, 'DELETE', objectPath(t), {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        dryRun: ['All'],
        propagationPolicy: policy,
      }),
      'dry run',
    );
    const affected: AffectedObject[] = [
      { kind: t.kind, namespace: t.namespace, name: t.name, effect: 'deleted' },
      ...(policy === 'Orphan' ? direct : dependents).map((d) => ({
        kind: d.kind,
        namespace: t.namespace,
        name: d.o.metadata?.name ?? '',
        effect: policy === 'Orphan' ? 'orphaned' : 'deleted',
      })),
    ];
    const warnings = [
      ...(policy === 'Orphan' && direct.length > 0
        ? [`Orphan: ${count(direct)} stay, no longer owned by ${t.kind} ${t.name}`]
        : []),
      ...(t.kind === 'StatefulSet' ? ["the PersistentVolumeClaims of the StatefulSet's pods remain"] : []),
      ...(t.kind === 'Pod' && !current.metadata?.ownerReferences?.some((r) => r.controller)
        ? ['no controller manages this pod: it will not be recreated']
        : []),
    ];
    const preview: ActionPreview = {
      summary: `delete ${t.kind} ${t.name} (propagation ${policy})${going.length > 0 ? ` and ${count(going)}` : ''}`,
      diff: [],
      warnings,
      affected,
    };
    return previewResult(preview);
  }
  const took = await deleteAndWait(
    kc,
    t,
    current.metadata?.uid,
    { propagationPolicy: policy },
    params.timeoutSeconds * 1000,
  );
  return {
    message: `deleted ${t.kind} ${t.name} (propagation ${policy}) after ${took}s${going.length > 0 ? `; ${count(going)} removed with it` : policy === 'Orphan' && direct.length > 0 ? `; ${count(direct)} orphaned` : ''}`,
    result: { propagationPolicy: policy, dependents: going.length },
  };
};
