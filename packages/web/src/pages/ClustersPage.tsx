export function ClustersPage() {
  return <h1>ClustersPage</h1>;
}
