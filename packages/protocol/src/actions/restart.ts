import { z } from 'zod';
import type { ActionDeclaration } from './declaration.js';
import { timeoutSeconds } from './common.js';

export const restart = {
  id: 'restart',
  title: 'Restart',
  description:
    'Rolling restart exactly like `kubectl rollout restart` (pod template annotation kubectl.kubernetes.io/restartedAt); succeeds once the rollout has replaced every pod.',
  tier: 'basic',
  targetKinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
  params: z.object({ timeoutSeconds: timeoutSeconds(300) }).strict(),
  permissions: [
    { apiGroup: 'apps', resource: 'deployments', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'statefulsets', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'daemonsets', verbs: ['patch'] },
  ],
} as const satisfies ActionDeclaration;
