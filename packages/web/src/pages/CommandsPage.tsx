export function CommandsPage({ cluster }: { cluster: string }) {
  return <h1>CommandsPage {cluster}</h1>;
}
