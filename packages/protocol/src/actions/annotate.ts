import { z } from 'zod';
import type { ActionDeclaration } from './declaration.js';

const ANNOTATABLE = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
  'Service',
  'ConfigMap',
  'Node',
] as const;

// Kubernetes annotation keys: optional DNS-subdomain prefix, then a name of at most 63 characters.
const annotationKey = z
  .string()
  .max(316)
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'must be a Kubernetes annotation key such as example.com/note',
  )
  // Any key containing wheelhouse.dev/ (wheelhouse.dev/commands, exec-guard.wheelhouse.dev/termination-time, …):
  // an action must not move an eviction time or forge Wheelhouse's own records.
  .refine(
    (k) => !k.includes('wheelhouse.dev/'),
    'keys containing wheelhouse.dev/ are reserved for Wheelhouse and exec guard',
  );

export const annotate = {
  id: 'annotate',
  title: 'Annotate',
  description: 'Set (or, with value null, remove) one annotation on an object.',
  tier: 'advanced',
  targetKinds: ANNOTATABLE,
  params: z
    .object({
      key: annotationKey,
      value: z
        .string()
        .max(64 * 1024)
        .nullable(),
    })
    .strict(),
  permissions: [
    { apiGroup: '', resource: 'pods', verbs: ['patch'] },
    { apiGroup: '', resource: 'services', verbs: ['patch'] },
    { apiGroup: '', resource: 'configmaps', verbs: ['patch'] },
    { apiGroup: '', resource: 'nodes', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'deployments', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'statefulsets', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'daemonsets', verbs: ['patch'] },
    { apiGroup: 'apps', resource: 'replicasets', verbs: ['patch'] },
    { apiGroup: 'batch', resource: 'jobs', verbs: ['patch'] },
    { apiGroup: 'batch', resource: 'cronjobs', verbs: ['patch'] },
  ],
} as const satisfies ActionDeclaration;
