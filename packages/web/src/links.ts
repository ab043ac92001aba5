// Where each kind of object is shown in the console.
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);
/** Kinds with a read-only page of their own (pages/ObjectPage.tsx). */
const OBJECT_PAGES = new Set([
  'Service',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Ingress',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
]);

export function objectHref(cluster: string, kind: string, namespace: string, name: string): string {
  const c = encodeURIComponent(cluster);
  if (WORKLOADS.has(kind)) return `/c/${c}/w/${kind}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  if (kind === 'Pod') return `/c/${c}/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  if (kind === 'Node') return `/c/${c}/nodes/${encodeURIComponent(name)}`;
  if (OBJECT_PAGES.has(kind) && namespace)
    return `/c/${c}/o/${kind}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  const q = new URLSearchParams({ kind, name });
  if (namespace) q.set('namespace', namespace);
  return `/c/${c}/edit?${q.toString()}`;
}

export function isWorkloadKind(kind: string): boolean {
  return WORKLOADS.has(kind);
}
