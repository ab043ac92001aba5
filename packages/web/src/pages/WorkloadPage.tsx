// One workload: health, its pods, events, YAML and its service timeline, with
// the actions that apply to it.
import { MAX_CHART_PODS, podReferences, UsageCharts } from '../ui/UsageCharts.js';
import { humanAge } from '../age.js';
import type { InventoryItem, InventoryItemOf } from '../api/types.js';
import { useNow } from '../data/hooks.js';
import { useOneObject } from '../data/one-object.js';
import { MAX_WORKLOAD_PODS, useWorkloadPods } from '../data/workload-pods.js';
import { useInsights } from '../data/insights.js';
import { restartsOf } from '../data/ownership.js';
import { TimelineView } from '../timeline/TimelineView.js';
import { ActionMenu } from '../ui/ActionMenu.js';
import { EventsList } from '../ui/EventsList.js';
import { InsightList } from '../ui/InsightList.js';
import { formatTime } from '../ui/format.js';
import { Badge, workloadHealth } from '../ui/Health.js';
import { ObjectYaml } from '../ui/ObjectYaml.js';
import { PodTable } from '../ui/PodTable.js';
import { Tabs } from '../ui/Tabs.js';
import { WORKLOAD_LOG_KINDS, WorkloadLogViewer } from '../ui/WorkloadLogViewer.js';
import { ConditionsTable, WhyPanel } from '../ui/WhyPanel.js';
import { workloadReasons } from '../data/why.js';
import { Link } from 'wouter';
import { useStatefulSetClaims } from '../data/statefulset-claims.js';
import { objectHref } from '../links.js';

const NO_PODS: InventoryItemOf<'Pod'>[] = [];

export function WorkloadPage({
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
  // The workload alone and its pods by owner, each kept live — never the
  // cluster's whole lists of its kind, Pods, ReplicaSets or Jobs (issue 18).
  const { item: w, error } = useOneObject(cluster, kind, namespace, name);
  const { pods: read, capped, error: podsError } = useWorkloadPods(cluster, { kind, namespace, name });
  const pods = read ?? NO_PODS;
  const now = useNow(5000);

  if (w === undefined) return <p className="hint">Loading…</p>;
  if (error)
    return (
      <div className="error-box" role="alert">
        {error}
      </div>
    );
  if (!w)
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
  const health = workloadHealth(w);
  const target = { kind, namespace, name };
  return (
    <>
      <div className="toolbar">
        <h1 className="grow" style={{ margin: 0 }}>
          <span className="hint">{kind}</span> {namespace}/{name}
        </h1>
        <Badge level={health.level}>{health.text}</Badge>
        <span aria-label="Ready replicas">
          {kind === 'CronJob' ? `${health.ready} active` : `${health.ready}/${health.desired} ready`}
        </span>
        <ActionMenu
          cluster={cluster}
          target={target}
          defaults={(id) => (id === 'scale' ? { replicas: health.desired } : undefined)}
        />
      </div>
      <WhyPanel
        cluster={cluster}
        object={target}
        reasons={workloadReasons(w, pods, now)}
        editTarget={target}
        now={now}
      />
      {pods.length > 0 && (
        <UsageCharts
          cluster={cluster}
          source={{ kind: 'pods', namespace, names: pods.map((p) => p.name).sort() }}
          cpuRefs={podReferences(pods.slice(0, MAX_CHART_PODS)).cpu}
          memoryRefs={podReferences(pods.slice(0, MAX_CHART_PODS)).memory}
        />
      )}
      <Tabs
        label="Workload"
        tabs={[
          {
            id: 'overview',
            title: 'Overview',
            render: () => <Overview cluster={cluster} w={w} pods={read} capped={capped} error={podsError} now={now} />,
          },
          {
            id: 'insights',
            title: 'Insights',
            render: () => <WorkloadInsights cluster={cluster} kind={kind} namespace={namespace} name={name} />,
          },
          {
            id: 'timeline',
            title: 'Timeline',
            render: () => (
              <TimelineView cluster={cluster} namespace={namespace} kind={kind} name={name} createdAt={w.createdAt} />
            ),
          },
          ...(WORKLOAD_LOG_KINDS.includes(kind)
            ? [
                {
                  id: 'logs',
                  title: 'Logs',
                  render: () => <WorkloadLogViewer cluster={cluster} kind={kind} namespace={namespace} name={name} />,
                },
              ]
            : []),
          {
            id: 'events',
            title: 'Events',
            render: () => <EventsList cluster={cluster} namespace={namespace} kind={kind} name={name} />,
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

function Overview({
  cluster,
  w,
  pods,
  capped,
  error,
  now,
}: {
  cluster: string;
  w: InventoryItem;
  /** undefined while the first read is out. */
  pods: InventoryItemOf<'Pod'>[] | undefined;
  capped: boolean;
  error: string | undefined;
  now: number;
}) {
  const s = w.summary;
  const conditions = 'conditions' in s ? s.conditions : {};
  const details = 'conditionDetails' in s ? (s.conditionDetails ?? []) : [];
  const images = 'images' in s ? s.images : [];
  const facts: [string, string][] = [
    ['Age', humanAge(now - w.createdAt)],
    ['Created', formatTime(w.createdAt)],
    ['Images', images.join(', ') || '—'],
  ];
  if ('revision' in s && s.revision !== undefined) facts.push(['Revision', s.revision]);
  if ('schedule' in s && s.schedule !== undefined) facts.push(['Schedule', s.schedule]);
  if ('lastScheduleTime' in s && s.lastScheduleTime) facts.push(['Last schedule', formatTime(s.lastScheduleTime)]);
  if ('paused' in s && s.paused) facts.push(['Paused', 'yes']);
  facts.push(['Restarts (pods)', pods ? String(restartsOf(pods)) : '…']);
  return (
    <>
      <div className="grid2">
        <div className="panel">
          <dl className="kv">
            {facts.map(([k, v]) => (
              <div key={k} style={{ display: 'contents' }}>
                <dt>{k}</dt>
                <dd className={k === 'Images' ? 'mono' : undefined}>{v}</dd>
              </div>
            ))}
          </dl>
        </div>
        <div className="panel">
          <h3 style={{ marginTop: 0 }}>Conditions</h3>
          {details.length > 0 ? (
            <ConditionsTable conditions={details} now={now} />
          ) : Object.keys(conditions).length === 0 ? (
            <p className="hint">None reported.</p>
          ) : (
            <dl className="kv">
              {Object.entries(conditions).map(([k, v]) => (
                <div key={k} style={{ display: 'contents' }}>
                  <dt>{k}</dt>
                  <dd>
                    <Badge level={v === 'True' ? (k === 'Failed' || k === 'ReplicaFailure' ? 'err' : 'ok') : 'warn'}>
                      {v}
                    </Badge>
                  </dd>
                </div>
              ))}
            </dl>
          )}
        </div>
      </div>
      <h2>Pods</h2>
      {error && (
        <div className="error-box" role="alert">
          {error}
        </div>
      )}
      {pods ? <PodTable cluster={cluster} pods={pods} showNamespace={false} /> : <p className="hint">Loading pods…</p>}
      {capped && <p className="hint">The newest {MAX_WORKLOAD_PODS.toLocaleString('en')} pods are shown.</p>}
      {w.kind === 'StatefulSet' && <StatefulSetClaims cluster={cluster} sts={w} />}
    </>
  );
}

/**
 * The PersistentVolumeClaims a StatefulSet's volumeClaimTemplates made, one per ordinal: asked of the
 * hub by their names' prefix (issue 18), not the cluster's whole PVC list.
 */
function StatefulSetClaims({ cluster, sts }: { cluster: string; sts: InventoryItemOf<'StatefulSet'> }) {
  const { claims: found, error } = useStatefulSetClaims(cluster, sts);
  const claims = found ?? [];
  return (
    <>
      <h2>Claims</h2>
      {error && <p className="error">{error}</p>}
      <table className="data" aria-label="Claims">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Capacity</th>
            <th>Storage class</th>
            <th>Volume</th>
          </tr>
        </thead>
        <tbody>
          {claims.map((c) => (
            <tr key={c.name} data-name={c.name}>
              <td>
                <Link href={objectHref(cluster, 'PersistentVolumeClaim', c.namespace, c.name)}>{c.name}</Link>
              </td>
              <td>
                <Badge level={c.summary.phase === 'Bound' ? 'ok' : 'warn'}>{c.summary.phase ?? 'Unknown'}</Badge>
              </td>
              <td>{c.summary.capacity ?? c.summary.requested ?? '—'}</td>
              <td>{c.summary.storageClass ?? '—'}</td>
              <td>{c.summary.volumeName ?? 'not bound'}</td>
            </tr>
          ))}
          {claims.length === 0 && (
            <tr>
              <td colSpan={5} className="empty">
                {found ? 'No claims (no volumeClaimTemplates, or none made yet).' : 'Loading…'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </>
  );
}

/** The workload's insights and its pods', open ones first. */
function WorkloadInsights({
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
  const { items, error } = useInsights(cluster, { namespace, kind, name });
  if (error)
    return (
      <div className="error-box" role="alert">
        {error}
      </div>
    );
  if (!items) return <p className="hint">Loading…</p>;
  return (
    <InsightList cluster={cluster} items={items} showObject={true} empty={`Nothing known to be wrong with ${name}.`} />
  );
}
