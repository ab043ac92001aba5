export function NodesPage({ cluster }: { cluster: string }) {
  return <h1>NodesPage {cluster}</h1>;
}
export function NodePage({ cluster, name }: { cluster: string; name: string }) {
  return <h1>{cluster} {name}</h1>;
}
