// Pods with what matters on call: status as kubectl shows it, readiness,
// restarts (with the last reason), node, age, exec guard countdown, and the
// pod actions (shell, delete, more).
import { useId } from 'react';
import { Link } from 'wouter';
import { humanAge } from '../age.js';
import type { InventoryItemOf } from '../api/types.js';
import { useClusterView, useNow } from '../data/hooks.js';
import { can } from '../data/permissions.js';
import { requestAccessHref } from '../data/access.js';
import { useMe } from '../data/session.js';
import { objectHref } from '../links.js';
import { whyNoShell } from '../shell/protocol.js';
import { useShells } from '../shell/ShellProvider.js';
import { ActionButton, ActionMenu } from './ActionMenu.js';
import { ExecGuardBadge } from './ExecGuardBadge.js';
import { Badge, podState } from './Health.js';

type Pod = InventoryItemOf<'Pod'>;

export function PodTable({
  cluster,
  pods,
  showNamespace = true,
  label = 'Pods',
}: {
  cluster: string;
  pods: readonly Pod[];
  showNamespace?: boolean;
  label?: string;
}) {
  const now = useNow(5000);
  return (
    <table className="data" aria-label={label}>
      <PodTableHead showNamespace={showNamespace} />
      <tbody>
        {pods.map((p) => (
          <PodRow key={p.uid} cluster={cluster} pod={p} now={now} showNamespace={showNamespace} />
        ))}
        {pods.length === 0 && (
          <tr>
            <td colSpan={8} className="empty">
              No pods.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

/** Column headers; `sort` makes them buttons that sort the list (the Pods page's server-side sort). */
export function PodTableHead({
  showNamespace = true,
  sort,
}: {
  showNamespace?: boolean;
  sort?: { key: string; order: 'asc' | 'desc'; onSort: (key: string) => void };
}) {
  const th = (title: string, key?: string, className?: string) => {
    if (!sort || !key) return <th className={className}>{title}</th>;
    const active = sort.key === key;
    return (
      <th className={className} aria-sort={active ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" className="sort" onClick={() => sort.onSort(key)}>
          {title}
          {active ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ''}
        </button>
      </th>
    );
  };
  return (
    <thead>
      <tr>
        {showNamespace && th('Namespace', 'namespace')}
        {th('Name', 'name')}
        {th('Status', 'status')}
        <th className="num">Ready</th>
        <th className="num">Restarts</th>
        <th>Node</th>
        {th('Age', 'age', 'num')}
        <th>
          <span className="visually-hidden">Actions</span>
        </th>
      </tr>
    </thead>
  );
}

export function PodRow({
  cluster,
  pod: p,
  now,
  showNamespace = true,
  index,
}: {
  cluster: string;
  pod: Pod;
  now: number;
  showNamespace?: boolean;
  /** Position in a virtual table (its row measuring reads it). */
  index?: number;
}) {
  const st = podState(p);
  const cs = p.summary.containers;
  const last = cs.map((c) => c.lastTerminated).find((t) => t?.reason);
  const restarts = p.summary.restarts;
  return (
    <tr data-name={p.name} data-index={index}>
      {showNamespace && <td>{p.namespace}</td>}
      <td>
        <Link href={objectHref(cluster, 'Pod', p.namespace, p.name)}>{p.name}</Link>{' '}
        <ExecGuardBadge cluster={cluster} pod={p} withExtend={false} />
      </td>
      <td>
        <Badge level={st.level}>{st.text}</Badge>
      </td>
      <td className="num">
        {cs.filter((c) => c.ready).length}/{cs.length}
      </td>
      <td className="num" title={last ? `last: ${last.reason ?? ''} (exit ${last.exitCode ?? '?'})` : undefined}>
        {restarts}
        {last?.reason && restarts > 0 && <span className="hint"> ({last.reason})</span>}
      </td>
      <td>
        {p.summary.nodeName !== null ? (
          <Link href={objectHref(cluster, 'Node', '', p.summary.nodeName)}>{p.summary.nodeName}</Link>
        ) : (
          '—'
        )}
      </td>
      <td className="num">{humanAge(now - p.createdAt)}</td>
      <td style={{ whiteSpace: 'nowrap' }}>
        <PodButtons cluster={cluster} pod={p} />
      </td>
    </tr>
  );
}

/** Shell into a pod (or one `container` of it); disabled with the reason as its tooltip and accessible description. */
export function ShellButton({ cluster, pod, container }: { cluster: string; pod: Pod; container?: string }) {
  const shells = useShells();
  const view = useClusterView(cluster);
  const me = useMe();
  const reasonId = useId();
  let why: string | undefined;
  if (!view?.capabilities.podExec) why = `pod shells (podExec tier) are not enabled on ${cluster}`;
  else if (!view.connected) why = 'the agent is not connected';
  else if (!can(me, 'pod:exec', { cluster, namespace: pod.namespace }))
    why = `you lack pod:exec on ${cluster}/${pod.namespace}`;
  else why = whyNoShell(pod.summary, container);
  return (
    <>
      <button
        type="button"
        disabled={why !== undefined}
        title={why ? `No shell: ${why}` : container ? `Open a shell in ${container}` : 'Open a shell in this pod'}
        aria-label={container ? `Shell into ${pod.name} container ${container}` : `Shell into ${pod.name}`}
        aria-describedby={why ? reasonId : undefined}
        onClick={() =>
          shells.open({ cluster, namespace: pod.namespace, pod: pod.name, ...(container ? { container } : {}) })
        }
      >
        Shell
      </button>
      {why && (
        <span id={reasonId} className="visually-hidden">
          No shell: {why}
        </span>
      )}
    </>
  );
}

/** Next to a Shell button disabled for a missing pod:exec: ask a peer for it. */
function RequestShellAccess({ cluster, pod }: { cluster: string; pod: Pod }) {
  const me = useMe();
  const view = useClusterView(cluster);
  // Only where a grant would help: the tier is on and the permission is what is missing.
  if (!view?.capabilities.podExec || can(me, 'pod:exec', { cluster, namespace: pod.namespace })) return null;
  return (
    <Link
      className="button"
      href={requestAccessHref('pod:exec', cluster, pod.namespace)}
      title="Ask a peer for pod:exec here"
    >
      Request access
    </Link>
  );
}

export function PodButtons({ cluster, pod }: { cluster: string; pod: Pod }) {
  const target = { kind: 'Pod', namespace: pod.namespace, name: pod.name };
  return (
    <span style={{ display: 'inline-flex', gap: 6 }}>
      <ShellButton cluster={cluster} pod={pod} />
      {pod.summary.phase === 'Running' && <RequestShellAccess cluster={cluster} pod={pod} />}
      <ActionButton cluster={cluster} target={target} actionId="delete-pod" />
      <ActionMenu cluster={cluster} target={target} label="More" />
    </span>
  );
}
