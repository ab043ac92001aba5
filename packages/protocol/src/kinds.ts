// The Kubernetes kinds the agent watches and the hub keeps in its inventory.
// Secrets are deliberately absent: Wheelhouse never reads Secret data.

export interface KindInfo {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export const RESOURCE_KINDS = {
  Namespace: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  Node: { group: '', version: 'v1', plural: 'nodes', namespaced: false },
  Pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true },
  ConfigMap: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  PersistentVolumeClaim: { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  ReplicaSet: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true },
  Job: { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  CronJob: { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true },
  Ingress: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true },
  HorizontalPodAutoscaler: {
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
  },
  PodDisruptionBudget: { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true },
} as const satisfies Record<string, KindInfo>;

export type ResourceKind = keyof typeof RESOURCE_KINDS;
export const RESOURCE_KIND_NAMES: readonly ResourceKind[] = Object.keys(RESOURCE_KINDS).filter(isResourceKind);

export function isResourceKind(value: string): value is ResourceKind {
  return Object.hasOwn(RESOURCE_KINDS, value);
}

/** apiVersion string ("v1", "apps/v1") of a kind. */
export function apiVersionOf(kind: ResourceKind): string {
  const k = RESOURCE_KINDS[kind];
  return k.group === '' ? k.version : `${k.group}/${k.version}`;
}

/** Workload kinds that own pods (directly or through ReplicaSets/Jobs). */
export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
] as const satisfies readonly ResourceKind[];

/** kubectl's short names of the watched kinds (`kubectl api-resources`). */
export const KIND_SHORT_NAMES: Readonly<Record<ResourceKind, readonly string[]>> = {
  Namespace: ['ns'],
  Node: ['no'],
  Pod: ['po'],
  Service: ['svc'],
  ConfigMap: ['cm'],
  PersistentVolumeClaim: ['pvc'],
  Deployment: ['deploy'],
  ReplicaSet: ['rs'],
  StatefulSet: ['sts'],
  DaemonSet: ['ds'],
  Job: [],
  CronJob: ['cj'],
  Ingress: ['ing'],
  HorizontalPodAutoscaler: ['hpa'],
  PodDisruptionBudget: ['pdb'],
};

/**
 * The kind a person means, as kubectl reads it: the kind ("Deployment", any case), its plural
 * ("deployments"), its singular ("deployment") or a short name ("deploy"); undefined otherwise.
 */
export function kindFromAlias(alias: string): ResourceKind | undefined {
  const a = alias.toLowerCase();
  return RESOURCE_KIND_NAMES.find(
    (k) => k.toLowerCase() === a || RESOURCE_KINDS[k].plural === a || KIND_SHORT_NAMES[k].includes(a),
  );
}
