// Insights as cards: what is wrong, where, since when, the evidence, the fix
// and (when the catalog has one) the action with its params prefilled.
import { Link } from 'wouter';
import type { Insight } from '../api/types.js';
import { humanAge } from '../age.js';
import { useNow } from '../data/hooks.js';
import { SEVERITY_ORDER, severityLevel } from '../data/insights.js';
import { objectHref } from '../links.js';
import { ActionButton } from './ActionMenu.js';
import { Badge } from './Health.js';

export function InsightList({
  cluster,
  items,
  empty = 'No insights: nothing known to be wrong here.',
  showObject = true,
}: {
  cluster: string;
  items: readonly Insight[];
  empty?: string;
  showObject?: boolean;
}) {
  const now = useNow(10_000);
  if (items.length === 0) return <p className="empty">{empty}</p>;
  const sorted = [...items].sort(
    (a, b) =>
      (a.state === b.state ? 0 : a.state === 'open' ? -1 : 1) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      b.since - a.since,
  );
  return (
    <ul className="insights" aria-label="Insights">
      {sorted.map((i) => (
        <li key={i.id} className={`insight panel ${i.state}`} data-check={i.check} data-state={i.state}>
          <div className="toolbar">
            <Badge level={i.state === 'resolved' ? 'muted' : severityLevel(i.severity)}>
              {i.state === 'resolved' ? 'resolved' : i.severity}
            </Badge>
            <strong className="grow">{i.title}</strong>
            <span className="hint" title={new Date(i.since).toISOString()}>
              {i.state === 'open'
                ? `since ${humanAge(now - i.since)} ago`
                : `resolved ${humanAge(now - (i.resolvedAt ?? now))} ago`}
            </span>
          </div>
          {showObject && (
            <div className="hint">
              <Link href={objectHref(cluster, i.object.kind, i.object.namespace, i.object.name)}>
                {i.object.kind} {i.object.namespace ? `${i.object.namespace}/` : ''}
                {i.object.name}
              </Link>
              {i.owner && (
                <>
                  {' '}
                  of{' '}
                  <Link href={objectHref(cluster, i.owner.kind, i.object.namespace, i.owner.name)}>
                    {i.owner.kind} {i.owner.name}
                  </Link>
                </>
              )}{' '}
              · <span className="mono">{i.check}</span>
            </div>
          )}
          {i.cause && (
            <div className={`root-cause ${i.cause.kind}`} role="note" aria-label="Root cause">
              <span className="hint">{i.cause.kind === 'change' ? 'What changed: ' : 'No change: '}</span>
              {i.cause.text}
              {i.cause.action && (
                <>
                  {' '}
                  <ActionButton
                    cluster={cluster}
                    target={i.cause.action.target}
                    actionId={i.cause.action.action}
                    defaults={i.cause.action.params}
                    label={i.cause.action.label}
                    className="primary"
                  />
                </>
              )}
            </div>
          )}
          <details>
            <summary>Evidence ({i.evidence.length})</summary>
            <dl className="kv">
              {i.evidence.map((e, n) => (
                <div key={n} style={{ display: 'contents' }}>
                  <dt>
                    <span className="hint">{e.source}</span> {e.label}
                  </dt>
                  <dd className="mono" style={{ overflowWrap: 'anywhere' }}>
                    {e.value}
                  </dd>
                </div>
              ))}
            </dl>
          </details>
          <p style={{ margin: '6px 0 0' }}>
            <span className="hint">Fix:</span> {i.fix}
          </p>
          {i.action && i.state === 'open' && !i.cause?.action && (
            <div style={{ marginTop: 6 }}>
              <ActionButton
                cluster={cluster}
                target={i.action.target}
                actionId={i.action.action}
                defaults={i.action.params}
                className="primary"
              />{' '}
              <span className="hint">{i.action.label}</span>
            </div>
          )}
        </li>
      ))}
    </ul>
  );
}
