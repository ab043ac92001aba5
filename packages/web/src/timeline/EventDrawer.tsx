// Side panel with one event's full details; Escape or Close closes it.
import { useEffect, useId, useRef } from 'react';
import { Link } from 'wouter';
import type { TimelineEvent } from '../api/types.js';
import { objectHref } from '../links.js';
import { ActionMenu } from '../ui/ActionMenu.js';
import { DiffView } from '../ui/DiffView.js';
import { formatTime, formatValue } from '../ui/format.js';
import { changesOf, objectLabel, SEVERITY_CLASS } from './details.js';

const ACTION_FIELDS: [string, string][] = [
  ['commandId', 'Command'],
  ['action', 'Action'],
  ['state', 'State'],
  ['requestedBy', 'Requested by'],
  ['reason', 'Reason'],
  ['message', 'Message'],
];

function Value({ v }: { v: unknown }) {
  if (v === undefined || v === null || v === '') return <span className="hint">—</span>;
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'))
    return <>{v.map((x) => formatValue(x)).join(', ')}</>;
  if (typeof v === 'object') return <pre className="tl-json">{JSON.stringify(v, null, 2)}</pre>;
  return <>{formatValue(v)}</>;
}

function DataList({ data, fields }: { data: Record<string, unknown>; fields?: [string, string][] }) {
  const rows = fields ?? Object.keys(data).map((k): [string, string] => [k, k]);
  if (rows.length === 0) return <p className="hint">No data.</p>;
  return (
    <dl className="kv">
      {rows.map(([k, label]) => (
        <div key={k} className="tl-kv-row">
          <dt>{label}</dt>
          <dd className={k === 'commandId' ? 'mono' : undefined}>
            <Value v={data[k]} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function EventDrawer({
  event,
  cluster,
  onClose,
}: {
  event: TimelineEvent;
  cluster: string;
  onClose: () => void;
}) {
  const ref = useRef<HTMLElement>(null);
  const titleId = useId();

  useEffect(() => {
    ref.current?.focus();
  }, [event.seq]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) {
        e.preventDefault();
        onClose();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose]);

  const changes = event.type === 'spec-change' ? changesOf(event.data) : [];
  const revision = 'revision' in event.data ? event.data.revision : undefined;

  return (
    <aside className="tl-drawer" role="dialog" aria-modal="false" aria-labelledby={titleId} tabIndex={-1} ref={ref}>
      <div className="tl-drawer-head">
        <h2 id={titleId}>Event details</h2>
        <button type="button" aria-label="Close" onClick={onClose}>
          ✕
        </button>
      </div>
      <div className="tl-drawer-body">
        <p className="tl-summary">{event.summary}</p>
        <dl className="kv">
          <dt>Time</dt>
          <dd>{formatTime(event.time)}</dd>
          <dt>Type</dt>
          <dd>{event.type}</dd>
          <dt>Severity</dt>
          <dd>
            <span className={`badge ${SEVERITY_CLASS[event.severity] ?? 'muted'}`}>{event.severity}</span>
          </dd>
          <dt>Object</dt>
          <dd>
            {event.name ? (
              <Link href={objectHref(cluster, event.kind, event.namespace, event.name)}>{objectLabel(event)}</Link>
            ) : (
              objectLabel(event)
            )}
          </dd>
          {event.owner && (
            <>
              <dt>Owner</dt>
              <dd>
                <Link href={objectHref(cluster, event.owner.kind, event.namespace, event.owner.name)}>
                  {objectLabel({ ...event.owner, namespace: event.namespace })}
                </Link>
              </dd>
            </>
          )}
        </dl>
        {/* Act on what the event is about without leaving the timeline. */}
        <div className="toolbar" style={{ marginTop: 10 }}>
          {event.name && (
            <ActionMenu cluster={cluster} target={{ kind: event.kind, namespace: event.namespace, name: event.name }} />
          )}
          {event.owner && (
            <ActionMenu
              cluster={cluster}
              target={{ kind: event.owner.kind, namespace: event.namespace, name: event.owner.name }}
              label="Owner actions"
            />
          )}
        </div>

        {event.type === 'spec-change' ? (
          <>
            <h3>Changes</h3>
            <DiffView changes={changes} label="Spec changes" />
            {revision !== undefined && revision !== null && <p className="hint">Revision {formatValue(revision)}</p>}
          </>
        ) : event.type === 'action' ? (
          <>
            <h3>Action</h3>
            <DataList data={event.data} fields={ACTION_FIELDS} />
          </>
        ) : (
          <>
            <h3>Data</h3>
            <DataList data={event.data} />
          </>
        )}
        <details className="tl-raw">
          <summary>Raw event</summary>
          <pre className="tl-json">{JSON.stringify(event, null, 2)}</pre>
        </details>
      </div>
    </aside>
  );
}
