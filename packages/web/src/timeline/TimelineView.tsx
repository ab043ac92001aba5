// Placeholder until the timeline chart lands.
export function TimelineView(props: { cluster: string; namespace?: string; kind?: string; name?: string }) {
  return <p className="empty">Timeline for {props.name ?? props.cluster}</p>;
}
