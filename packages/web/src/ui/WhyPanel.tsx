// The header's answer to "why": the reasons Kubernetes gives (see
// data/why.ts), the newest Warning event, and for an out-of-memory kill the
// container's memory request and limit with "Edit resources" (a prefilled
// dry run in the editor) and the memory it was last seen using before the kill.
import { useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.js';
import type { ConditionDetail, Page, TimelineEvent } from '../api/types.js';
import { useAsync, useTimelineFeed } from '../data/hooks.js';
import { useInsights } from '../data/insights.js';
import type { Reason } from '../data/why.js';
import { humanAge } from '../age.js';
import { objectHref } from '../links.js';
import { formatTime } from './format.js';

export interface EditTarget {
  kind: string;
  namespace: string;
  name: string;
}

const editResourcesHref = (cluster: string, t: EditTarget, container: string): string =>
  `/c/${encodeURIComponent(cluster)}/edit?${new URLSearchParams({
    kind: t.kind,
    namespace: t.namespace,
    name: t.name,
    raise: 'memory',
    container,
  }).toString()}`;

/** The newest Warning event of an object (and the pods it owns), live. */
function useNewestWarning(cluster: string, kind: string, namespace: string, name: string): TimelineEvent | undefined {
  const events = useAsync(
    (signal) =>
      api<Page<TimelineEvent>>(`/api/v1/clusters/${encodeURIComponent(cluster)}/timeline`, {
        query: { kind, namespace, name, type: 'k8s-event', limit: 50 },
        signal,
      }),
    [cluster, kind, namespace, name],
  );
  const [live, setLive] = useState<TimelineEvent>();
  useTimelineFeed(cluster, (e) => {
    if (e.type !== 'k8s-event' || e.severity === 'info' || e.namespace !== namespace) return;
    if (e.name === name || (e.owner !== undefined && e.owner.kind === kind && e.owner.name === name)) setLive(e);
  });
  return live ?? events.data?.items.find((e) => e.severity !== 'info');
}

/**
 * The memory the container was last seen using before its OOM kill: the
 * oom-killed insight's usage evidence (the agent matches metrics.k8s.io's
 * samples to the kill's time, per container).
 */
function UsageBeforeKill({
  cluster,
  namespace,
  pod,
  container,
}: {
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
}) {
  const { items } = useInsights(cluster, { state: 'open', namespace, kind: 'Pod', name: pod });
  const oom = items?.find((i) => i.check === 'oom-killed' && i.id.endsWith(`:${container}`));
  const usage = oom?.evidence.find((e) => e.source === 'usage');
  if (!usage) return null;
  return <span aria-label="Memory usage before the kill">Usage before the kill: {usage.value}. </span>;
}

export function WhyPanel({
  cluster,
  object,
  reasons,
  editTarget,
  now,
}: {
  cluster: string;
  object: EditTarget;
  reasons: readonly Reason[];
  /** The object whose template sets the containers' resources (a pod's workload); none: no "Edit resources". */
  editTarget: EditTarget | null;
  now: number;
}) {
  const warning = useNewestWarning(cluster, object.kind, object.namespace, object.name);
  if (!reasons.length && !warning) return null;
  return (
    <section className="panel why" aria-label="Why">
      {reasons.length > 0 && (
        <ul className="why-list">
          {reasons.map((r, i) => (
            <li key={i} className={`why-${r.level}`}>
              <strong>{r.title}</strong>
              {r.pod && (
                <>
                  {' '}
                  <span className="hint">in pod</span>{' '}
                  <Link href={objectHref(cluster, 'Pod', object.namespace, r.pod)}>{r.pod}</Link>
                </>
              )}
              {r.since !== null && (
                <span className="hint" title={formatTime(r.since)}>
                  {' '}
                  · {humanAge(Math.max(0, now - r.since))} ago
                </span>
              )}
              {r.detail && <div className="why-detail">{r.detail}</div>}
              {r.oom && (
                <div className="why-detail">
                  Memory request {r.oom.request ?? 'not set'}, limit {r.oom.limit ?? 'not set'}.{' '}
                  {(r.pod ?? (object.kind === 'Pod' ? object.name : undefined)) && (
                    <UsageBeforeKill
                      cluster={cluster}
                      namespace={object.namespace}
                      pod={r.pod ?? object.name}
                      container={r.oom.container}
                    />
                  )}
                  {editTarget && (
                    <Link className="button" href={editResourcesHref(cluster, editTarget, r.oom.container)}>
                      Edit resources
                    </Link>
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {warning && (
        <p className="why-event" aria-label="Newest warning event">
          <span className="badge warn">
            {'reason' in warning.data && typeof warning.data.reason === 'string' ? warning.data.reason : 'Warning'}
          </span>{' '}
          {warning.summary}{' '}
          <span className="hint" title={formatTime(warning.time)}>
            · {humanAge(Math.max(0, now - warning.time))} ago
          </span>
        </p>
      )}
    </section>
  );
}

/** Conditions with Kubernetes' reason and message, not only True/False. */
export function ConditionsTable({ conditions, now }: { conditions: readonly ConditionDetail[]; now: number }) {
  if (!conditions.length) return null;
  return (
    <table className="data" aria-label="Conditions">
      <thead>
        <tr>
          <th>Condition</th>
          <th>Status</th>
          <th>Reason</th>
          <th>Message</th>
          <th>Since</th>
        </tr>
      </thead>
      <tbody>
        {conditions.map((c) => (
          <tr key={c.type} data-status={c.status}>
            <td>{c.type}</td>
            <td>{c.status}</td>
            <td>{c.reason ?? ''}</td>
            <td>{c.message ?? ''}</td>
            <td>{c.lastTransitionTime ? `${humanAge(Math.max(0, now - c.lastTransitionTime))} ago` : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
