export function EditorPage({ cluster }: { cluster: string }) {
  return <h1>EditorPage {cluster}</h1>;
}
