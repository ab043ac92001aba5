// Read-only pages for the objects on-call engineers look up besides
// workloads: PersistentVolumeClaims, Services, ConfigMaps (and Ingresses,
// HPAs, PDBs) — status, what uses them, why they are unhealthy, events,
// timeline and the live YAML (status included).
import { useMemo, type ReactNode } from 'react';
import { Link } from 'wouter';
import { formatLabelSelector, parseLabelSelector } from '@wheelhouse/protocol/core';
import { humanAge } from '../age.js';
import type { InventoryItem, InventoryItemOf } from '../api/types.js';
import { useNow } from '../data/hooks.js';
import { useListedObjects, type ListedKey } from '../data/listed-objects.js';
import { useOneObject } from '../data/one-object.js';
import { claimOwner, serviceBackends, workloadsUsing, type Ref } from '../data/used-by.js';
import type { Reason } from '../data/why.js';
import { objectHref } from '../links.js';
import { TimelineView } from '../timeline/TimelineView.js';
import { ActionMenu } from '../ui/ActionMenu.js';
import { EventsList } from '../ui/EventsList.js';
import { formatTime } from '../ui/format.js';
import { Badge } from '../ui/Health.js';
import { editHref, ObjectYaml } from '../ui/ObjectYaml.js';
import { Tabs } from '../ui/Tabs.js';
import { WhyPanel } from '../ui/WhyPanel.js';

/**
 * What "Used by" reads for a kind: the kinds that can use it, in the object's
 * own namespace only — a ConfigMap or claim is used only from there (issue
 * 18: the cost is that namespace's workloads, never the cluster's whole
 * lists; each workload's volumes and env are read here). A Service's are
 * asked by its selector (serviceBackendKeys). Other kinds read nothing.
 */
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'] as const;
const USERS: Readonly<Record<string, readonly string[]>> = {
  ConfigMap: WORKLOADS,
  PersistentVolumeClaim: WORKLOADS,
};
const usersOf = (kind: string, namespace: string): ListedKey[] =>
  (USERS[kind] ?? []).map((k) => ({ kind: k, namespace }));
/** A Service's backend workloads: those whose pod template its selector matches (no Jobs: a CronJob's are its). */
const BACKEND_WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'] as const;
/**
 * A Service's backends, once its selector is known: its pods (by their
 * labels) and the workloads whose pod template it matches, each matched by
 * the hub in SQL — only what it sends traffic to is read, not every pod and
 * workload of its namespace. None without a selector; a selector the hub's
 * grammar would refuse (none Kubernetes stores) reads the namespace's pods
 * and workloads, matched here.
 */
function serviceBackendKeys(namespace: string, selector: string | undefined): ListedKey[] {
  if (selector === undefined || selector === '') return [];
  const parsed = parseLabelSelector(selector);
  const labels = 'labels' in parsed ? parsed.labels : undefined;
  return [
    { kind: 'Pod', namespace, ...(labels ? { labels } : {}) },
    ...BACKEND_WORKLOADS.map((kind) => ({ kind, namespace, ...(labels ? { templateLabels: labels } : {}) })),
  ];
}

type Fact = [string, ReactNode];

function status(it: InventoryItem): { level: 'ok' | 'warn' | 'err' | 'muted'; text: string } | null {
  switch (it.kind) {
    case 'PersistentVolumeClaim': {
      const phase = it.summary.phase ?? 'Unknown';
      return { level: phase === 'Bound' ? 'ok' : phase === 'Lost' ? 'err' : 'warn', text: phase };
    }
    case 'PodDisruptionBudget': {
      const allowed = it.summary.disruptionsAllowed ?? 0;
      return allowed > 0
        ? { level: 'ok', text: `${allowed} disruption${allowed === 1 ? '' : 's'} allowed` }
        : { level: 'warn', text: 'no disruption allowed' };
    }
    case 'HorizontalPodAutoscaler':
      return { level: 'muted', text: `${it.summary.currentReplicas ?? '?'} → ${it.summary.desiredReplicas ?? '?'}` };
    case 'Service':
      return { level: 'muted', text: it.summary.type ?? 'ClusterIP' };
    default:
      return null;
  }
}

function facts(it: InventoryItem, now: number): Fact[] {
  const out: Fact[] = [
    ['Age', humanAge(now - it.createdAt)],
    ['Created', formatTime(it.createdAt)],
  ];
  switch (it.kind) {
    case 'PersistentVolumeClaim': {
      const s = it.summary;
      out.push(
        ['Phase', s.phase ?? '—'],
        [
          'Storage class',
          s.storageClass === ''
            ? 'none ("": static volumes only)'
            : (s.storageClass ?? 'not set (the cluster default, if any)'),
        ],
        ['Volume', s.volumeName ?? 'not bound'],
        ['Access modes', s.accessModes?.join(', ') ?? '—'],
        ['Requested', s.requested ?? '—'],
        ['Capacity', s.capacity ?? '—'],
      );
      break;
    }
    case 'Service': {
      const s = it.summary;
      out.push(
        ['Type', s.type ?? 'ClusterIP'],
        ['Cluster IP', s.clusterIP ?? '—'],
        [
          'Ports',
          s.ports
            .map(
              (p) =>
                `${p.name ? `${p.name} ` : ''}${p.port ?? '?'}→${p.targetPort ?? p.port ?? '?'}/${p.protocol ?? 'TCP'}${
                  p.nodePort ? ` (node ${p.nodePort})` : ''
                }`,
            )
            .join(', ') || '—',
        ],
        [
          'Selector',
          Object.entries(s.selector ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(', ') || 'none (endpoints managed by hand)',
        ],
      );
      break;
    }
    case 'ConfigMap':
      out.push(['Keys', it.summary.keys.join(', ') || 'none']);
      out.push(['Values', 'not shown here: Wheelhouse carries key names only (the YAML tab reads the live object)']);
      break;
    case 'Ingress':
      out.push(['Class', it.summary.className ?? '—'], ['Hosts', it.summary.hosts.join(', ') || '*']);
      break;
    case 'HorizontalPodAutoscaler': {
      const s = it.summary;
      out.push(
        ['Target', `${s.target.kind ?? '?'} ${s.target.name ?? '?'}`],
        ['Replicas', `${s.minReplicas}–${s.maxReplicas ?? '?'} (current ${s.currentReplicas ?? '?'})`],
      );
      break;
    }
    case 'PodDisruptionBudget': {
      const s = it.summary;
      out.push(
        ['Min available', String(s.minAvailable ?? '—')],
        ['Max unavailable', String(s.maxUnavailable ?? '—')],
        ['Healthy', `${s.currentHealthy ?? '?'} of ${s.expectedPods ?? '?'} (needs ${s.desiredHealthy ?? '?'})`],
      );
      break;
    }
    default:
      break;
  }
  return out;
}

/** What is wrong with the object itself, in Kubernetes' terms. */
function reasonsOf(it: InventoryItem): Reason[] {
  if (it.kind === 'PersistentVolumeClaim' && it.summary.phase === 'Pending') {
    const sc = it.summary.storageClass;
    return [
      {
        level: 'err',
        title: 'Not bound: Pending',
        detail: sc
          ? `Waiting for StorageClass ${sc} to provision a volume (or for a pod to use the claim, with WaitForFirstConsumer). Pods using the claim stay Pending until it is bound.`
          : 'No StorageClass is set and no PersistentVolume matches the request: create a matching volume, or set spec.storageClassName. Pods using the claim stay Pending until it is bound.',
        since: it.createdAt,
      },
    ];
  }
  if (
    it.kind === 'PodDisruptionBudget' &&
    (it.summary.disruptionsAllowed ?? 0) === 0 &&
    (it.summary.expectedPods ?? 0) > 0
  )
    return [
      {
        level: 'warn',
        title: 'No disruption allowed',
        detail: `${it.summary.currentHealthy ?? '?'} healthy, ${it.summary.desiredHealthy ?? '?'} required: draining a node that runs these pods will wait.`,
        since: null,
      },
    ];
  return [];
}

function usedBy(
  it: InventoryItem,
  support: readonly InventoryItem[],
): { refs: Ref[]; pods?: InventoryItemOf<'Pod'>[] } {
  switch (it.kind) {
    case 'ConfigMap':
      return { refs: workloadsUsing(support, 'ConfigMap', it.namespace, it.name) };
    case 'PersistentVolumeClaim': {
      const owner = claimOwner(
        it.name,
        support.filter((i): i is InventoryItemOf<'StatefulSet'> => i.kind === 'StatefulSet'),
      );
      return {
        refs: [...(owner ? [owner] : []), ...workloadsUsing(support, 'PersistentVolumeClaim', it.namespace, it.name)],
      };
    }
    case 'Service':
      return (({ pods, workloads }) => ({ refs: workloads, pods }))(serviceBackends(it, support));
    default:
      return { refs: [] };
  }
}

export function ObjectPage({
  cluster,
  kind,
  namespace,
  name,
}: {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
}) {
  // The object alone by name and its users from its namespace, each kept live (issue 18).
  const { item: it, error } = useOneObject(cluster, kind, namespace, name);
  const users = useMemo(() => usersOf(kind, namespace), [kind, namespace]);
  const workloads = useListedObjects(cluster, users);
  // A Service's pods and workloads by its selector (as text: asked again when the selector changes, not the Service).
  const selector = it?.kind === 'Service' ? formatLabelSelector(it.summary.selector ?? {}) : undefined;
  const backendKeys = useMemo(() => serviceBackendKeys(namespace, selector), [namespace, selector]);
  const backends = useListedObjects(cluster, backendKeys);
  const support = workloads.items && backends.items && [...backends.items, ...workloads.items];
  const supportError = workloads.error ?? backends.error;
  const now = useNow(5000);
  if (it === undefined) return <p className="hint">Loading…</p>;
  if (error && !it)
    return (
      <div className="error-box" role="alert">
        {error}
      </div>
    );
  if (!it)
    return (
      <>
        <h1>
          {kind} {namespace}/{name}
        </h1>
        <p className="empty">
          This {kind} does not exist (any more) in {cluster}.
        </p>
      </>
    );
  const st = status(it);
  const target = { kind, namespace, name };
  const used = usedBy(it, support ?? []);
  return (
    <>
      <div className="toolbar">
        <h1 className="grow" style={{ margin: 0 }}>
          <span className="hint">{kind}</span> {namespace}/{name}
        </h1>
        {st && <Badge level={st.level}>{st.text}</Badge>}
        <Link className="button" href={editHref(cluster, kind, namespace, name)}>
          Edit YAML
        </Link>
        <ActionMenu cluster={cluster} target={target} />
      </div>
      <WhyPanel cluster={cluster} object={target} reasons={reasonsOf(it)} editTarget={null} now={now} />
      <div className="grid2">
        <div className="panel">
          <dl className="kv" aria-label="Facts">
            {facts(it, now).map(([k, v]) => (
              <div key={k} style={{ display: 'contents' }}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </div>
        <section className="panel" aria-label="Used by">
          <h3 style={{ marginTop: 0 }}>{kind === 'Service' ? 'Sends traffic to' : 'Used by'}</h3>
          {supportError && <p className="error">{supportError}</p>}
          {used.refs.length === 0 && !used.pods?.length ? (
            <p className="hint">{support ? 'Nothing in the inventory refers to it.' : 'Loading…'}</p>
          ) : (
            <ul>
              {used.refs.map((r) => (
                <li key={`${r.kind}/${r.name}`}>
                  <Link href={objectHref(cluster, r.kind, r.namespace, r.name)}>{`${r.kind} ${r.name}`}</Link>{' '}
                  <span className="hint">({r.how})</span>
                </li>
              ))}
              {used.pods && (
                <li>
                  {used.pods.length} pod{used.pods.length === 1 ? '' : 's'} (
                  {used.pods.filter((p) => p.summary.ready).length} ready)
                  {used.pods.length > 0 && ': '}
                  {used.pods.slice(0, 10).map((p, i) => (
                    <span key={p.name}>
                      {i > 0 && ', '}
                      <Link href={objectHref(cluster, 'Pod', p.namespace, p.name)}>{p.name}</Link>
                    </span>
                  ))}
                  {used.pods.length > 10 && ', …'}
                </li>
              )}
            </ul>
          )}
        </section>
      </div>
      <Tabs
        label={kind}
        tabs={[
          {
            id: 'events',
            title: 'Events',
            render: () => <EventsList cluster={cluster} namespace={namespace} kind={kind} name={name} />,
          },
          {
            id: 'timeline',
            title: 'Timeline',
            render: () => (
              <TimelineView cluster={cluster} namespace={namespace} kind={kind} name={name} createdAt={it.createdAt} />
            ),
          },
          {
            id: 'yaml',
            title: 'YAML',
            render: () => <ObjectYaml cluster={cluster} kind={kind} namespace={namespace} name={name} />,
          },
        ]}
      />
    </>
  );
}
