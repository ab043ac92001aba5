// Workloads of a cluster with their health: ready/desired, restarts, the
// reason when unhealthy, images, age; filters by kind, namespace, text and
// "only unhealthy", and the sort — all kept in the URL.
import { useMemo } from 'react';
import { Link } from 'wouter';
import { humanAge } from '../age.js';
import { ofKind } from '@wheelhouse/protocol/core';
import { WORKLOAD_KINDS, type Insight, type InventoryItem } from '../api/types.js';
import { useKinds, useNow } from '../data/hooks.js';
import { insightsByWorkload, severityLevel, useInsights, worst } from '../data/insights.js';
import { podsOf, restartsOf } from '../data/ownership.js';
import { workloadReasons, type Reason } from '../data/why.js';
import { ActionMenu } from '../ui/ActionMenu.js';
import { Badge, workloadHealth } from '../ui/Health.js';
import { objectHref } from '../links.js';
import { NamespaceFilter, namespacesOf } from '../ui/NamespaceFilter.js';
import { useQueryState } from '../ui/query-state.js';

export function WorkloadsPage({ cluster }: { cluster: string }) {
  const workloads = useKinds(cluster, WORKLOAD_KINDS);
  const support = useKinds(cluster, ['Pod', 'ReplicaSet', 'Job']);
  const now = useNow(10_000);
  const [kind, setKind] = useQueryState('kind', '');
  const insights = useInsights(cluster, { state: 'open' }).items;
  const byWorkload = useMemo(() => insightsByWorkload(insights ?? []), [insights]);
  const [namespace, setNamespace] = useQueryState('namespace', '');
  const [text, setText] = useQueryState('q', '');
  const [unhealthyParam, setUnhealthyParam] = useQueryState('unhealthy', '');
  const unhealthy = unhealthyParam === '1';
  const [sortParam, setSort] = useQueryState('sort', 'namespace');
  const sort: SortKey = isSortKey(sortParam) ? sortParam : 'namespace';
  const [dirParam, setDir] = useQueryState('dir', 'asc');
  const dir = dirParam === 'desc' ? -1 : 1;
  const sortBy = (k: SortKey) => {
    if (k === sort) setDir(dir === 1 ? 'desc' : 'asc');
    else {
      setSort(k);
      // Numbers and problems are looked at largest first.
      setDir(k === 'restarts' || k === 'health' ? 'desc' : 'asc');
    }
  };

  const rows = useMemo(() => {
    const pods = (support ?? []).filter(ofKind('Pod'));
    const rss = (support ?? []).filter((i) => i.kind === 'ReplicaSet');
    const jobs = (support ?? []).filter((i) => i.kind === 'Job');
    return (workloads ?? [])
      .filter((w) => !kind || w.kind === kind)
      .filter((w) => !namespace || w.namespace === namespace)
      .filter((w) => !text || w.name.includes(text.toLowerCase()) || w.namespace.includes(text.toLowerCase()))
      .map((w) => {
        const health = workloadHealth(w);
        const own = podsOf(w, pods, rss, jobs);
        const bad = health.level === 'err' || health.level === 'warn';
        return {
          w,
          health,
          restarts: restartsOf(own),
          reason: bad ? columnReason(workloadReasons(w, own)) : null,
        };
      })
      .filter((r) => !unhealthy || r.health.level === 'err' || r.health.level === 'warn')
      .sort((a, b) => dir * compare(sort, a, b) || byPlace(a, b));
  }, [workloads, support, kind, namespace, text, unhealthy, sort, dir]);

  const namespaces = useMemo(() => namespacesOf(workloads), [workloads]);

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
        <input
          type="search"
          aria-label="Filter by name"
          placeholder="Filter by name"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <label>
          <input type="checkbox" checked={unhealthy} onChange={(e) => setUnhealthyParam(e.target.checked ? '1' : '')} />{' '}
          Only unhealthy
        </label>
        <span className="grow" />
        <span className="hint">{workloads ? `${rows.length} of ${workloads.length}` : 'Loading…'}</span>
      </div>
      <table className="data" aria-label="Workloads">
        <thead>
          <tr>
            <SortHeader k="kind" sort={sort} dir={dir} onSort={sortBy}>
              Kind
            </SortHeader>
            <SortHeader k="namespace" sort={sort} dir={dir} onSort={sortBy}>
              Namespace
            </SortHeader>
            <SortHeader k="name" sort={sort} dir={dir} onSort={sortBy}>
              Name
            </SortHeader>
            <SortHeader k="health" sort={sort} dir={dir} onSort={sortBy}>
              Health
            </SortHeader>
            <SortHeader k="ready" sort={sort} dir={dir} onSort={sortBy} num>
              Ready
            </SortHeader>
            <SortHeader k="restarts" sort={sort} dir={dir} onSort={sortBy} num>
              Restarts
            </SortHeader>
            <th>Reason</th>
            <th>Insights</th>
            <th>Images</th>
            <SortHeader k="age" sort={sort} dir={dir} onSort={sortBy} num>
              Age
            </SortHeader>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ w, health, restarts, reason }) => (
            <WorkloadRow
              key={w.uid}
              cluster={cluster}
              w={w}
              health={health}
              restarts={restarts}
              reason={reason}
              now={now}
              insights={byWorkload.get(`${w.kind}/${w.namespace}/${w.name}`) ?? []}
            />
          ))}
          {workloads && rows.length === 0 && (
            <tr>
              <td colSpan={11} className="empty">
                No workloads match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </>
  );
}

function WorkloadRow({
  cluster,
  w,
  health,
  restarts,
  reason,
  now,
  insights,
}: {
  cluster: string;
  w: InventoryItem;
  health: ReturnType<typeof workloadHealth>;
  restarts: number;
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
        {restarts > 0 ? <span style={{ color: 'var(--warn)' }}>{restarts}</span> : 0}
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

const SORT_KEYS = ['kind', 'namespace', 'name', 'health', 'ready', 'restarts', 'age'] as const;
type SortKey = (typeof SORT_KEYS)[number];
const isSortKey = (s: string): s is SortKey => (SORT_KEYS as readonly string[]).includes(s);

interface Row {
  w: InventoryItem;
  health: ReturnType<typeof workloadHealth>;
  restarts: number;
}

const SEVERITY = { err: 3, warn: 2, ok: 1, muted: 0 } as const;

function compare(k: SortKey, a: Row, b: Row): number {
  switch (k) {
    case 'kind':
      return a.w.kind.localeCompare(b.w.kind);
    case 'namespace':
      return a.w.namespace.localeCompare(b.w.namespace);
    case 'name':
      return a.w.name.localeCompare(b.w.name);
    case 'health':
      return SEVERITY[a.health.level] - SEVERITY[b.health.level];
    case 'ready':
      return a.health.ready - b.health.ready;
    case 'restarts':
      return a.restarts - b.restarts;
    case 'age':
      // Oldest first when ascending, like kubectl's AGE column read top-down.
      return b.w.createdAt - a.w.createdAt;
  }
}

const byPlace = (a: Row, b: Row): number =>
  a.w.namespace.localeCompare(b.w.namespace) || a.w.name.localeCompare(b.w.name) || a.w.kind.localeCompare(b.w.kind);

/** A column header that sorts by it; aria-sort says how the table is sorted. */
function SortHeader({
  k,
  sort,
  dir,
  onSort,
  num,
  children,
}: {
  k: SortKey;
  sort: SortKey;
  dir: 1 | -1;
  onSort: (k: SortKey) => void;
  num?: boolean;
  children: string;
}) {
  const active = k === sort;
  return (
    <th className={num ? 'num' : undefined} aria-sort={active ? (dir === 1 ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort(k)}>
        {children}
        <span aria-hidden="true">{active ? (dir === 1 ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}
