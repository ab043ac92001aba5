export function TimelinePage({ cluster }: { cluster: string }) {
  return <h1>TimelinePage {cluster}</h1>;
}
