// Pieces several action declarations share: the kinds they edit and the RBAC
// rules for them.
import { z } from 'zod';
import type { PermissionRule } from './declaration.js';

/** Kinds the advanced tier may create, edit and delete (REFERENCE's rule list ∩ watched kinds). */
export const EDITABLE_KINDS = [
  'Pod',
  'Service',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Ingress',
] as const;
export type EditableKind = (typeof EDITABLE_KINDS)[number];

const RBAC: Record<EditableKind, { apiGroup: string; resource: string }> = {
  Pod: { apiGroup: '', resource: 'pods' },
  Service: { apiGroup: '', resource: 'services' },
  ConfigMap: { apiGroup: '', resource: 'configmaps' },
  PersistentVolumeClaim: { apiGroup: '', resource: 'persistentvolumeclaims' },
  Deployment: { apiGroup: 'apps', resource: 'deployments' },
  ReplicaSet: { apiGroup: 'apps', resource: 'replicasets' },
  StatefulSet: { apiGroup: 'apps', resource: 'statefulsets' },
  DaemonSet: { apiGroup: 'apps', resource: 'daemonsets' },
  Job: { apiGroup: 'batch', resource: 'jobs' },
  CronJob: { apiGroup: 'batch', resource: 'cronjobs' },
  Ingress: { apiGroup: 'networking.k8s.io', resource: 'ingresses' },
};

export function rulesFor(kinds: readonly EditableKind[], verbs: readonly string[]): PermissionRule[] {
  return kinds.map((k) => ({ ...RBAC[k], verbs }));
}

/** How long the agent waits for Kubernetes to show the effect before the command fails. */
export const timeoutSeconds = (dflt: number) =>
  z
    .number()
    .int()
    .positive('must be greater than 0')
    .max(3600)
    .default(dflt)
    .describe('seconds to wait for the effect');
