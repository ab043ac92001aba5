// A cluster's health insights: what is wrong now (and what was, resolved),
// filtered by state, severity and namespace; each with its evidence and fix.
import { useMemo } from 'react';
import { useInsights } from '../data/insights.js';
import { InsightList } from '../ui/InsightList.js';
import { NamespaceFilter } from '../ui/NamespaceFilter.js';
import { useQueryState } from '../ui/query-state.js';

export function InsightsPage({ cluster }: { cluster: string }) {
  const [state, setState] = useQueryState('state', 'open');
  const [severity, setSeverity] = useQueryState('severity', '');
  const [namespace, setNamespace] = useQueryState('namespace', '');
  const { items, error } = useInsights(cluster, {
    state: state === 'resolved' ? 'resolved' : state === 'open' ? 'open' : undefined,
  });
  const namespaces = useMemo(
    () => [...new Set((items ?? []).map((i) => i.object.namespace).filter(Boolean))].sort(),
    [items],
  );
  const shown = (items ?? []).filter(
    (i) => (!severity || i.severity === severity) && (!namespace || i.object.namespace === namespace),
  );
  const count = (s: string) => (items ?? []).filter((i) => i.state === 'open' && i.severity === s).length;
  return (
    <>
      <h1>Insights</h1>
      <div className="toolbar" role="group" aria-label="Filters">
        <select aria-label="State" value={state} onChange={(e) => setState(e.target.value)}>
          <option value="open">Open</option>
          <option value="resolved">Resolved</option>
          <option value="all">All</option>
        </select>
        <select aria-label="Severity" value={severity} onChange={(e) => setSeverity(e.target.value)}>
          <option value="">All severities</option>
          <option value="error">Errors</option>
          <option value="warning">Warnings</option>
          <option value="info">Info</option>
        </select>
        <NamespaceFilter names={namespaces} value={namespace} onChange={setNamespace} />
        <span className="grow" />
        {items && (
          <span className="hint" aria-label="Open insights by severity">
            {count('error')} errors · {count('warning')} warnings · {count('info')} info
          </span>
        )}
      </div>
      {error && (
        <div className="error-box" role="alert">
          {error}
        </div>
      )}
      {!items ? <p className="hint">Loading…</p> : <InsightList cluster={cluster} items={shown} />}
    </>
  );
}
