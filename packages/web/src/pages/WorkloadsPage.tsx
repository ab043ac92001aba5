export function WorkloadsPage({ cluster }: { cluster: string }) {
  return <h1>WorkloadsPage {cluster}</h1>;
}
