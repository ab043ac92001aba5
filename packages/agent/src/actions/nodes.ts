import type { KubeClientConfig } from '../kube-config.js';
import {
  isRecord,
  optionalNumber,
  type ActionPreview,
  type CommandEnvelope,
  type TimelineEventInput,
} from '@wheelhouse/protocol';
import { ensureOk, kubeRequest } from '../kube-http.js';
import type { KubeObject } from '../projections.js';
import { previewResult, type ExecutionContext, type ExecutionResult, type Executor } from './context.js';
import { planDrain, podRef, type DrainPlan } from './drain-plan.js';
import { applyOnce, getTarget } from './target.js';
import { CHANGE_CAUSE, changeCause, getOrNull, listObjects, sleep } from './util.js';
import { errorText } from '@wheelhouse/exec-guard/kube-errors';

async function setUnschedulable(
  ctx: ExecutionContext,
  unschedulable: boolean,
  verb: string,
): Promise<{ alreadyApplied: boolean }> {
  const { kc, command } = ctx;
  const r = await applyOnce(kc, command.target, command.id, () => ({
    metadata: { annotations: { [CHANGE_CAUSE]: changeCause(command, verb) } },
    spec: { unschedulable },
  }));
  const now = (await getTarget(kc, command.target)).spec?.unschedulable === true;
  if (now !== unschedulable)
    throw new Error(`node ${command.target.name} has spec.unschedulable=${now} after the patch`);
  return { alreadyApplied: r.alreadyApplied };
}

function nodeToggle(unschedulable: boolean): Executor<'cordon' | 'uncordon'> {
  const verb = unschedulable ? 'cordon' : 'uncordon';
  return async (ctx): Promise<ExecutionResult> => {
    const t = ctx.command.target;
    const node = await getTarget(ctx.kc, t);
    const was = node.spec?.unschedulable === true;
    if (ctx.command.dryRun) {
      const pods = await podsOnNode(ctx.kc, t.name);
      const preview: ActionPreview = {
        summary:
          was === unschedulable
            ? `node ${t.name} is already ${unschedulable ? 'cordoned' : 'schedulable'}`
            : `${verb} node ${t.name}`,
        diff: was === unschedulable ? [] : [{ path: 'spec.unschedulable', from: was, to: unschedulable }],
        warnings: unschedulable ? [`the ${pods.length} pods on the node keep running; use drain to move them`] : [],
        affected: [],
      };
      return previewResult(preview);
    }
    const r = await setUnschedulable(ctx, unschedulable, verb);
    return {
      message: `${r.alreadyApplied ? 'already applied: ' : ''}node ${t.name} ${unschedulable ? 'cordoned (unschedulable)' : 'uncordoned (schedulable)'}`,
      result: { alreadyApplied: r.alreadyApplied },
    };
  };
}

export const cordon: Executor<'cordon'> = nodeToggle(true);
export const uncordon: Executor<'uncordon'> = nodeToggle(false);

async function podsOnNode(kc: KubeClientConfig, node: string): Promise<KubeObject[]> {
  return listObjects(kc, 'Pod', '', `fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`);
}

const labelsMatch = (selector: unknown, labels: Record<string, string> | undefined): boolean => {
  if (!isRecord(selector) || !isRecord(selector.matchLabels)) return false;
  return Object.entries(selector.matchLabels).every(([k, v]) => labels?.[k] === v);
};

/**
 * PDBs that allow no disruption now and cover one of the pods (matchLabels only: a preview hint):
 * a warning each, and per blocked pod the budget that blocks it.
 */
async function blockingBudgets(
  kc: KubeClientConfig,
  pods: readonly KubeObject[],
): Promise<{ warnings: string[]; blocked: Map<string, string> }> {
  const out: string[] = [];
  const blocked = new Map<string, string>();
  for (const ns of new Set(pods.map((p) => p.metadata?.namespace ?? ''))) {
    for (const pdb of await listObjects(kc, 'PodDisruptionBudget', ns)) {
      if ((optionalNumber(pdb.status?.disruptionsAllowed) ?? 0) > 0) continue;
      const covered = pods.filter(
        (p) => p.metadata?.namespace === ns && labelsMatch(pdb.spec?.selector, p.metadata.labels),
      );
      if (covered.length === 0) continue;
      const budget = `${ns}/${pdb.metadata?.name ?? ''}`;
      out.push(
        `PodDisruptionBudget ${budget} allows no disruption now: eviction of ${covered.map(podRef).join(', ')} waits until it does`,
      );
      for (const p of covered) if (!blocked.has(podRef(p))) blocked.set(podRef(p), budget);
    }
  }
  return { warnings: out, blocked };
}

const describeSkipped = (plan: DrainPlan): string[] =>
  plan.skipped.map((s) => `skipping ${podRef(s.pod)}: ${s.reason}`);

function drainEvent(
  command: CommandEnvelope,
  pod: KubeObject,
  what: 'blocked' | 'evicted',
  summary: string,
): TimelineEventInput {
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
  return {
    id: `drain:${command.id}:${podRef(pod)}:${what}`,
    time: Date.now(),
    type: 'action',
    severity: what === 'blocked' ? 'warning' : 'info',
    kind: 'Pod',
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    ...(ref ? { owner: { kind: ref.kind, name: ref.name } } : {}),
    summary,
    data: { commandId: command.id, action: 'drain', node: command.target.name, step: what },
  };
}

export const drain: Executor<'drain'> = async (ctx, params): Promise<ExecutionResult> => {
  const { kc, command } = ctx;
  const node = command.target.name;
  const current = await getTarget(kc, command.target);
  const opts = { force: params.force, deleteEmptyDirData: params.deleteEmptyDirData };
  const plan = planDrain(await podsOnNode(kc, node), opts);
  if (command.dryRun) {
    // An already cordoned node changes nothing by the cordon: say so instead of a diff that is not one.
    const cordoned = current.spec?.unschedulable === true;
    const budgets = await blockingBudgets(kc, plan.evict);
    const preview: ActionPreview = {
      summary: cordoned
        ? `node ${node} is already cordoned; evict ${plan.evict.length} pods`
        : `cordon node ${node} and evict ${plan.evict.length} pods`,
      diff: cordoned ? [] : [{ path: 'spec.unschedulable', from: false, to: true }],
      warnings: [
        ...plan.blockers.map((b) => `cannot drain: ${podRef(b.pod)} ${b.reason}`),
        ...budgets.warnings,
        ...describeSkipped(plan),
      ],
      // A pod a budget holds is not evicted now: the drain waits for it (up to its timeout).
      affected: plan.evict.map((p) => {
        const budget = budgets.blocked.get(podRef(p));
        return {
          kind: 'Pod',
          namespace: p.metadata?.namespace ?? '',
          name: p.metadata?.name ?? '',
          effect: budget ? `blocked by PodDisruptionBudget ${budget}` : 'evicted',
        };
      }),
    };
    return previewResult(preview);
  }
  // Refuse before cordoning, so a drain that cannot proceed leaves the node as it was.
  if (plan.blockers.length > 0) {
    throw new Error(
      `cannot drain node ${node}: ${plan.blockers.map((b) => `${podRef(b.pod)} ${b.reason}`).join('; ')}`,
    );
  }
  await setUnschedulable(ctx, true, 'drain');
  // Listed again after the cordon: nothing new lands here now.
  const final = planDrain(await podsOnNode(kc, node), opts);
  const deadline = Date.now() + params.timeoutSeconds * 1000;
  const total = final.evict.length;
  let evicted = 0;
  // Pods whose eviction a budget refuses right now: every progress line repeats them, so the block stays visible.
  const blockedNow = new Map<string, string>();
  const progress = (last: string): void => {
    const blocked = [...blockedNow].map(([ref, why]) => `${ref} blocked: ${why}`).join('; ');
    ctx.progress(
      `${last} — evicted ${evicted}/${total}${blocked ? `; waiting (until ${new Date(deadline).toISOString()}): ${blocked}` : ''}`,
    );
  };
  ctx.progress(
    `node ${node} cordoned; evicting ${total} pods${final.skipped.length ? `, skipping ${final.skipped.length}` : ''}`,
  );

  const evictOne = async (pod: KubeObject): Promise<void> => {
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const podPath = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`;
    const uid = pod.metadata?.uid;
    let blocked = false;
    for (;;) {
      const res = await kubeRequest<{ message?: string }>(kc, 'POST', `${podPath}/eviction`, {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name, namespace: ns },
        deleteOptions: {
          ...(params.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: params.gracePeriodSeconds } : {}),
          ...(uid ? { preconditions: { uid } } : {}),
        },
      });
      if (res.status === 404 || res.status === 409) {
        evicted++; // already gone (409: the uid precondition failed, a successor has the name)
        blockedNow.delete(podRef(pod));
        return;
      }
      if (res.status === 429) {
        const why = res.body.message ?? 'eviction refused (429)';
        if (Date.now() >= deadline)
          throw new Error(`${podRef(pod)} not evicted before the ${params.timeoutSeconds}s timeout: ${why}`);
        if (!blocked) {
          blocked = true;
          blockedNow.set(podRef(pod), why);
          progress(`eviction of ${podRef(pod)} refused`);
          ctx.timeline([
            drainEvent(command, pod, 'blocked', `drain of node ${node}: eviction of ${podRef(pod)} blocked — ${why}`),
          ]);
        }
        await sleep(1000);
        continue;
      }
      ensureOk(res, `evict ${podRef(pod)}`);
      blockedNow.delete(podRef(pod));
      break;
    }
    for (;;) {
      const o = await getOrNull(kc, podPath, `get pod ${podRef(pod)}`);
      if (!o || o.metadata?.uid !== uid) break;
      if (Date.now() >= deadline)
        throw new Error(`${podRef(pod)} was evicted but is still terminating at the ${params.timeoutSeconds}s timeout`);
      await sleep(250);
    }
    evicted++;
    progress(`evicted ${podRef(pod)}`);
    ctx.timeline([
      drainEvent(command, pod, 'evicted', `drain of node ${node}: evicted ${podRef(pod)} (${evicted}/${total})`),
    ]);
  };

  const results = await Promise.allSettled(final.evict.map(evictOne));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [errorText(r.reason)] : []));
  if (failures.length > 0) {
    throw new Error(
      `drain of node ${node} incomplete (node stays cordoned): ${failures.length} of ${total} pods not evicted: ${failures.join('; ')}`,
    );
  }
  const skipped = final.skipped.length
    ? `; skipped ${final.skipped.map((s) => podRef(s.pod)).join(', ')} (DaemonSet/mirror)`
    : '';
  return {
    message: `node ${node} drained: cordoned, evicted ${total} pods${skipped}`,
    result: { evicted: total, skipped: final.skipped.length },
  };
};
