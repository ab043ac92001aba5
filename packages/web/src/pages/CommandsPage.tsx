// Actions requested on this cluster, newest first, states live.
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.js';
import type { CommandView, Page } from '../api/types.js';
import { clusterData } from '../data/cluster-data.js';
import { useAsync } from '../data/hooks.js';
import { objectHref } from '../links.js';
import { stateClass } from '../ui/CommandStatus.js';
import { formatTime } from '../ui/format.js';
import { useQueryState } from '../ui/query-state.js';
import { LoadingRow } from '../ui/LoadingRow.js';

export function CommandsPage({ cluster }: { cluster: string }) {
  const [cursor, setCursor] = useState<string | number | null>(null);
  // Dry runs (the previews action dialogs run) are not history: shown only on request.
  const [previewParam, setPreviewParam] = useQueryState('previews', '');
  const previews = previewParam === 'include';
  const page = useAsync(
    (signal) =>
      api<Page<CommandView>>('/api/v1/actions', {
        query: { cluster, limit: 100, cursor, previews: previews ? 'include' : 'exclude' },
        signal,
      }),
    [cluster, cursor, previews],
  );
  const [rows, setRows] = useState<CommandView[]>([]);
  useEffect(() => {
    if (page.data) setRows((r) => (cursor === null ? (page.data?.items ?? []) : [...r, ...(page.data?.items ?? [])]));
  }, [page.data, cursor]);
  useEffect(
    () =>
      clusterData(cluster).onCommand((c) =>
        setRows((r) => {
          if (c.dryRun && !previews) return r;
          const i = r.findIndex((x) => x.id === c.id);
          if (i < 0) return [c, ...r];
          const next = [...r];
          next[i] = c;
          return next;
        }),
      ),
    [cluster, previews],
  );
  return (
    <>
      <h1>Actions</h1>
      <div className="toolbar">
        <label>
          <input
            type="checkbox"
            checked={previews}
            onChange={(e) => {
              setCursor(null);
              setPreviewParam(e.target.checked ? 'include' : '');
            }}
          />{' '}
          Show dry runs (previews)
        </label>
      </div>
      {page.error && (
        <div className="error-box" role="alert">
          {page.error}
        </div>
      )}
      <table className="data" aria-label="Actions">
        <thead>
          <tr>
            <th>Requested</th>
            <th>Action</th>
            <th>Target</th>
            <th>By</th>
            <th>Reason</th>
            <th>State</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.id} data-state={c.state}>
              <td style={{ whiteSpace: 'nowrap' }}>{formatTime(c.createdAt)}</td>
              <td>
                {c.action}
                {c.dryRun && <span className="hint"> (dry run)</span>}
              </td>
              <td>
                <Link href={objectHref(cluster, c.target.kind, c.target.namespace, c.target.name)}>
                  {c.target.kind} {c.target.namespace ? `${c.target.namespace}/` : ''}
                  {c.target.name}
                </Link>
              </td>
              <td>{c.requestedBy}</td>
              <td>{c.reason ?? ''}</td>
              <td>
                <span className={`badge ${stateClass(c.state)}`}>{c.state}</span>
              </td>
              <td>{c.message ?? ''}</td>
            </tr>
          ))}
          {!page.data && !page.error && <LoadingRow colSpan={7} what="actions" />}
          {page.data && rows.length === 0 && (
            <tr>
              <td colSpan={7} className="empty">
                {previews ? 'No actions yet.' : 'No actions yet (dry runs hidden).'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {page.data?.nextCursor != null && (
        <button type="button" onClick={() => setCursor(page.data?.nextCursor ?? null)} style={{ marginTop: 10 }}>
          Load more
        </button>
      )}
    </>
  );
}
