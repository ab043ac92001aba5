// Resource usage, like `kubectl top`: pods (usage against requests and limits)
// or nodes (against allocatable), sortable; from the hub's latest minute of
// metrics.k8s.io. Says why when the cluster has no metrics.
import { useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.js';
import { useAsync } from '../data/hooks.js';
import { objectHref } from '../links.js';
import { useQueryState } from '../ui/query-state.js';

interface Usage {
  available: boolean;
  reason: string | null;
}
interface PodRow {
  namespace: string;
  name: string;
  cpu: number;
  memory: number;
  containers: {
    requests: { cpu: number | null; memory: number | null };
    limits: { cpu: number | null; memory: number | null };
  }[];
}
interface NodeRow {
  name: string;
  cpu: number;
  memory: number;
  allocatable: { cpu: number | null; memory: number | null };
}

const cpuText = (m: number) => `${Math.round(m)}m`;
const memText = (b: number) => `${Math.round(b / 1024 ** 2)}Mi`;
function total(xs: (number | null)[]): number | null {
  let t = 0;
  for (const x of xs) {
    if (x === null) return null;
    t += x;
  }
  return t;
}

/** Usage as text with a bar against its reference (request, limit, allocatable). */
function Against({ used, of, label }: { used: number; of: number | null; label: string }) {
  if (!of) return <span className="hint">no {label}</span>;
  const pct = Math.round((used * 100) / of);
  return (
    <span title={`${pct}% of ${label}`}>
      <meter
        min={0}
        max={100}
        low={70}
        high={90}
        optimum={0}
        value={Math.min(pct, 100)}
        aria-label={`${pct}% of ${label}`}
      />{' '}
      {pct}%
    </span>
  );
}

export function TopPage({ cluster }: { cluster: string }) {
  const [kind, setKind] = useQueryState('kind', 'pods');
  const [sort, setSort] = useState<'cpu' | 'memory'>('cpu');
  const what = kind === 'nodes' ? 'nodes' : 'pods';
  const data = useAsync(
    async (signal) => ({
      what,
      ...(await api<Usage & { items: (PodRow | NodeRow)[] }>(
        `/api/v1/clusters/${encodeURIComponent(cluster)}/usage/${what}`,
        { signal },
      )),
    }),
    [cluster, what],
  );
  // Rows of the kind on screen only (the previous answer stays until the new one comes).
  const items = data.data?.what === what ? [...data.data.items].sort((a, b) => b[sort] - a[sort]) : [];
  return (
    <>
      <h1>Resource usage</h1>
      <div className="toolbar" role="group" aria-label="Filters">
        <select aria-label="Show" value={what} onChange={(e) => setKind(e.target.value)}>
          <option value="pods">Pods</option>
          <option value="nodes">Nodes</option>
        </select>
        <select
          aria-label="Sort by"
          value={sort}
          onChange={(e) => setSort(e.target.value === 'memory' ? 'memory' : 'cpu')}
        >
          <option value="cpu">Sort by CPU</option>
          <option value="memory">Sort by memory</option>
        </select>
        <button type="button" onClick={data.reload}>
          Refresh
        </button>
      </div>
      {data.error && (
        <div className="error-box" role="alert">
          {data.error}
        </div>
      )}
      {data.data && !data.data.available && (
        <p className="empty" role="status">
          No usage: {data.data.reason ?? 'unknown'}
        </p>
      )}
      {what === 'pods' ? (
        <table className="data" aria-label="Pod usage">
          <thead>
            <tr>
              <th>Namespace</th>
              <th>Pod</th>
              <th className="num">CPU</th>
              <th>CPU / request</th>
              <th className="num">Memory</th>
              <th>Memory / request</th>
              <th>Memory / limit</th>
            </tr>
          </thead>
          <tbody>
            {(items as PodRow[]).map((p) => (
              <tr key={`${p.namespace}/${p.name}`} data-namespace={p.namespace} data-name={p.name}>
                <td>{p.namespace}</td>
                <td>
                  <Link href={objectHref(cluster, 'Pod', p.namespace, p.name)}>{p.name}</Link>
                </td>
                <td className="num">{cpuText(p.cpu)}</td>
                <td>
                  <Against used={p.cpu} of={total(p.containers.map((c) => c.requests.cpu))} label="CPU request" />
                </td>
                <td className="num">{memText(p.memory)}</td>
                <td>
                  <Against
                    used={p.memory}
                    of={total(p.containers.map((c) => c.requests.memory))}
                    label="memory request"
                  />
                </td>
                <td>
                  <Against used={p.memory} of={total(p.containers.map((c) => c.limits.memory))} label="memory limit" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <table className="data" aria-label="Node usage">
          <thead>
            <tr>
              <th>Node</th>
              <th className="num">CPU</th>
              <th>CPU / allocatable</th>
              <th className="num">Memory</th>
              <th>Memory / allocatable</th>
            </tr>
          </thead>
          <tbody>
            {(items as NodeRow[]).map((n) => (
              <tr key={n.name} data-name={n.name}>
                <td>
                  <Link href={objectHref(cluster, 'Node', '', n.name)}>{n.name}</Link>
                </td>
                <td className="num">{cpuText(n.cpu)}</td>
                <td>
                  <Against used={n.cpu} of={n.allocatable.cpu} label="allocatable CPU" />
                </td>
                <td className="num">{memText(n.memory)}</td>
                <td>
                  <Against used={n.memory} of={n.allocatable.memory} label="allocatable memory" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
