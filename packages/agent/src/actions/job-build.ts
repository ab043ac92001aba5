// Building the Job a trigger-job command creates. Pure, so the exact shape is
// unit-tested: a re-run of a Job, or `kubectl create job --from=cronjob/x`.
import { isRecord, type CommandEnvelope } from '@wheelhouse/protocol';
import type { KubeObject } from '../projections.js';
import { COMMANDS_ANNOTATION } from './target.js';
import { CHANGE_CAUSE, changeCause } from './util.js';

export const SOURCE_LABEL = 'wheelhouse.dev/triggered-from';
export const SOURCE_ANNOTATION = 'wheelhouse.dev/source';
/** Labels the Job controller puts on a Job and its pods: a copy must get fresh ones. */
const CONTROLLER_LABELS = [
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
  'job-name',
  'batch.kubernetes.io/job-name',
];

export interface JobManifest {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences?: Record<string, unknown>[];
  };
  spec: Record<string, unknown>;
}

/** `<source>-run-<6 hex of the command id>`: the same command always names the same Job (≤ 63 chars, a label value). */
export function triggeredJobName(source: string, commandId: string): string {
  const suffix = `-run-${commandId.replace(/[^0-9a-f]/g, '').slice(0, 6)}`;
  const base = source.slice(0, 63 - suffix.length).replace(/[-.]+$/, '');
  return `${base}${suffix}`;
}

const withoutControllerLabels = (labels: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isRecord(labels))
    for (const [k, v] of Object.entries(labels))
      if (!CONTROLLER_LABELS.includes(k) && typeof v === 'string') out[k] = v;
  return out;
};

function annotationsFor(
  command: CommandEnvelope,
  sourceKind: string,
  source: string,
  extra: unknown,
): Record<string, string> {
  const base: Record<string, string> = {};
  if (isRecord(extra)) for (const [k, v] of Object.entries(extra)) if (typeof v === 'string') base[k] = v;
  return {
    ...base,
    [CHANGE_CAUSE]: changeCause(command, `run ${sourceKind} ${source} now`),
    [COMMANDS_ANNOTATION]: command.id,
    [SOURCE_ANNOTATION]: `${sourceKind}/${source}`,
  };
}

/** A new Job with the template of `job`: selector and controller labels dropped so the API server assigns fresh ones. */
export function jobFromJob(job: KubeObject, name: string, command: CommandEnvelope): JobManifest {
  const source = job.metadata?.name ?? '';
  const spec = structuredClone(job.spec ?? {});
  delete spec.selector;
  delete spec.manualSelector;
  delete spec.suspend; // a re-run is meant to run
  const template = isRecord(spec.template) ? spec.template : {};
  const meta = isRecord(template.metadata) ? template.metadata : {};
  template.metadata = { ...meta, labels: withoutControllerLabels(meta.labels) };
  spec.template = template;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: job.metadata?.namespace ?? '',
      labels: { ...withoutControllerLabels(job.metadata?.labels), [SOURCE_LABEL]: source },
      annotations: annotationsFor(command, 'Job', source, undefined),
    },
    spec,
  };
}

/** Like `kubectl create job --from=cronjob/x`: the jobTemplate, owned by (controller) the CronJob, marked manual. */
export function jobFromCronJob(cronJob: KubeObject, name: string, command: CommandEnvelope): JobManifest {
  const source = cronJob.metadata?.name ?? '';
  const jt = isRecord(cronJob.spec?.jobTemplate) ? cronJob.spec.jobTemplate : {};
  const jtMeta = isRecord(jt.metadata) ? jt.metadata : {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cronJob.metadata?.namespace ?? '',
      labels: { ...withoutControllerLabels(jtMeta.labels), [SOURCE_LABEL]: source },
      annotations: {
        ...annotationsFor(command, 'CronJob', source, jtMeta.annotations),
        'cronjob.kubernetes.io/instantiate': 'manual',
      },
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'CronJob', name: source, uid: cronJob.metadata?.uid ?? '', controller: true },
      ],
    },
    spec: structuredClone(isRecord(jt.spec) ? jt.spec : {}),
  };
}
