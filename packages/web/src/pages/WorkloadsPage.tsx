// Workloads of a cluster with their health: ready/desired, their pods
// (ready/total, restarts, the reason when unhealthy), images, age; filters by
// kind, namespace, name and "only unhealthy", and the sort — all kept in the
// URL. Paged, sorted, filtered and counted by the hub (issue 18): the page
// never lists a cluster's pods, and the table is virtual.
import { useMemo } from 'react';
import { Link, useSearch } from 'wouter';
import { humanAge } from '../age.js';
import { WORKLOAD_KINDS, type Insight, type InventoryItem, type WorkloadListRow } from '../api/types.js';
import { useKind, useNow } from '../data/hooks.js';
import { insightsByWorkload, severityLevel, useInsights, worst } from '../data/insights.js';
import type { PagedList } from '../data/paged-list.js';
import { useWorkloadList, type WorkloadSort } from '../data/workload-list.js';
import { WORKLOAD_SORTS, queryValues, workloadListParams } from '../start/first-requests.js';
import { workloadReasons, type Reason } from '../data/why.js';
import { ActionMenu } from '../ui/ActionMenu.js';
import { Badge, workloadHealth } from '../ui/Health.js';
import { objectHref } from '../links.js';
import { NamespaceFilter } from '../ui/NamespaceFilter.js';
import { useQueryState } from '../ui/query-state.js';
import { ROW_HEIGHT, useVirtualRows } from '../ui/virtual-rows.js';
import { ListCount } from '../ui/ListCount.js';
import { NamePrefixFilter, useNamePrefix } from '../ui/NamePrefixFilter.js';

const COLUMNS = 12;

export function WorkloadsPage({ cluster }: { cluster: string }) {
  const [kind, setKind] = useQueryState('kind', '');
  const insights = useInsights(cluster, { state: 'open' }).items;
  const byWorkload = useMemo(() => insightsByWorkload(insights ?? []), [insights]);
  const [namespace, setNamespace] = useQueryState('namespace', '');
  const name = useNamePrefix();
  const [unhealthyParam, setUnhealthyParam] = useQueryState('unhealthy', '');
  const unhealthy = unhealthyParam === '1';
  const [sortParam, setSort] = useQueryState('sort', 'namespace');
  const sort: WorkloadSort = WORKLOAD_SORTS.find((k) => k === sortParam) ?? 'namespace';
  const [dirParam, setDir] = useQueryState('dir', 'asc');
  const order = dirParam === 'desc' ? 'desc' : 'asc';
  const sortBy = (k: WorkloadSort) => {
    if (k === sort) setDir(order === 'asc' ? 'desc' : 'asc');
    else {
      setSort(k);
      // Problems are looked at worst first.
      setDir(k === 'health' ? 'desc' : 'asc');
    }
  };
  // The same parameters the start-up preload asked with (start/first-requests.ts).
  const search = useSearch();
  const list = useWorkloadList(cluster, workloadListParams(queryValues(search)));
  const { items: nsItems } = useKind(cluster, 'Namespace');
  // Namespace objects are cluster-scoped: a namespace-scoped viewer gets none, so the workloads' own count too.
  const namespaces = useMemo(() => {
    const names = new Set((nsItems ?? []).map((n) => n.name));
    for (const r of list.rows) names.add(r.workload.namespace);
    if (namespace) names.add(namespace);
    return [...names].sort();
  }, [nsItems, list.rows, namespace]);
  const total = list.total;
  const shown = !name.valid ? 0 : (total ?? list.offset + list.rows.length);

  return (
    <>
      <h1>Workloads</h1>
      <div className="toolbar" role="group" aria-label="Filters">
        <select aria-label="Kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          <option value="">All kinds</option>
          {WORKLOAD_KINDS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
        <NamespaceFilter names={namespaces} value={namespace} onChange={setNamespace} />
        <NamePrefixFilter prefix={name} />
        <label>
          <input type="checkbox" checked={unhealthy} onChange={(e) => setUnhealthyParam(e.target.checked ? '1' : '')} />{' '}
          Only unhealthy
        </label>
        <span className="grow" />
        <ListCount
          label="Workload count"
          total={total}
          validPrefix={name.valid}
          noun="workload"
          refreshing={list.refreshing}
        />
      </div>
      {list.error && <p className="error">{list.error}</p>}
      <VirtualWorkloadTable
        cluster={cluster}
        list={list}
        count={shown}
        header={
          <thead>
            <tr>
              <SortHeader k="kind" sort={sort} order={order} onSort={sortBy}>
                Kind
              </SortHeader>
              <SortHeader k="namespace" sort={sort} order={order} onSort={sortBy}>
                Namespace
              </SortHeader>
              <SortHeader k="name" sort={sort} order={order} onSort={sortBy}>
                Name
              </SortHeader>
              <SortHeader k="health" sort={sort} order={order} onSort={sortBy}>
                Health
              </SortHeader>
              <th className="num">Ready</th>
              <th className="num">Restarts</th>
              <th className="num" title="Pods ready of the workload's pods (the hub counts them)">
                Pods
              </th>
              <th>Reason</th>
              <th>Insights</th>
              <th>Images</th>
              <SortHeader k="age" sort={sort} order={order} onSort={sortBy} num>
                Age
              </SortHeader>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
        }
        byWorkload={byWorkload}
      />
    </>
  );
}

function VirtualWorkloadTable({
  cluster,
  list,
  count,
  header,
  byWorkload,
}: {
  cluster: string;
  list: PagedList<WorkloadListRow>;
  count: number;
  header: React.ReactNode;
  byWorkload: ReadonlyMap<string, Insight[]>;
}) {
  const now = useNow(10_000);
  const { scroller, rows, before, after } = useVirtualRows(count, list.want);
  return (
    <div ref={scroller} className="virtual-scroll" tabIndex={0} role="region" aria-label="Workloads, scrollable">
      <table className="data" aria-label="Workloads" aria-rowcount={count + 1} aria-busy={list.refreshing}>
        {header}
        <tbody>
          {before > 0 && (
            <tr aria-hidden="true" style={{ height: before }}>
              <td colSpan={COLUMNS} className="spacer" />
            </tr>
          )}
          {rows.map((r) => {
            const row = list.row(r.index);
            if (!row)
              return (
                <tr key={`loading-${r.index}`} style={{ height: ROW_HEIGHT }}>
                  <td colSpan={COLUMNS} className="hint">
                    Loading…
                  </td>
                </tr>
              );
            const w = row.workload;
            const health = workloadHealth(w);
            const bad = health.level === 'err' || health.level === 'warn';
            const notReady = row.pods.notReady;
            return (
              <WorkloadRow
                key={w.uid}
                cluster={cluster}
                w={w}
                health={health}
                pods={row.pods}
                reason={bad ? columnReason(workloadReasons(w, notReady ? [notReady] : [], now)) : null}
                now={now}
                insights={byWorkload.get(`${w.kind}/${w.namespace}/${w.name}`) ?? []}
              />
            );
          })}
          {after > 0 && (
            <tr aria-hidden="true" style={{ height: after }}>
              <td colSpan={COLUMNS} className="spacer" />
            </tr>
          )}
          {count === 0 && list.total !== undefined && (
            <tr>
              <td colSpan={COLUMNS} className="empty">
                No workloads match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function WorkloadRow({
  cluster,
  w,
  health,
  pods,
  reason,
  now,
  insights,
}: {
  cluster: string;
  w: InventoryItem;
  health: ReturnType<typeof workloadHealth>;
  pods: WorkloadListRow['pods'];
  reason: string | null;
  now: number;
  insights: Insight[];
}) {
  const sev = worst(insights);
  const images = 'images' in w.summary ? w.summary.images : [];
  return (
    <tr data-name={w.name}>
      <td>{w.kind}</td>
      <td>{w.namespace}</td>
      <td>
        <Link href={objectHref(cluster, w.kind, w.namespace, w.name)}>{w.name}</Link>
      </td>
      <td>
        <Badge level={health.level}>{health.text}</Badge>
      </td>
      <td className="num">{w.kind === 'CronJob' ? `${health.ready} active` : `${health.ready}/${health.desired}`}</td>
      <td className="num" data-col="restarts">
        {pods.restarts > 0 ? <span style={{ color: 'var(--warn)' }}>{pods.restarts}</span> : 0}
      </td>
      <td className="num" data-col="pods">
        {pods.ready}/{pods.total}
      </td>
      <td data-col="reason">{reason ?? ''}</td>
      <td data-col="insights">
        {sev && (
          <Link
            href={`${objectHref(cluster, w.kind, w.namespace, w.name)}?tab=insights`}
            className={`badge ${severityLevel(sev)}`}
            title={insights.map((i) => i.title).join('\n')}
            aria-label={`${insights.length} ${insights.length === 1 ? 'insight' : 'insights'}`}
          >
            {insights.length} {insights.length === 1 ? 'insight' : 'insights'}
          </Link>
        )}
      </td>
      <td className="mono" style={{ maxWidth: 320, overflowWrap: 'anywhere' }}>
        {images.join(', ')}
      </td>
      <td className="num">{humanAge(now - w.createdAt)}</td>
      <td>
        <ActionMenu
          cluster={cluster}
          target={{ kind: w.kind, namespace: w.namespace, name: w.name }}
          defaults={(id) => (id === 'scale' ? { replicas: health.desired } : undefined)}
        />
      </td>
    </tr>
  );
}

/** The most telling reason for one cell: a pod's own ("worker: CrashLoopBackOff") over the workload's generic one. */
function columnReason(reasons: readonly Reason[]): string | null {
  const r = reasons.find((x) => x.pod !== undefined) ?? reasons[0];
  return r?.title ?? null;
}

/** A column header that sorts by it; aria-sort says how the table is sorted. */
function SortHeader({
  k,
  sort,
  order,
  onSort,
  num,
  children,
}: {
  k: WorkloadSort;
  sort: WorkloadSort;
  order: 'asc' | 'desc';
  onSort: (k: WorkloadSort) => void;
  num?: boolean;
  children: string;
}) {
  const active = k === sort;
  return (
    <th
      className={num ? 'num' : undefined}
      aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button type="button" className="sort" onClick={() => onSort(k)}>
        {children}
        <span aria-hidden="true">{active ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}
