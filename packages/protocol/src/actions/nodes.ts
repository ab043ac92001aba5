import { z } from 'zod';
import type { ActionDeclaration } from './declaration.js';

const nodePatch = [{ apiGroup: '', resource: 'nodes', verbs: ['patch'] }] as const;

export const cordon = {
  id: 'cordon',
  title: 'Cordon node',
  description:
    'Mark a node unschedulable (spec.unschedulable=true): no new pods are scheduled there; running pods stay.',
  tier: 'advanced',
  targetKinds: ['Node'],
  params: z.object({}).strict(),
  permissions: nodePatch,
} as const satisfies ActionDeclaration;

export const uncordon = {
  id: 'uncordon',
  title: 'Uncordon node',
  description: 'Mark a node schedulable again (spec.unschedulable=false).',
  tier: 'advanced',
  targetKinds: ['Node'],
  params: z.object({}).strict(),
  permissions: nodePatch,
} as const satisfies ActionDeclaration;

export const drain = {
  id: 'drain',
  danger: true,
  title: 'Drain node',
  description:
    'Cordon the node, then evict its pods through the Eviction API (policy/v1), honouring PodDisruptionBudgets (a refused eviction is retried until timeoutSeconds) and skipping DaemonSet and mirror pods. Succeeds once every evictable pod is gone.',
  tier: 'advanced',
  targetKinds: ['Node'],
  params: z
    .object({
      gracePeriodSeconds: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(86_400).optional(),
      timeoutSeconds: z
        .number()
        .int('must be a whole number')
        .positive('must be greater than 0')
        .max(86_400)
        .default(300),
      deleteEmptyDirData: z.boolean().default(false),
      force: z.boolean().default(false).describe('also evict pods no controller manages (they are not recreated)'),
    })
    .strict(),
  permissions: [...nodePatch, { apiGroup: '', resource: 'pods/eviction', verbs: ['create'] }],
} as const satisfies ActionDeclaration;
