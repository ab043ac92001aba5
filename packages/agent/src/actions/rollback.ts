// `kubectl rollout undo [--to-revision]`: a Deployment takes back the pod
// template of the ReplicaSet with the wanted deployment.kubernetes.io/revision;
// a StatefulSet or DaemonSet re-applies a ControllerRevision's data (a
// strategic merge patch of its template). Either creates a new revision.
import type { KubeClientConfig } from '../kube-config.js';
import { recordOf, recordsOf, toJson, isRecord, type ActionPreview, type CommandEnvelope } from '@wheelhouse/protocol';
import { ensureOk, kubeRequest } from '../kube-http.js';
import type { KubeObject } from '../projections.js';
import { diff } from '../timeline/diff.js';
import { previewResult, refuseTemplateBreakingPolicy, type ExecutionResult, type Executor } from './context.js';
import { gracePeriodOf, podsOf, rolloutWarnings } from './restart.js';
import { rolloutState } from './rollout.js';
import { appliedCommands, applyOnce, getTarget, objectPath } from './target.js';
import { CHANGE_CAUSE, changeCause, listObjects, mergePatchBetween, ownedBy, waitFor } from './util.js';

export const REVISION = 'deployment.kubernetes.io/revision';

export interface Revision {
  revision: number;
  /** The pod template that revision stands for. */
  template: Record<string, unknown>;
  /** ControllerRevision data (StatefulSet/DaemonSet) to patch with. */
  data?: Record<string, unknown>;
}

/** A ReplicaSet's template without the pod-template-hash label the controller adds. */
export function templateOfReplicaSet(rs: KubeObject): Record<string, unknown> {
  const t = structuredClone(isRecord(rs.spec?.template) ? rs.spec.template : {});
  const meta = isRecord(t.metadata) ? t.metadata : undefined;
  if (meta && isRecord(meta.labels)) {
    delete meta.labels['pod-template-hash'];
  }
  return t;
}

/** The template a ControllerRevision's data carries (its "$patch: replace" directive removed). */
export function templateOfControllerRevision(cr: KubeObject): Record<string, unknown> {
  const data = isRecord(cr.data) ? cr.data : {};
  const t = structuredClone(isRecord(data.spec) && isRecord(data.spec.template) ? data.spec.template : {});
  delete t.$patch;
  return t;
}

/** The revision to roll back to, or an error message naming what exists. */
export function chooseRevision(
  revisions: readonly Revision[],
  current: number,
  toRevision: number | undefined,
  what: string,
): Revision | string {
  const available = revisions.map((r) => r.revision).sort((a, b) => a - b);
  if (toRevision !== undefined) {
    return (
      revisions.find((r) => r.revision === toRevision) ??
      `revision ${toRevision} of ${what} not found; available revisions: ${available.join(', ') || 'none'} (current ${current})`
    );
  }
  const previous = revisions.filter((r) => r.revision < current).sort((a, b) => b.revision - a.revision)[0];
  return previous ?? `${what} has no previous revision to roll back to (current revision ${current})`;
}

async function revisionsOf(
  kc: KubeClientConfig,
  kind: string,
  o: KubeObject,
  namespace: string,
): Promise<{ revisions: Revision[]; current: number }> {
  const uid = o.metadata?.uid;
  if (kind === 'Deployment') {
    const rses = (await listObjects(kc, 'ReplicaSet', namespace)).filter((rs) => ownedBy(rs, uid));
    const revisions = rses
      .map((rs) => ({
        revision: Number(rs.metadata?.annotations?.[REVISION] ?? NaN),
        template: templateOfReplicaSet(rs),
      }))
      .filter((r) => Number.isInteger(r.revision));
    return { revisions, current: Number(o.metadata?.annotations?.[REVISION] ?? 0) };
  }
  const crs = (await listObjects(kc, 'ControllerRevision', namespace)).filter((cr) => ownedBy(cr, uid));
  const revisions = crs.map((cr) => ({
    revision: typeof cr.revision === 'number' ? cr.revision : NaN,
    template: templateOfControllerRevision(cr),
    data: isRecord(cr.data) ? cr.data : {},
  }));
  const updateRevision = o.status?.updateRevision;
  const named = crs.find((cr) => cr.metadata?.name === updateRevision);
  const current =
    typeof named?.revision === 'number' ? named.revision : Math.max(0, ...revisions.map((r) => r.revision));
  return { revisions, current };
}

const images = (template: unknown): string => {
  const cs = recordsOf(recordOf(recordOf(template).spec).containers);
  return cs.map((c) => `${String(c.name)}=${String(c.image)}`).join(', ');
};

function patchFor(
  kind: string,
  command: CommandEnvelope,
  target: Revision,
  current: KubeObject,
): Record<string, unknown> {
  const metadata = { annotations: { [CHANGE_CAUSE]: changeCause(command, `rollback to revision ${target.revision}`) } };
  if (kind === 'Deployment')
    return { metadata, spec: { template: mergePatchBetween(current.spec?.template, target.template) } };
  return { ...(target.data ?? {}), metadata };
}

export const rollback: Executor<'rollback'> = async ({ kc, command }, params): Promise<ExecutionResult> => {
  const t = command.target;
  const what = `${t.kind} ${t.name}`;
  const current = await getTarget(kc, t);
  const contentType =
    t.kind === 'Deployment' ? 'application/merge-patch+json' : 'application/strategic-merge-patch+json';
  let message: string;
  let alreadyApplied = false;
  if (appliedCommands(current).includes(command.id)) {
    // Re-delivered after the patch: its revision has been renumbered since; just see the rollout through.
    alreadyApplied = true;
    message = `already applied: rolled back ${what}`;
  } else {
    const { revisions, current: currentRevision } = await revisionsOf(kc, t.kind, current, t.namespace);
    const chosen = chooseRevision(revisions, currentRevision, params.toRevision, what);
    if (typeof chosen === 'string') throw new Error(chosen);
    // An old revision may predate the cluster's level (a privileged template): never bring it back.
    refuseTemplateBreakingPolicy(command, `revision ${chosen.revision} of ${what}`, {
      kind: t.kind,
      spec: { template: chosen.template },
    });
    const changes = diff(toJson(current.spec?.template), toJson(chosen.template), 'spec.template');
    if (command.dryRun) {
      ensureOk(
        await kubeRequest(
          kc,
          'PATCH',
          `${objectPath(t)}?dryRun=All`,
          patchFor(t.kind, command, chosen, current),
          contentType,
        ),
        'dry run',
      );
      const pods = changes.length > 0 ? await podsOf(kc, current, t.namespace) : [];
      const preview: ActionPreview = {
        summary:
          changes.length > 0
            ? `roll ${what} back from revision ${currentRevision} to revision ${chosen.revision} (${images(chosen.template)})`
            : `${what} already runs the template of revision ${chosen.revision}: nothing to roll back`,
        diff: changes,
        warnings: [
          ...rolloutWarnings(t.kind, current),
          ...(changes.length > 0
            ? [`pods are replaced, each stopped with a grace period of ${gracePeriodOf(current.spec?.template)}s`]
            : []),
        ],
        affected: pods.map((p) => ({
          kind: 'Pod',
          namespace: t.namespace,
          name: p.metadata?.name ?? '',
          effect: 'recreated',
        })),
      };
      return previewResult(preview);
    }
    if (changes.length === 0) {
      return {
        message: `skipped rollback: ${what} already runs the template of revision ${chosen.revision}`,
        result: { revision: chosen.revision, changed: false },
      };
    }
    await applyOnce(kc, t, command.id, (now) => patchFor(t.kind, command, chosen, now), 5, contentType);
    message = `rolled back ${what} from revision ${currentRevision} to revision ${chosen.revision} (${images(chosen.template)})`;
  }
  const done = await waitFor(`the rollout of ${what}`, params.timeoutSeconds * 1000, async () => {
    const o = await getTarget(kc, t);
    const s = rolloutState(t.kind, o);
    return 'done' in s ? { done: o } : s;
  });
  const revision = done.metadata?.annotations?.[REVISION];
  return {
    message: `${message}; rollout complete${revision ? `, now revision ${revision}` : ''}`,
    result: { alreadyApplied, images: images(done.spec?.template) },
  };
};
