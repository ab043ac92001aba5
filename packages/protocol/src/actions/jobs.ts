import { z } from 'zod';
import type { ActionDeclaration } from './declaration.js';
import { timeoutSeconds } from './common.js';

export const triggerJob = {
  id: 'trigger-job',
  title: 'Run job now',
  description:
    'Re-run a Job (a new Job from its template, labelled with its source) or run a CronJob now (a Job from its jobTemplate owned by the CronJob, like `kubectl create job --from=cronjob/x`). The new name is derived from the command id, so a re-delivered command finds its Job instead of creating a second one. Succeeds once the Job has started.',
  tier: 'basic',
  targetKinds: ['Job', 'CronJob'],
  params: z.object({ timeoutSeconds: timeoutSeconds(60) }).strict(),
  // The Job from a CronJob is owned by it without blockOwnerDeletion (as kubectl does), so no cronjobs/finalizers update is needed.
  permissions: [{ apiGroup: 'batch', resource: 'jobs', verbs: ['create'] }],
} as const satisfies ActionDeclaration;

const cronjobPermissions = [{ apiGroup: 'batch', resource: 'cronjobs', verbs: ['patch'] }] as const;

export const suspendCronjob = {
  id: 'suspend-cronjob',
  title: 'Suspend CronJob',
  description: 'Stop a CronJob from starting new Jobs (spec.suspend=true); running Jobs continue.',
  tier: 'basic',
  targetKinds: ['CronJob'],
  params: z.object({}).strict(),
  permissions: cronjobPermissions,
} as const satisfies ActionDeclaration;

export const resumeCronjob = {
  id: 'resume-cronjob',
  title: 'Resume CronJob',
  description: 'Let a suspended CronJob start Jobs again (spec.suspend=false).',
  tier: 'basic',
  targetKinds: ['CronJob'],
  params: z.object({}).strict(),
  permissions: cronjobPermissions,
} as const satisfies ActionDeclaration;
