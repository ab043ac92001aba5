// Workloads of a cluster with their health: ready/desired, restarts, images,
// age; filters by kind, namespace, text and "only unhealthy".
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { humanAge } from '../age.js';
import { ofKind } from '@wheelhouse/protocol/core';
import { WORKLOAD_KINDS, type InventoryItem } from '../api/types.js';
import { useKinds, useNow } from '../data/hooks.js';
import { podsOf, restartsOf } from '../data/ownership.js';
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
  const [namespace, setNamespace] = useQueryState('namespace', '');
  const [text, setText] = useState('');
  const [unhealthy, setUnhealthy] = useState(false);

  const rows = useMemo(() => {
    const pods = (support ?? []).filter(ofKind('Pod'));
    const rss = (support ?? []).filter((i) => i.kind === 'ReplicaSet');
    const jobs = (support ?? []).filter((i) => i.kind === 'Job');
    return (workloads ?? [])
      .filter((w) => !kind || w.kind === kind)
      .filter((w) => !namespace || w.namespace === namespace)
      .filter((w) => !text || w.name.includes(text.toLowerCase()) || w.namespace.includes(text.toLowerCase()))
      .map((w) => ({ w, health: workloadHealth(w), restarts: restartsOf(podsOf(w, pods, rss, jobs)) }))
      .filter((r) => !unhealthy || r.health.level === 'err' || r.health.level === 'warn')
      .sort(
        (a, b) =>
          a.w.namespace.localeCompare(b.w.namespace) ||
          a.w.name.localeCompare(b.w.name) ||
          a.w.kind.localeCompare(b.w.kind),
      );
  }, [workloads, support, kind, namespace, text, unhealthy]);

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
          <input type="checkbox" checked={unhealthy} onChange={(e) => setUnhealthy(e.target.checked)} /> Only unhealthy
        </label>
        <span className="grow" />
        <span className="hint">{workloads ? `${rows.length} of ${workloads.length}` : 'Loading…'}</span>
      </div>
      <table className="data" aria-label="Workloads">
        <thead>
          <tr>
            <th>Kind</th>
            <th>Namespace</th>
            <th>Name</th>
            <th>Health</th>
            <th className="num">Ready</th>
            <th className="num">Restarts</th>
            <th>Images</th>
            <th className="num">Age</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ w, health, restarts }) => (
            <WorkloadRow key={w.uid} cluster={cluster} w={w} health={health} restarts={restarts} now={now} />
          ))}
          {workloads && rows.length === 0 && (
            <tr>
              <td colSpan={9} className="empty">
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
  now,
}: {
  cluster: string;
  w: InventoryItem;
  health: ReturnType<typeof workloadHealth>;
  restarts: number;
  now: number;
}) {
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
      <td className="num">{restarts > 0 ? <span style={{ color: 'var(--warn)' }}>{restarts}</span> : 0}</td>
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
