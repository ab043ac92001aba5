// Pods of a cluster (filter by namespace, status, text) and one pod: its
// containers, live logs, events, YAML, timeline; shell and delete.
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { humanAge } from '../age.js';
import { useKind, useKinds, useNow } from '../data/hooks.js';
import { workloadOf } from '../data/ownership.js';
import { objectHref } from '../links.js';
import { TimelineView } from '../timeline/TimelineView.js';
import { ActionButton, ActionMenu } from '../ui/ActionMenu.js';
import { EventsList } from '../ui/EventsList.js';
import { ExecGuardBadge } from '../ui/ExecGuardBadge.js';
import { formatTime } from '../ui/format.js';
import { Badge, podState } from '../ui/Health.js';
import { LogViewer } from '../ui/LogViewer.js';
import { ObjectYaml } from '../ui/ObjectYaml.js';
import { PodTable, ShellButton } from '../ui/PodTable.js';
import { useQueryState } from '../ui/query-state.js';
import { NamespaceFilter, namespacesOf } from '../ui/NamespaceFilter.js';
import { Tabs } from '../ui/Tabs.js';
import { ConditionsTable, WhyPanel } from '../ui/WhyPanel.js';
import { podReasons } from '../data/why.js';

export function PodsPage({ cluster }: { cluster: string }) {
  const { items } = useKind(cluster, 'Pod');
  const [namespace, setNamespace] = useQueryState('namespace', '');
  const [text, setText] = useState('');
  const [problem, setProblem] = useState(false);
  const namespaces = useMemo(() => namespacesOf(items), [items]);
  const pods = useMemo(
    () =>
      (items ?? [])
        .filter((p) => !namespace || p.namespace === namespace)
        .filter((p) => !text || p.name.includes(text.toLowerCase()) || (p.summary.nodeName?.includes(text) ?? false))
        .filter((p) => !problem || podState(p).level !== 'ok'),
    [items, namespace, text, problem],
  );
  return (
    <>
      <h1>Pods</h1>
      <div className="toolbar" role="group" aria-label="Filters">
        <NamespaceFilter names={namespaces} value={namespace} onChange={setNamespace} />
        <input
          type="search"
          aria-label="Filter by name or node"
          placeholder="Filter by name or node"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <label>
          <input type="checkbox" checked={problem} onChange={(e) => setProblem(e.target.checked)} /> Only with problems
        </label>
        <span className="grow" />
        <span className="hint">{items ? `${pods.length} of ${items.length}` : 'Loading…'}</span>
      </div>
      <PodTable cluster={cluster} pods={pods} />
    </>
  );
}

export function PodPage({ cluster, namespace, name }: { cluster: string; namespace: string; name: string }) {
  const { items } = useKind(cluster, 'Pod');
  const support = useKinds(cluster, ['ReplicaSet', 'Job']);
  const now = useNow(5000);
  const pod = items?.find((p) => p.namespace === namespace && p.name === name);
  if (!items) return <p className="hint">Loading…</p>;
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
  const owner = workloadOf(
    pod,
    (support ?? []).filter((i) => i.kind === 'ReplicaSet'),
    (support ?? []).filter((i) => i.kind === 'Job'),
  );
  const target = { kind: 'Pod', namespace, name };
  // A pod's resources are set by its workload's template (a bare pod's cannot change).
  const editTarget = owner ? { kind: owner.kind, namespace, name: owner.name } : null;
  return (
    <>
      <div className="toolbar">
        <h1 className="grow" style={{ margin: 0 }}>
          <span className="hint">Pod</span> {namespace}/{name}
        </h1>
        <Badge level={st.level}>{st.text}</Badge>
        <ExecGuardBadge cluster={cluster} pod={pod} />
        <ShellButton cluster={cluster} pod={pod} />
        <ActionButton cluster={cluster} target={target} actionId="delete-pod" className="danger" />
        <ActionMenu cluster={cluster} target={target} />
      </div>
      <div className="panel">
        <dl className="kv">
          <dt>Owner</dt>
          <dd>
            {owner ? (
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
      <WhyPanel cluster={cluster} object={target} reasons={podReasons(pod, now)} editTarget={editTarget} now={now} />
      <ConditionsTable conditions={pod.summary.conditionDetails ?? []} now={now} />
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
                    </tr>
                  ))}
                </tbody>
              </table>
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
