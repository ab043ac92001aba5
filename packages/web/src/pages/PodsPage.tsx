export function PodsPage({ cluster }: { cluster: string }) {
  return <h1>PodsPage {cluster}</h1>;
}
export function PodPage({ cluster, namespace, name }: { cluster: string; namespace: string; name: string }) {
  return <h1>{cluster} {namespace} {name}</h1>;
}
