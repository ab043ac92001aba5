// Where each kind of object is shown in the console.
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

export function objectHref(cluster: string, kind: string, namespace: string, name: string): string {
  const c = encodeURIComponent(cluster);
  if (WORKLOADS.has(kind)) return `/c/${c}/w/${kind}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  if (kind === 'Pod') return `/c/${c}/pods/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  if (kind === 'Node') return `/c/${c}/nodes/${encodeURIComponent(name)}`;
  const q = new URLSearchParams({ kind, name });
  if (namespace) q.set('namespace', namespace);
  return `/c/${c}/edit?${q.toString()}`;
}

export function isWorkloadKind(kind: string): boolean {
  return WORKLOADS.has(kind);
}
