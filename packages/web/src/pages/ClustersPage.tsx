// Every cluster the user may see: connection, agent and Kubernetes versions,
// which action tiers it enables.
import { Link } from 'wouter';
import { api } from '../api/client.js';
import type { ClusterView } from '../api/types.js';
import { useEffect } from 'react';
import { useAsync, useNow } from '../data/hooks.js';
import { humanAge } from '../age.js';
import { LoadingRow } from '../ui/LoadingRow.js';

export function ClustersPage() {
  const clusters = useAsync((signal) => api<{ items: ClusterView[] }>('/api/v1/clusters', { signal }), []);
  const now = useNow(5000);
  // Connection state of every cluster, not only the one the live feed follows.
  const { reload } = clusters;
  useEffect(() => {
    const t = setInterval(reload, 10_000);
    return () => clearInterval(t);
  }, [reload]);
  return (
    <>
      <div className="toolbar">
        <h1 className="grow">Clusters</h1>
        <button type="button" onClick={clusters.reload}>
          Refresh
        </button>
      </div>
      {clusters.error && (
        <div className="error-box" role="alert">
          {clusters.error}
        </div>
      )}
      <table className="data" aria-label="Clusters">
        <thead>
          <tr>
            <th>Name</th>
            <th>Agent</th>
            <th>Agent version</th>
            <th>Kubernetes</th>
            <th>Tiers</th>
            <th>Last seen</th>
          </tr>
        </thead>
        <tbody>
          {clusters.data?.items.map((c) => (
            <tr key={c.name}>
              <td>
                <Link href={`/c/${encodeURIComponent(c.name)}/workloads`}>{c.name}</Link>
              </td>
              <td>
                {c.tokenRevoked ? (
                  <span className="badge err">token revoked</span>
                ) : c.connected ? (
                  <span className="badge ok">connected</span>
                ) : (
                  <span className="badge warn">disconnected</span>
                )}
              </td>
              <td>{c.agentVersion ?? '—'}</td>
              <td>{c.kubernetesVersion ?? '—'}</td>
              <td>
                {(['basic', 'advanced', 'podExec'] as const).map((t) => (
                  <span
                    key={t}
                    className={`badge ${c.capabilities[t] ? 'info' : 'muted'}`}
                    style={{ marginRight: 4 }}
                    title={c.capabilities[t] ? `${t} actions enabled` : `${t} actions disabled`}
                  >
                    {c.capabilities[t] ? t : <s>{t}</s>}
                  </span>
                ))}
              </td>
              <td>{c.lastSeenAt ? `${humanAge(now - c.lastSeenAt)} ago` : 'never'}</td>
            </tr>
          ))}
          {!clusters.data && !clusters.error && <LoadingRow colSpan={6} what="clusters" />}
          {clusters.data?.items.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No clusters yet. An administrator adds one with <code>wheelhouse cluster add</code> and starts its
                agent.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </>
  );
}
