// Pods of a cluster (filter by namespace, status, text) and one pod: its
// containers, live logs, events, YAML, timeline; shell and delete.
import { DiagnosticsSnapshot } from '../ui/DiagnosticsSnapshot.js';
import { podReferences, UsageCharts } from '../ui/UsageCharts.js';
import { useMemo } from 'react';
import { Link, useSearch } from 'wouter';
import { humanAge } from '../age.js';
import { useKind, useNow } from '../data/hooks.js';
import { useOneObject } from '../data/one-object.js';
import { useInventoryList, type InventoryList, type ListSort } from '../data/inventory-list.js';
import { usePodWorkload } from '../data/ownership.js';
import { objectHref } from '../links.js';
import { shellLinkHref } from '../shell/shell-link.js';
import { TimelineView } from '../timeline/TimelineView.js';
import { ActionButton, ActionMenu } from '../ui/ActionMenu.js';
import { EventsList } from '../ui/EventsList.js';
import { ExecGuardBadge } from '../ui/ExecGuardBadge.js';
import { formatTime } from '../ui/format.js';
import { Badge, podState } from '../ui/Health.js';
import { LogViewer } from '../ui/LogViewer.js';
import { ObjectYaml } from '../ui/ObjectYaml.js';
import { PodRow, PodTableHead, ShellButton } from '../ui/PodTable.js';
import { PortForwardPanel } from '../ui/PortForwardPanel.js';
import { useQueryState } from '../ui/query-state.js';
import { POD_SORTS, podListParams, queryValues } from '../start/first-requests.js';
import { ROW_HEIGHT, useVirtualRows } from '../ui/virtual-rows.js';
import { NamespaceFilter } from '../ui/NamespaceFilter.js';
import { Tabs } from '../ui/Tabs.js';
import { ConditionsTable, WhyPanel } from '../ui/WhyPanel.js';
import { podReasons } from '../data/why.js';
import { ListCount } from '../ui/ListCount.js';
import { NamePrefixFilter, useNamePrefix } from '../ui/NamePrefixFilter.js';

const PHASES = ['Running', 'Pending', 'Succeeded', 'Failed', 'Unknown'];

/**
 * Pods of a cluster, paged, sorted and filtered by the hub (issue 18): the
 * table is virtual (only the rows in view are in the DOM) and asks the hub for
 * more rows as the view nears the end of those loaded, so 100k pods cost what
 * a screenful does until scrolled through. Filters and sort live in the URL.
 */
export function PodsPage({ cluster }: { cluster: string }) {
  const [namespace, setNamespace] = useQueryState('namespace', '');
  const name = useNamePrefix();
  const [status, setStatus] = useQueryState('status', '');
  const [sortParam, setSort] = useQueryState('sort', 'namespace');
  const [order, setOrder] = useQueryState('order', 'asc');
  const sort: ListSort = POD_SORTS.find((k) => k === sortParam) ?? 'namespace';
  // The same parameters the start-up preload asked with (start/first-requests.ts).
  const search = useSearch();
  const list = useInventoryList(cluster, podListParams(queryValues(search)));
  const { items: nsItems } = useKind(cluster, 'Namespace');
  // Namespace objects are cluster-scoped: a namespace-scoped viewer gets none, so the pods' own namespaces count too.
  const namespaces = useMemo(() => {
    const names = new Set((nsItems ?? []).map((n) => n.name));
    for (const p of list.rows) names.add(p.namespace);
    if (namespace) names.add(namespace);
    return [...names].sort();
  }, [nsItems, list.rows, namespace]);
  const onSort = (key: string): void => {
    if (key === sort) setOrder(order === 'desc' ? 'asc' : 'desc');
    else {
      setSort(key);
      setOrder('asc');
    }
  };
  const total = list.total;
  const shown = !name.valid ? 0 : (total ?? list.offset + list.rows.length);
  return (
    <>
      <h1>Pods</h1>
      <div className="toolbar" role="group" aria-label="Filters">
        <NamespaceFilter names={namespaces} value={namespace} onChange={setNamespace} />
        <NamePrefixFilter prefix={name} />
        <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">Any status</option>
          {PHASES.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <span className="grow" />
        <ListCount label="Pod count" total={total} validPrefix={name.valid} noun="pod" refreshing={list.refreshing} />
      </div>
      {list.error && <p className="error">{list.error}</p>}
      <VirtualPodTable
        cluster={cluster}
        list={list}
        count={shown}
        sort={{ key: sort, order: order === 'desc' ? 'desc' : 'asc', onSort }}
      />
    </>
  );
}

/** A paged pod list as a virtual table (the Pods page; a node's pods on its page). */
export function VirtualPodTable({
  cluster,
  list,
  count,
  sort,
  label = 'Pods',
}: {
  cluster: string;
  list: InventoryList;
  count: number;
  /** Headers that sort the list; without, plain headers. */
  sort?: { key: string; order: 'asc' | 'desc'; onSort: (key: string) => void };
  label?: string;
}) {
  const now = useNow(5000);
  const { scroller, rows, before, after } = useVirtualRows(count, list.want);
  return (
    <div ref={scroller} className="virtual-scroll" tabIndex={0} role="region" aria-label={`${label}, scrollable`}>
      <table className="data" aria-label={label} aria-rowcount={count + 1} aria-busy={list.refreshing}>
        <PodTableHead sort={sort} />
        <tbody>
          {before > 0 && (
            <tr aria-hidden="true" style={{ height: before }}>
              <td colSpan={8} className="spacer" />
            </tr>
          )}
          {rows.map((r) => {
            const pod = list.row(r.index);
            return pod && pod.kind === 'Pod' ? (
              <PodRow key={pod.uid} cluster={cluster} pod={pod} now={now} index={r.index} />
            ) : (
              <tr key={`loading-${r.index}`} style={{ height: ROW_HEIGHT }}>
                <td colSpan={8} className="hint">
                  Loading…
                </td>
              </tr>
            );
          })}
          {after > 0 && (
            <tr aria-hidden="true" style={{ height: after }}>
              <td colSpan={8} className="spacer" />
            </tr>
          )}
          {count === 0 && list.total !== undefined && (
            <tr>
              <td colSpan={8} className="empty">
                No pods.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function PodPage({ cluster, namespace, name }: { cluster: string; namespace: string; name: string }) {
  // The pod alone and its ReplicaSet or Job by name, each kept live — never
  // the cluster's whole Pod, ReplicaSet or Job lists (issue 18).
  const { item, error } = useOneObject(cluster, 'Pod', namespace, name);
  const pod = item?.kind === 'Pod' ? item : item === undefined ? undefined : null;
  const { owner, loading: ownerLoading } = usePodWorkload(cluster, pod);
  const now = useNow(5000);
  if (pod === undefined) return <p className="hint">Loading…</p>;
  if (error && !pod)
    return (
      <div className="error-box" role="alert">
        {error}
      </div>
    );
  if (!pod)
    return (
      <>
        <h1>
          Pod {namespace}/{name}
        </h1>
        <p className="empty">
          This pod does not exist (any more). Pods are replaced by their controllers; see the workload's pods.
        </p>
      </>
    );
  const st = podState(pod);
  const containers = pod.summary.containers;
  const target = { kind: 'Pod', namespace, name };
  // A pod's resources are set by its workload's template (a bare pod's cannot change).
  const editTarget = owner && !ownerLoading ? { kind: owner.kind, namespace, name: owner.name } : null;
  return (
    <>
      <div className="toolbar">
        <h1 className="grow" style={{ margin: 0 }}>
          <span className="hint">Pod</span> {namespace}/{name}
        </h1>
        <Badge level={st.level}>{st.text}</Badge>
        <ExecGuardBadge cluster={cluster} pod={pod} />
        <ShellButton cluster={cluster} pod={pod} />
        <Link
          href={shellLinkHref({ cluster, namespace, pod: name })}
          title="A URL that opens a shell in this pod, for runbooks and alerts (add ?container=…&command=…)"
        >
          Shell link
        </Link>
        <ActionButton cluster={cluster} target={target} actionId="debug-container" label="Debug" />
        <ActionButton cluster={cluster} target={target} actionId="delete-pod" />
        <ActionMenu cluster={cluster} target={target} />
      </div>
      <div className="panel">
        <dl className="kv">
          <dt>Owner</dt>
          <dd>
            {ownerLoading ? (
              <span className="hint">Loading…</span>
            ) : owner ? (
              <Link href={objectHref(cluster, owner.kind, namespace, owner.name)}>{`${owner.kind} ${owner.name}`}</Link>
            ) : (
              'none'
            )}
          </dd>
          <dt>Node</dt>
          <dd>
            {typeof pod.summary.nodeName === 'string' ? (
              <Link href={objectHref(cluster, 'Node', '', pod.summary.nodeName)}>{pod.summary.nodeName}</Link>
            ) : (
              'not scheduled'
            )}
          </dd>
          <dt>IP</dt>
          <dd>{typeof pod.summary.podIP === 'string' ? pod.summary.podIP : '—'}</dd>
          <dt>Age</dt>
          <dd>
            {humanAge(now - pod.createdAt)} (created {formatTime(pod.createdAt)})
          </dd>
        </dl>
      </div>
      <PortForwardPanel cluster={cluster} pod={pod} />
      <WhyPanel cluster={cluster} object={target} reasons={podReasons(pod, now)} editTarget={editTarget} now={now} />
      <ConditionsTable conditions={pod.summary.conditionDetails ?? []} now={now} />
      <UsageCharts
        cluster={cluster}
        source={{ kind: 'pods', namespace, names: [name] }}
        cpuRefs={podReferences([pod]).cpu}
        memoryRefs={podReferences([pod]).memory}
      />
      <Tabs
        label="Pod"
        tabs={[
          {
            id: 'logs',
            title: 'Logs',
            render: () => (
              <LogViewer
                cluster={cluster}
                namespace={namespace}
                pod={name}
                containers={containers.map((c) => c.name)}
              />
            ),
          },
          {
            id: 'containers',
            title: 'Containers',
            render: () => (
              <table className="data" aria-label="Containers">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>State</th>
                    <th>Ready</th>
                    <th className="num">Restarts</th>
                    <th>Last termination</th>
                    <th>Memory (request / limit)</th>
                    <th>
                      <span className="visually-hidden">Shell</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {containers.map((c) => (
                    <tr key={c.name}>
                      <td>{c.name}</td>
                      <td>
                        {c.state}
                        {c.reason ? ` (${c.reason})` : ''}
                      </td>
                      <td>{c.ready ? 'yes' : 'no'}</td>
                      <td className="num">{c.restartCount}</td>
                      <td>
                        {c.lastTerminated
                          ? `${c.lastTerminated.reason ?? ''} (exit ${c.lastTerminated.exitCode ?? '?'})`
                          : '—'}
                      </td>
                      <td>
                        {c.resources?.requests?.memory ?? '—'} / {c.resources?.limits?.memory ?? '—'}
                      </td>
                      <td>
                        <ShellButton cluster={cluster} pod={pod} container={c.name} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ),
          },
          {
            id: 'diagnostics',
            title: 'Diagnostics',
            render: () => (
              <DiagnosticsSnapshot
                cluster={cluster}
                namespace={namespace}
                pod={name}
                containers={containers.map((c) => c.name)}
              />
            ),
          },
          {
            id: 'events',
            title: 'Events',
            render: () => <EventsList cluster={cluster} namespace={namespace} kind="Pod" name={name} />,
          },
          {
            id: 'timeline',
            title: 'Timeline',
            render: () => (
              <TimelineView cluster={cluster} namespace={namespace} kind="Pod" name={name} createdAt={pod.createdAt} />
            ),
          },
          {
            id: 'yaml',
            title: 'YAML',
            render: () => <ObjectYaml cluster={cluster} kind="Pod" namespace={namespace} name={name} />,
          },
        ]}
      />
    </>
  );
}
