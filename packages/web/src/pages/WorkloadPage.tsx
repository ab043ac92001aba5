export function WorkloadPage({ cluster, kind, namespace, name }: { cluster: string; kind: string; namespace: string; name: string }) {
  return <h1>{cluster} {kind} {namespace} {name}</h1>;
}
