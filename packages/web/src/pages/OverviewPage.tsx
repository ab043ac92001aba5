// The landing page: what is broken now in every cluster the user can see —
// unhealthy workloads with their reason, open insights, disconnected agents,
// and actions that failed in the last day. Refreshed every 15 s.
import { useEffect } from 'react';
import { Link } from 'wouter';
import { humanAge } from '../age.js';
import { api } from '../api/client.js';
import type { CommandView, Insight } from '../api/types.js';
import { useAsync, useNow } from '../data/hooks.js';
import { severityLevel } from '../data/insights.js';
import { objectHref } from '../links.js';
import { formatTime } from '../ui/format.js';
import { Badge, type Health } from '../ui/Health.js';

interface Overview {
  clusters: { name: string; connected: boolean }[];
  unhealthy: {
    cluster: string;
    kind: string;
    namespace: string;
    name: string;
    health: Health;
    reason: string | null;
    createdAt: number;
  }[];
  openInsights: Insight[];
  insightsTruncated: boolean;
  failedActions: CommandView[];
  truncated: boolean;
}

export function OverviewPage() {
  const o = useAsync((signal) => api<Overview>('/api/v1/overview', { signal }), []);
  const now = useNow(15_000);
  const { reload } = o;
  useEffect(() => {
    const t = setInterval(reload, 15_000);
    return () => clearInterval(t);
  }, [reload]);
  const data = o.data;
  const disconnected = data?.clusters.filter((c) => !c.connected) ?? [];
  return (
    <>
      <div className="toolbar">
        <h1 className="grow">What is broken now</h1>
        {data && (
          <span className="hint">
            {data.clusters.length} cluster{data.clusters.length === 1 ? '' : 's'},{' '}
            {data.clusters.length - disconnected.length} connected
          </span>
        )}
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </div>
      {o.error && (
        <div className="error-box" role="alert">
          {o.error}
        </div>
      )}
      {!data && !o.error && <p className="hint">Loading…</p>}
      {data && data.clusters.length === 0 && (
        <p className="empty">
          No clusters yet. An administrator adds one with <code>wheelhouse cluster add</code> and starts its agent; see{' '}
          <Link href="/clusters">Clusters</Link>.
        </p>
      )}
      {disconnected.length > 0 && (
        <div className="panel why" role="status" aria-label="Disconnected clusters">
          <strong>Agent not connected:</strong>{' '}
          {disconnected.map((c, i) => (
            <span key={c.name}>
              {i > 0 && ', '}
              <Link href={`/c/${encodeURIComponent(c.name)}/workloads`}>{c.name}</Link>
            </span>
          ))}{' '}
          — its inventory may be stale and actions wait until it is back.
        </div>
      )}
      {data && data.clusters.length > 0 && (
        <>
          <h2>Unhealthy workloads</h2>
          {data.truncated && (
            <p className="hint">
              Only the first 20,000 workloads were read; open a cluster's Workloads page for the rest.
            </p>
          )}
          <table className="data" aria-label="Unhealthy workloads">
            <thead>
              <tr>
                <th>Cluster</th>
                <th>Workload</th>
                <th>Health</th>
                <th>Ready</th>
                <th>Reason</th>
                <th>Age</th>
              </tr>
            </thead>
            <tbody>
              {data.unhealthy.map((w) => (
                <tr key={`${w.cluster}/${w.kind}/${w.namespace}/${w.name}`} data-name={w.name}>
                  <td>{w.cluster}</td>
                  <td>
                    <Link href={objectHref(w.cluster, w.kind, w.namespace, w.name)}>
                      <span className="hint">{w.kind}</span> {w.namespace}/{w.name}
                    </Link>
                  </td>
                  <td>
                    <Badge level={w.health.level}>{w.health.text}</Badge>
                  </td>
                  <td>{w.kind === 'CronJob' ? `${w.health.ready} active` : `${w.health.ready}/${w.health.desired}`}</td>
                  <td>{w.reason ?? <span className="hint">open it for the pods' reasons</span>}</td>
                  <td>{humanAge(Math.max(0, now - w.createdAt))}</td>
                </tr>
              ))}
              {data.unhealthy.length === 0 && (
                <tr>
                  <td colSpan={6} className="empty">
                    Nothing is unhealthy in what you can see.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <h2>Open insights</h2>
          {data.insightsTruncated && (
            <p className="hint">
              Only the first {data.openInsights.length} are shown; open a cluster's Insights page for the rest.
            </p>
          )}
          <table className="data" aria-label="Open insights">
            <thead>
              <tr>
                <th>Cluster</th>
                <th>Severity</th>
                <th>Insight</th>
                <th>Object</th>
                <th>Since</th>
              </tr>
            </thead>
            <tbody>
              {data.openInsights.map((i) => (
                <tr key={`${i.cluster}/${i.id}`} data-cluster={i.cluster} data-check={i.check}>
                  <td>{i.cluster}</td>
                  <td>
                    <Badge level={severityLevel(i.severity)}>{i.severity}</Badge>
                  </td>
                  <td>
                    <Link href={`/c/${encodeURIComponent(i.cluster)}/insights`}>{i.title}</Link>
                  </td>
                  <td>
                    <Link href={objectHref(i.cluster, i.object.kind, i.object.namespace, i.object.name)}>
                      <span className="hint">{i.object.kind}</span> {i.object.namespace ? `${i.object.namespace}/` : ''}
                      {i.object.name}
                    </Link>
                  </td>
                  <td title={new Date(i.since).toISOString()}>{humanAge(Math.max(0, now - i.since))}</td>
                </tr>
              ))}
              {data.openInsights.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty">
                    No open insights in what you can see.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <h2>Failed actions (last 24 h)</h2>
          <table className="data" aria-label="Failed actions">
            <thead>
              <tr>
                <th>When</th>
                <th>Cluster</th>
                <th>Action</th>
                <th>Target</th>
                <th>By</th>
                <th>State</th>
                <th>Message</th>
              </tr>
            </thead>
            <tbody>
              {data.failedActions.map((a) => (
                <tr key={a.id}>
                  <td style={{ whiteSpace: 'nowrap' }}>{formatTime(a.updatedAt)}</td>
                  <td>{a.cluster}</td>
                  <td>{a.action}</td>
                  <td>
                    <Link href={objectHref(a.cluster, a.target.kind, a.target.namespace, a.target.name)}>
                      {a.target.kind} {a.target.namespace ? `${a.target.namespace}/` : ''}
                      {a.target.name}
                    </Link>
                  </td>
                  <td>{a.requestedBy}</td>
                  <td>
                    <Badge level="err">{a.state}</Badge>
                  </td>
                  <td>{a.message ?? ''}</td>
                </tr>
              ))}
              {data.failedActions.length === 0 && (
                <tr>
                  <td colSpan={7} className="empty">
                    No failed actions in the last 24 hours.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
