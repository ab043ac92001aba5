// Kubernetes Events of an object (and the pods it owns), newest first, live.
import { useState } from 'react';
import { api } from '../api/client.js';
import type { Page, TimelineEvent } from '../api/types.js';
import { useAsync, useTimelineFeed } from '../data/hooks.js';
import { formatTime } from './format.js';
import { LoadingRow } from './LoadingRow.js';

export function EventsList({
  cluster,
  kind,
  namespace,
  name,
}: {
  cluster: string;
  kind?: string;
  namespace?: string;
  name?: string;
}) {
  const events = useAsync(
    (signal) =>
      api<Page<TimelineEvent>>(`/api/v1/clusters/${encodeURIComponent(cluster)}/timeline`, {
        query: { kind, namespace, name, type: 'k8s-event', limit: 200 },
        signal,
      }),
    [cluster, kind, namespace, name],
  );
  const [live, setLive] = useState<TimelineEvent[]>([]);
  useTimelineFeed(cluster, (e) => {
    if (e.type !== 'k8s-event' || (namespace && e.namespace !== namespace)) return;
    if (name && !(e.name === name || (e.owner !== undefined && e.owner.kind === kind && e.owner.name === name))) return;
    setLive((l) => [e, ...l].slice(0, 200));
  });
  const seen = new Set<number>();
  const items = [...live, ...(events.data?.items ?? [])].filter((e) =>
    seen.has(e.seq) ? false : (seen.add(e.seq), true),
  );
  return (
    <table className="data" aria-label="Events">
      <thead>
        <tr>
          <th>Time</th>
          <th>Type</th>
          <th>Object</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {items.map((e) => (
          <tr key={e.seq}>
            <td style={{ whiteSpace: 'nowrap' }}>{formatTime(e.time)}</td>
            <td>
              <span className={`badge ${e.severity === 'error' ? 'err' : e.severity === 'warning' ? 'warn' : 'info'}`}>
                {'reason' in e.data && typeof e.data.reason === 'string' ? e.data.reason : e.severity}
              </span>
            </td>
            <td>
              {e.kind}/{e.name}
            </td>
            <td>{e.summary}</td>
          </tr>
        ))}
        {!events.data && !events.error && items.length === 0 && <LoadingRow colSpan={4} what="events" />}
        {events.error && (
          <tr>
            <td colSpan={4} role="alert" className="error-box">
              Could not load events: {events.error}
            </td>
          </tr>
        )}
        {events.data && items.length === 0 && (
          <tr>
            <td colSpan={4} className="empty">
              No events.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
