import { z } from 'zod';
import { DurationError, parseDuration } from '../duration.js';
import type { ActionDeclaration } from './declaration.js';

// Extending an exec-ed pod's life is part of the shell tier: it concerns pods
// that someone entered, and keeping them around longer is an access decision.
export const extendEviction = {
  id: 'extend-eviction',
  title: 'Extend eviction time',
  description:
    'Move the eviction time of a pod that exec guard is going to evict (it was entered with kubectl exec/attach) by a Go duration such as 30m, like `kubectl pi extend`; succeeds once exec guard has moved it.',
  tier: 'podExec',
  targetKinds: ['Pod'],
  params: z
    .object({
      duration: z
        .string()
        .default('30m')
        .superRefine((v, ctx) => {
          try {
            if (parseDuration(v) <= 0) ctx.addIssue({ code: 'custom', message: 'must be longer than 0s' });
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: err instanceof DurationError ? err.message : 'invalid duration' });
          }
        }),
    })
    .strict(),
  permissions: [{ apiGroup: '', resource: 'pods', verbs: ['patch'] }],
} as const satisfies ActionDeclaration;
