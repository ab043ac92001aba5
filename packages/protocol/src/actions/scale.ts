import { z } from 'zod';
import type { ActionDeclaration } from './declaration.js';
import { timeoutSeconds } from './common.js';

export const scale = {
  id: 'scale',
  title: 'Scale',
  description:
    'Set the number of replicas through the scale subresource; succeeds once the status shows that many replicas.',
  tier: 'basic',
  targetKinds: ['Deployment', 'StatefulSet', 'ReplicaSet'],
  params: z
    .object({
      replicas: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(10_000),
      timeoutSeconds: timeoutSeconds(120),
    })
    .strict(),
  permissions: [
    { apiGroup: 'apps', resource: 'deployments/scale', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'statefulsets/scale', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'replicasets/scale', verbs: ['patch'] },
    // change-cause and the command id are recorded on the object itself
    { apiGroup: 'apps', resource: 'deployments', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'statefulsets', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'replicasets', verbs: ['patch'] },
  ],
} as const satisfies ActionDeclaration;
