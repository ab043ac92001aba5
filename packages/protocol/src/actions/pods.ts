import { z } from 'zod';
import type { ActionDeclaration } from './declaration.js';
import { timeoutSeconds } from './common.js';

// A grace period of 0 (force delete: the API forgets the pod before its
// process has stopped) is the advanced tier's force-delete-pod, so basic
// rejects 0 instead of silently escalating.
export const deletePod = {
  id: 'delete-pod',
  danger: true,
  title: 'Delete pod',
  description:
    "Delete a pod (its controller replaces it) with the pod's own grace period or gracePeriodSeconds; succeeds once the pod is gone. A grace period of 0 is force-delete-pod (advanced).",
  tier: 'basic',
  targetKinds: ['Pod'],
  params: z
    .object({
      gracePeriodSeconds: z
        .number()
        .int('must be a whole number')
        .min(
          1,
          'must be 1 or more; a grace period of 0 is a force delete: use the force-delete-pod action (advanced tier)',
        )
        .max(86_400)
        .optional(),
      timeoutSeconds: timeoutSeconds(120),
    })
    .strict(),
  permissions: [{ apiGroup: '', resource: 'pods', verbs: ['delete'] }],
} as const satisfies ActionDeclaration;

export const forceDeletePod = {
  id: 'force-delete-pod',
  danger: true,
  title: 'Force delete pod',
  description:
    'Delete a pod with grace period 0: the API server forgets it at once, even if its process is still running on the node (like `kubectl delete pod --grace-period=0 --force`).',
  tier: 'advanced',
  targetKinds: ['Pod'],
  params: z.object({}).strict(),
  permissions: [{ apiGroup: '', resource: 'pods', verbs: ['delete'] }],
} as const satisfies ActionDeclaration;
