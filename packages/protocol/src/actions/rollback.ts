import { z } from 'zod';
import type { ActionDeclaration } from './declaration.js';
import { timeoutSeconds } from './common.js';

export const rollback = {
  id: 'rollback',
  danger: true,
  title: 'Roll back',
  description:
    'Restore the pod template of the previous revision, or of toRevision (`kubectl rollout undo [--to-revision]`): ReplicaSets for a Deployment, ControllerRevisions for a StatefulSet or DaemonSet. Creates a new revision.',
  tier: 'basic',
  targetKinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
  params: z
    .object({
      toRevision: z
        .number()
        .int('must be a whole number')
        .positive('must be a revision number (1 or more); omit it for the previous revision')
        .optional(),
      timeoutSeconds: timeoutSeconds(300),
    })
    .strict(),
  permissions: [
    { apiGroup: 'apps', resource: 'deployments', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'statefulsets', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'daemonsets', verbs: ['patch'] },
    // StatefulSet/DaemonSet revisions live in ControllerRevisions, which the read-only role does not watch.
    { apiGroup: 'apps', resource: 'controllerrevisions', verbs: ['list'] },
  ],
} as const satisfies ActionDeclaration;
