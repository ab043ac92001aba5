// Nodes: conditions, capacity, schedulability and their pods; cordon,
// uncordon and drain (with the drain's progress, live).
import { parseCpu, parseMemory } from '@wheelhouse/protocol/core';
import { UsageCharts } from '../ui/UsageCharts.js';
import { useEffect, useId } from 'react';
import { ROW_HEIGHT, useVirtualRows } from '../ui/virtual-rows.js';
import { Link, useSearch } from 'wouter';
import { humanAge } from '../age.js';
import type { InventoryItemOf } from '../api/types.js';
import { useClusterView, useNow } from '../data/hooks.js';
import { useInventoryList, type ListSort } from '../data/inventory-list.js';
import { useOneObject } from '../data/one-object.js';
import { can } from '../data/permissions.js';
import { useMe } from '../data/session.js';
import { useShells } from '../shell/ShellProvider.js';
import { useNodeList } from '../data/node-list.js';
import {
  NODE_SORTS,
  NODE_STATUS_FILTERS,
  nodeListParams,
  nodePodListParams,
  queryValues,
} from '../start/first-requests.js';
import { useQueryState } from '../ui/query-state.js';
import { VirtualPodTable } from './PodsPage.js';
import { objectHref } from '../links.js';
import { TimelineView } from '../timeline/TimelineView.js';
import { ActionButton } from '../ui/ActionMenu.js';
import { Badge } from '../ui/Health.js';
import { ObjectYaml } from '../ui/ObjectYaml.js';
import { Tabs } from '../ui/Tabs.js';
import { ListCount } from '../ui/ListCount.js';
import { NamePrefixFilter, useNamePrefix } from '../ui/NamePrefixFilter.js';

type Node = InventoryItemOf<'Node'>;

function nodeStatus(n: Node): { level: string; text: string } {
  const conds = n.summary.conditions;
  const ready = conds.Ready === 'True';
  const pressure = Object.entries(conds)
    .filter(([k, v]) => k !== 'Ready' && v === 'True')
    .map(([k]) => k);
  const text = [
    ready ? 'Ready' : 'NotReady',
    ...(n.summary.unschedulable ? ['SchedulingDisabled'] : []),
    ...pressure,
  ].join(', ');
  return { level: !ready ? 'err' : n.summary.unschedulable || pressure.length ? 'warn' : 'ok', text };
}

/**
 * "Shell into node": a root shell on the node (the agent's short-lived privileged pod), in the shell tray.
 * Offered only to people with node:shell on the whole cluster (account-admins by default); for them it is
 * disabled, with the reason, while the cluster's nodeShell tier is off or its agent is away.
 */
function NodeShellButton({ cluster, node }: { cluster: string; node: Node }) {
  const shells = useShells();
  const view = useClusterView(cluster);
  const me = useMe();
  const reasonId = useId();
  if (!can(me, 'node:shell', { cluster })) return null;
  let why: string | undefined;
  if (!view?.capabilities.nodeShell)
    why = `node shells (the nodeShell tier) are not enabled on ${cluster}: the agent needs --tiers …,nodeShell (chart actions.nodeShell)`;
  else if (!view.connected) why = 'the agent is not connected';
  return (
    <>
      <button
        type="button"
        disabled={why !== undefined}
        title={
          why
            ? `No node shell: ${why}`
            : `A root shell on ${node.name}, through a privileged pod that is removed when the shell ends (audited and recorded)`
        }
        aria-describedby={why ? reasonId : undefined}
        onClick={() => shells.open({ cluster, namespace: '', pod: '', node: node.name })}
      >
        Shell into node
      </button>
      {why && (
        <span id={reasonId} className="visually-hidden">
          No node shell: {why}
        </span>
      )}
    </>
  );
}

function NodeButtons({ cluster, node }: { cluster: string; node: Node }) {
  const target = { kind: 'Node', namespace: '', name: node.name };
  return (
    <span style={{ display: 'inline-flex', gap: 6 }}>
      {node.summary.unschedulable ? (
        <ActionButton cluster={cluster} target={target} actionId="uncordon" />
      ) : (
        <ActionButton cluster={cluster} target={target} actionId="cordon" />
      )}
      <ActionButton cluster={cluster} target={target} actionId="drain" />
    </span>
  );
}

const COLUMNS = 8;
const STATUS_LABELS: Record<(typeof NODE_STATUS_FILTERS)[number], string> = {
  NotReady: 'Not ready',
  SchedulingDisabled: 'Cordoned',
  Ready: 'Ready',
};

/**
 * Nodes of a cluster, paged, sorted and filtered by the hub (issue 18) like the
 * Pods page: 2,000 nodes cost a screenful until scrolled through, the rows held
 * stay live (a node cordoned changes in place, a new one is asked for), and each
 * node's pods are counted by the hub. Filters and sort live in the URL.
 */
export function NodesPage({ cluster }: { cluster: string }) {
  const name = useNamePrefix();
  const [status, setStatus] = useQueryState('status', '');
  const [sortParam, setSort] = useQueryState('sort', 'name');
  const [order, setOrder] = useQueryState('order', 'asc');
  const sort: ListSort = NODE_SORTS.find((k) => k === sortParam) ?? 'name';
  // The same parameters the start-up preload asked with (start/first-requests.ts).
  const search = useSearch();
  // Each page carries its nodes' pod counts, counted by the hub (issue 18): listing every pod here took
  // 26.8 s and 434 MiB at 100k pods, and counting every node's pods 16–27 ms a call at 2,000 nodes.
  const list = useNodeList(cluster, nodeListParams(queryValues(search)));
  const now = useNow(10_000);
  const total = list.total;
  const count = !name.valid ? 0 : (total ?? list.offset + list.rows.length);
  // Only the rows in view are rendered; more are asked of the hub as the view nears the end of those held.
  const { scroller, rows, before, after } = useVirtualRows(count, list.want);
  // The rows in view have their counts kept live as pods come and go.
  const shown = rows.flatMap((r) => list.row(r.index) ?? []);
  const shownKey = shown.map((r) => `${r.node.name}@${r.countedAt}`).join(',');
  const { inView } = list;
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the rows in view, by name and when counted
  useEffect(() => inView(shown), [inView, shownKey]);
  const onSort = (key: ListSort): void => {
    if (key === sort) setOrder(order === 'desc' ? 'asc' : 'desc');
    else {
      setSort(key);
      setOrder('asc');
    }
  };
  const th = (title: string, key: ListSort, className?: string) => {
    const active = sort === key;
    const dir = order === 'desc' ? 'desc' : 'asc';
    return (
      <th className={className} aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" className="sort" onClick={() => onSort(key)}>
          {title}
          <span aria-hidden="true">{active ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };
  return (
    <>
      <h1>Nodes</h1>
      <div className="toolbar" role="group" aria-label="Filters">
        <NamePrefixFilter prefix={name} />
        <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">Any status</option>
          {NODE_STATUS_FILTERS.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
        <span className="grow" />
        <ListCount label="Node count" total={total} validPrefix={name.valid} noun="node" refreshing={list.refreshing} />
      </div>
      {list.error && <p className="error">{list.error}</p>}
      <div ref={scroller} className="virtual-scroll" tabIndex={0} role="region" aria-label="Nodes, scrollable">
        <table className="data" aria-label="Nodes" aria-rowcount={count + 1} aria-busy={list.refreshing}>
          <thead>
            <tr>
              {th('Name', 'name')}
              {th('Status', 'status')}
              <th className="num">Pods</th>
              <th className="num">CPU</th>
              <th className="num">Memory</th>
              <th>Kubelet</th>
              {th('Age', 'age', 'num')}
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
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
              const n = row.node;
              const st = nodeStatus(n);
              const cap = n.summary.capacity ?? {};
              return (
                <tr key={n.uid} data-name={n.name} aria-rowindex={r.index + 2}>
                  <td>
                    <Link href={objectHref(cluster, 'Node', '', n.name)}>{n.name}</Link>
                  </td>
                  <td>
                    <Badge level={st.level}>{st.text}</Badge>
                  </td>
                  <td className="num" data-col="pods">
                    {list.podsOf(row)}
                    {cap.pods ? ` / ${cap.pods}` : ''}
                  </td>
                  <td className="num">{cap.cpu ?? '—'}</td>
                  <td className="num">{cap.memory ?? '—'}</td>
                  <td>{n.summary.kubeletVersion ?? '—'}</td>
                  <td className="num">{humanAge(now - n.createdAt)}</td>
                  <td>
                    <NodeButtons cluster={cluster} node={n} />
                  </td>
                </tr>
              );
            })}
            {after > 0 && (
              <tr aria-hidden="true" style={{ height: after }}>
                <td colSpan={COLUMNS} className="spacer" />
              </tr>
            )}
            {count === 0 && total !== undefined && (
              <tr>
                <td colSpan={COLUMNS} className="empty">
                  No nodes.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function NodePage({ cluster, name }: { cluster: string; name: string }) {
  // This node alone, not the cluster's node list (issue 18), kept current by the feed.
  const { item } = useOneObject(cluster, 'Node', '', name);
  // The node's pods only, from the hub's node index, paged as scrolled (issue 18): listing every pod of
  // the cluster here took as long as the old Pods page at 100k.
  const onNode = useInventoryList(cluster, nodePodListParams(name));
  const node = item?.kind === 'Node' ? item : undefined;
  if (item === undefined) return <p className="hint">Loading…</p>;
  if (!node) return <p className="empty">Node {name} does not exist (any more).</p>;
  const st = nodeStatus(node);
  const conds = node.summary.conditions;
  const cap = node.summary.capacity ?? {};
  const alloc = node.summary.allocatable ?? {};
  const taints = node.summary.taints;
  return (
    <>
      <div className="toolbar">
        <h1 className="grow" style={{ margin: 0 }}>
          <span className="hint">Node</span> {name}
        </h1>
        <Badge level={st.level}>{st.text}</Badge>
        <NodeShellButton cluster={cluster} node={node} />
        <NodeButtons cluster={cluster} node={node} />
      </div>
      <div className="grid2">
        <div className="panel">
          <h3 style={{ marginTop: 0 }}>Conditions</h3>
          <dl className="kv">
            {Object.entries(conds).map(([k, v]) => (
              <div key={k} style={{ display: 'contents' }}>
                <dt>{k}</dt>
                <dd>
                  <Badge level={(k === 'Ready') === (v === 'True') ? 'ok' : 'err'}>{v}</Badge>
                </dd>
              </div>
            ))}
          </dl>
        </div>
        <div className="panel">
          <h3 style={{ marginTop: 0 }}>Capacity (allocatable)</h3>
          <dl className="kv">
            {Object.entries(cap).map(([k, v]) => (
              <div key={k} style={{ display: 'contents' }}>
                <dt>{k}</dt>
                <dd>
                  {v}
                  {alloc[k] && alloc[k] !== v ? ` (${alloc[k]})` : ''}
                </dd>
              </div>
            ))}
            <dt>Taints</dt>
            <dd>
              {taints.length
                ? taints.map((t) => `${t.key ?? ''}${t.value ? `=${t.value}` : ''}:${t.effect ?? ''}`).join(', ')
                : 'none'}
            </dd>
          </dl>
        </div>
      </div>
      <UsageCharts
        cluster={cluster}
        source={{ kind: 'nodes', name }}
        cpuRefs={[{ label: 'allocatable', value: alloc.cpu !== undefined ? parseCpu(alloc.cpu) : null }]}
        memoryRefs={[{ label: 'allocatable', value: alloc.memory !== undefined ? parseMemory(alloc.memory) : null }]}
      />
      <Tabs
        label="Node"
        tabs={[
          {
            id: 'pods',
            title: `Pods (${onNode.total ?? '…'})`,
            render: () => (
              <VirtualPodTable
                cluster={cluster}
                list={onNode}
                count={onNode.total ?? onNode.offset + onNode.rows.length}
                label={`Pods on ${name}`}
              />
            ),
          },
          {
            id: 'timeline',
            title: 'Timeline',
            render: () => <TimelineView cluster={cluster} kind="Node" name={name} />,
          },
          {
            id: 'yaml',
            title: 'YAML',
            render: () => <ObjectYaml cluster={cluster} kind="Node" namespace="" name={name} />,
          },
        ]}
      />
    </>
  );
}
