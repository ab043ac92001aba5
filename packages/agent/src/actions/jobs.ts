import { optionalNumber, type ActionPreview } from '@wheelhouse/protocol';
import { ensureOk, kubeRequest } from '../kube-http.js';
import type { KubeObject } from '../projections.js';
import { previewResult, refuseTemplateBreakingPolicy, type ExecutionResult, type Executor } from './context.js';
import { jobFromCronJob, jobFromJob, triggeredJobName } from './job-build.js';
import { appliedCommands, applyOnce, getTarget } from './target.js';
import { CHANGE_CAUSE, changeCause, collectionPath, getOrNull, waitFor } from './util.js';

export const triggerJob: Executor<'trigger-job'> = async ({ kc, command }, params): Promise<ExecutionResult> => {
  const t = command.target;
  const source = await getTarget(kc, t);
  const name = triggeredJobName(t.name, command.id);
  const job = t.kind === 'CronJob' ? jobFromCronJob(source, name, command) : jobFromJob(source, name, command);
  // The Job's pods come from the source's template: they must meet the cluster's level.
  refuseTemplateBreakingPolicy(command, `the pod template of ${t.kind} ${t.name}`, { kind: t.kind, spec: source.spec });
  const jobs = collectionPath('Job', t.namespace);
  if (command.dryRun) {
    ensureOk(await kubeRequest(kc, 'POST', `${jobs}?dryRun=All`, job), 'dry run');
    const warnings: string[] = [];
    if (t.kind === 'CronJob') {
      if (source.spec?.suspend === true) warnings.push('the CronJob is suspended; a manual run starts anyway');
      const active = Array.isArray(source.status?.active) ? source.status.active.length : 0;
      if (active > 0)
        warnings.push(
          `the CronJob has ${active} active Job(s); a manual run does not honour concurrencyPolicy ${typeof source.spec?.concurrencyPolicy === 'string' ? source.spec.concurrencyPolicy : 'Allow'}`,
        );
    }
    const preview: ActionPreview = {
      summary: `create Job ${name} from ${t.kind} ${t.name}`,
      diff: [],
      warnings,
      affected: [{ kind: 'Job', namespace: t.namespace, name, effect: 'created' }],
    };
    return previewResult(preview);
  }
  const res = await kubeRequest<KubeObject>(kc, 'POST', jobs, job);
  let alreadyApplied = false;
  if (res.status === 409) {
    // The name is derived from the command id: a re-delivery finds its own Job.
    const existing = await getOrNull(kc, `${jobs}/${name}`, `get Job ${name}`);
    if (!existing || !appliedCommands(existing).includes(command.id)) {
      throw new Error(`a Job named ${name} already exists and was not created by this command`);
    }
    alreadyApplied = true;
  } else {
    ensureOk(res, `create Job ${name}`);
  }
  // Succeeded = the Job controller has started it.
  const started = await waitFor<{ active: number; succeeded: number }>(
    `Job ${name} to start`,
    params.timeoutSeconds * 1000,
    async () => {
      const o = await getOrNull(kc, `${jobs}/${name}`, `get Job ${name}`);
      if (!o) return { seen: 'the Job is gone' };
      const st = o.status ?? {};
      if (typeof st.startTime === 'string')
        return { done: { active: optionalNumber(st.active) ?? 0, succeeded: optionalNumber(st.succeeded) ?? 0 } };
      return { seen: 'no startTime yet' };
    },
  );
  return {
    message: `${alreadyApplied ? 'already applied: ' : ''}created Job ${name} from ${t.kind} ${t.name}; started (${started.active} active, ${started.succeeded} succeeded)`,
    result: { job: name, alreadyApplied },
  };
};

function setSuspend(suspend: boolean): Executor<'suspend-cronjob' | 'resume-cronjob'> {
  return async ({ kc, command }): Promise<ExecutionResult> => {
    const t = command.target;
    const verb = suspend ? 'suspend' : 'resume';
    const current = await getTarget(kc, t);
    const was = current.spec?.suspend === true;
    if (command.dryRun) {
      const preview: ActionPreview = {
        summary:
          was === suspend
            ? `CronJob ${t.name} is already ${suspend ? 'suspended' : 'active'}`
            : `${verb} CronJob ${t.name}`,
        diff: was === suspend ? [] : [{ path: 'spec.suspend', from: was, to: suspend }],
        warnings: suspend
          ? ['Jobs already running continue; missed schedules may start when it is resumed (startingDeadlineSeconds)']
          : [],
        affected: [],
      };
      return previewResult(preview);
    }
    const r = await applyOnce(kc, t, command.id, () => ({
      metadata: { annotations: { [CHANGE_CAUSE]: changeCause(command, verb) } },
      spec: { suspend },
    }));
    const now = (await getTarget(kc, t)).spec?.suspend === true;
    if (now !== suspend) throw new Error(`CronJob ${t.name} has spec.suspend=${now} after the patch`);
    return {
      message: `${r.alreadyApplied ? 'already applied: ' : ''}CronJob ${t.name} ${suspend ? 'suspended' : 'resumed'}`,
      result: { alreadyApplied: r.alreadyApplied },
    };
  };
}

export const suspendCronjob: Executor<'suspend-cronjob'> = setSuspend(true);
export const resumeCronjob: Executor<'resume-cronjob'> = setSuspend(false);
