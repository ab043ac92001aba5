// Nodes: conditions, capacity, schedulability and their pods; cordon,
// uncordon and drain (with the drain's progress, live).
import { parseCpu, parseMemory } from '@wheelhouse/protocol/core';
import { UsageCharts } from '../ui/UsageCharts.js';
import { useId } from 'react';
import { useVirtualRows } from '../ui/virtual-rows.js';
import { Link } from 'wouter';
import { humanAge } from '../age.js';
import type { InventoryItemOf } from '../api/types.js';
import { useClusterView, useKind, useNow } from '../data/hooks.js';
import { useInventoryList } from '../data/inventory-list.js';
import { can } from '../data/permissions.js';
import { useMe } from '../data/session.js';
import { useShells } from '../shell/ShellProvider.js';
import { usePodsByNode } from '../data/pods-by-node.js';
import { nodePodListParams } from '../start/first-requests.js';
import { VirtualPodTable } from './PodsPage.js';
import { objectHref } from '../links.js';
import { TimelineView } from '../timeline/TimelineView.js';
import { ActionButton } from '../ui/ActionMenu.js';
import { Badge } from '../ui/Health.js';
import { ObjectYaml } from '../ui/ObjectYaml.js';
import { Tabs } from '../ui/Tabs.js';

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

/** The node list is read whole (it is small): nothing more to ask as the table scrolls. */
const NOTHING_MORE = (): void => undefined;

export function NodesPage({ cluster }: { cluster: string }) {
  const { items } = useKind(cluster, 'Node');
  // Counted by the hub (issue 18): listing every pod here took 26.8 s and 434 MiB at 100k pods.
  const podCount = usePodsByNode(cluster);
  const now = useNow(10_000);
  // Only the rows in view are rendered (issue 18: 500 nodes, each with its action buttons, held up the first row).
  const { scroller, rows, before, after } = useVirtualRows(items?.length ?? 0, NOTHING_MORE);
  return (
    <>
      <h1>Nodes</h1>
      <div ref={scroller} className="virtual-scroll" tabIndex={0} role="region" aria-label="Nodes, scrollable">
        <table className="data" aria-label="Nodes" aria-rowcount={(items?.length ?? 0) + 1}>
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th className="num">Pods</th>
              <th className="num">CPU</th>
              <th className="num">Memory</th>
              <th>Kubelet</th>
              <th className="num">Age</th>
              <th>
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {before > 0 && (
              <tr aria-hidden="true" style={{ height: before }}>
                <td colSpan={8} className="spacer" />
              </tr>
            )}
            {rows.map((r) => {
              const n = items?.[r.index];
              if (!n) return null;
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
                    {podCount ? (podCount.get(n.name) ?? 0) : '…'}
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
                <td colSpan={8} className="spacer" />
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {!items && <p className="hint">Loading…</p>}
    </>
  );
}

export function NodePage({ cluster, name }: { cluster: string; name: string }) {
  const { items } = useKind(cluster, 'Node');
  // The node's pods only, from the hub's node index, paged as scrolled (issue 18): listing every pod of
  // the cluster here took as long as the old Pods page at 100k.
  const onNode = useInventoryList(cluster, nodePodListParams(name));
  const node = items?.find((n) => n.name === name);
  if (!items) return <p className="hint">Loading…</p>;
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
                count={onNode.total ?? onNode.rows.length}
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
