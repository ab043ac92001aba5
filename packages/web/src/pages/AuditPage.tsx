// The audit log (audit:read on the hub): the chain's verification status, a
// filterable table (filters in the URL, "my actions"), ISO 8601 times,
// targets as links, detail as readable fields, and export as JSON lines or
// CSV of exactly what the filters select.
import { useEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Link, useLocation, useSearch } from 'wouter';
import { api } from '../api/client.js';
import type { AuditRecord, AuditVerify, Page } from '../api/types.js';
import { useAsync } from '../data/hooks.js';
import { useSession } from '../data/session.js';
import { objectHref } from '../links.js';
import { formatTime, formatValue } from '../ui/format.js';

interface Filters {
  actor: string;
  action: string;
  outcome: string;
  cluster: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { actor: '', action: '', outcome: '', cluster: '', from: '', to: '' };
const FILTER_KEYS = Object.keys(EMPTY) as (keyof Filters)[];

function filtersOf(search: string): Filters {
  const q = new URLSearchParams(search);
  const f = { ...EMPTY };
  for (const k of FILTER_KEYS) f[k] = q.get(k) ?? '';
  return f;
}

/** The hub's query for the filters: the times (a datetime-local, the browser's zone) as epoch ms. */
function apiQuery(f: Filters): Record<string, string | number | undefined> {
  return {
    actor: f.actor || undefined,
    action: f.action || undefined,
    outcome: f.outcome || undefined,
    cluster: f.cluster || undefined,
    from: f.from ? new Date(f.from).getTime() : undefined,
    to: f.to ? new Date(f.to).getTime() : undefined,
  };
}

function exportHref(format: 'jsonl' | 'csv', f: Filters): string {
  const q = new URLSearchParams({ format });
  for (const [k, v] of Object.entries(apiQuery(f))) if (v !== undefined) q.set(k, String(v));
  return `/api/v1/audit/export?${q.toString()}`;
}

/** The first page is a screenful and some; later pages are bigger (fewer round trips while scrolling). */
const FIRST_PAGE = 50;
const PAGE = 200;
/** A record's row height before it is measured (one line of detail). */
const ROW_ESTIMATE = 56;

/** ISO 8601 in UTC: unambiguous across teams and time zones, and sortable as text. */
const isoTime = (ms: number): string => new Date(ms).toISOString();

export function AuditPage() {
  const verify = useAsync((signal) => api<AuditVerify>('/api/v1/audit/verify', { signal }), []);
  const { me } = useSession();
  const search = useSearch();
  const [location, navigate] = useLocation();
  // The applied filters live in the URL: a filtered view can be shared, and survives a reload.
  const filters = filtersOf(search);
  const setFilters = (f: Filters) => {
    const q = new URLSearchParams();
    for (const k of FILTER_KEYS) if (f[k]) q.set(k, f[k]);
    const qs = q.toString();
    navigate(qs ? `${location}?${qs}` : location, { replace: true });
  };
  const [draft, setDraft] = useState<Filters>(filters);
  const [cursor, setCursor] = useState<string | number | null>(null);
  const [rows, setRows] = useState<AuditRecord[]>([]);
  const page = useAsync(
    (signal) =>
      api<Page<AuditRecord>>('/api/v1/audit', {
        query: { ...apiQuery(filters), cursor, limit: cursor === null ? FIRST_PAGE : PAGE },
        signal,
      }),
    [search, cursor],
  );
  useEffect(() => {
    if (page.data) setRows((r) => (cursor === null ? (page.data?.items ?? []) : [...r, ...(page.data?.items ?? [])]));
  }, [page.data, cursor]);
  // Virtual rows (issue 18: 100k records): only those in view are in the DOM; rows differ in
  // height (their detail), so each is measured as it renders. The next page is asked for as
  // the view nears the end of the rows held (the hub pages by seq, filters in SQL).
  const next = page.data?.nextCursor ?? null;
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length + (next !== null ? 1 : 0),
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_ESTIMATE,
    getItemKey: (i) => rows[i]?.seq ?? 'more',
    overscan: 8,
    // Measured rows re-render with the next frame, not synchronously inside the commit that rendered them.
    useFlushSync: false,
  });
  const inView = virtual.getVirtualItems();
  const lastInView = inView.at(-1)?.index ?? 0;
  useEffect(() => {
    if (next !== null && !page.loading && lastInView >= rows.length - 30) setCursor(next);
  }, [next, page.loading, lastInView, rows.length]);
  const before = inView[0]?.start ?? 0;
  const after = inView.length > 0 ? virtual.getTotalSize() - (inView.at(-1)?.end ?? 0) : 0;

  const v = verify.data;
  return (
    <>
      <div className="toolbar">
        <h1 className="grow" style={{ margin: 0 }}>
          Audit log
        </h1>
        <a className="button" href={exportHref('jsonl', filters)} download>
          Export JSON lines
        </a>
        <a className="button" href={exportHref('csv', filters)} download>
          Export CSV
        </a>
      </div>
      <section className="panel" aria-label="Chain verification" role="status">
        <div className="toolbar" style={{ margin: 0 }}>
          <strong className="grow">
            {verify.loading && 'Verifying the hash chain…'}
            {verify.error && <span style={{ color: 'var(--err)' }}>Verification failed to run: {verify.error}</span>}
            {v &&
              !verify.loading &&
              (v.ok ? (
                <span style={{ color: 'var(--ok)' }}>✔ Chain verified: {v.records} records intact</span>
              ) : (
                <span style={{ color: 'var(--err)' }}>
                  ✘ Chain broken at record {v.firstBadRecord?.seq}: {v.firstBadRecord?.reason}
                </span>
              ))}
          </strong>
          <button type="button" onClick={verify.reload}>
            Verify again
          </button>
        </div>
        {v?.head && (
          <p className="hint" style={{ marginBottom: 0 }}>
            Head: record {v.head.seq}, hash <code>{v.head.hash}</code> — keep it somewhere else to detect deletion of
            the newest records.
          </p>
        )}
      </section>
      <form
        className="toolbar"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          setCursor(null);
          setFilters(draft);
        }}
      >
        <input
          aria-label="Actor"
          placeholder="Actor"
          value={draft.actor}
          onChange={(e) => setDraft({ ...draft, actor: e.target.value })}
        />
        <input
          aria-label="Action"
          placeholder="Action (e.g. action:*, shell.*, auth.login)"
          value={draft.action}
          onChange={(e) => setDraft({ ...draft, action: e.target.value })}
        />
        <select
          aria-label="Outcome"
          value={draft.outcome}
          onChange={(e) => setDraft({ ...draft, outcome: e.target.value })}
        >
          <option value="">Any outcome</option>
          {['succeeded', 'failed', 'denied', 'allowed', 'requested', 'rejected', 'expired'].map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
        <input
          aria-label="Cluster"
          placeholder="Cluster"
          value={draft.cluster}
          onChange={(e) => setDraft({ ...draft, cluster: e.target.value })}
        />
        <label>
          From{' '}
          <input
            type="datetime-local"
            aria-label="From"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
        </label>
        <label>
          To{' '}
          <input
            type="datetime-local"
            aria-label="To"
            value={draft.to}
            onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          />
        </label>
        <button type="submit" className="primary">
          Filter
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(EMPTY);
            setCursor(null);
            setFilters(EMPTY);
          }}
        >
          Clear
        </button>
        {me && (
          <button
            type="button"
            onClick={() => {
              const mine = { ...EMPTY, actor: me.user.username };
              setDraft(mine);
              setCursor(null);
              setFilters(mine);
            }}
          >
            My actions
          </button>
        )}
      </form>
      {page.error && (
        <div className="error-box" role="alert">
          {page.error}
        </div>
      )}
      <div ref={scroller} className="virtual-scroll" tabIndex={0} role="region" aria-label="Audit records, scrollable">
        <table className="data" aria-label="Audit records">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>Time (UTC)</th>
              <th>Actor</th>
              <th>Action</th>
              <th>Cluster</th>
              <th>Target</th>
              <th>Outcome</th>
              <th>Reason and detail</th>
            </tr>
          </thead>
          <tbody>
            {before > 0 && (
              <tr aria-hidden="true" className="spacer-row" style={{ height: before }}>
                <td colSpan={8} className="spacer" />
              </tr>
            )}
            {inView.map((item) => {
              const r = rows[item.index];
              if (!r)
                return (
                  <tr key="more" data-index={item.index} ref={virtual.measureElement}>
                    <td colSpan={8} className="hint">
                      Loading…
                    </td>
                  </tr>
                );
              return (
                <tr key={r.seq} data-seq={r.seq} data-index={item.index} ref={virtual.measureElement}>
                  <td className="num">{r.seq}</td>
                  <td style={{ whiteSpace: 'nowrap' }} className="mono">
                    <time dateTime={isoTime(r.at)} title={formatTime(r.at)}>
                      {isoTime(r.at)}
                    </time>
                  </td>
                  <td>{r.actor}</td>
                  <td>{r.action}</td>
                  <td>{r.cluster ?? ''}</td>
                  <td>
                    {r.target &&
                      (r.cluster ? (
                        <Link href={objectHref(r.cluster, r.target.kind, r.target.namespace, r.target.name)}>
                          {targetText(r.target)}
                        </Link>
                      ) : (
                        targetText(r.target)
                      ))}
                  </td>
                  <td>
                    <span
                      className={`badge ${r.outcome === 'succeeded' || r.outcome === 'allowed' ? 'ok' : r.outcome === 'denied' || r.outcome === 'failed' ? 'err' : 'info'}`}
                    >
                      {r.outcome}
                    </span>
                  </td>
                  <td style={{ maxWidth: 420, overflowWrap: 'anywhere' }}>
                    {r.reason && <div>{r.reason}</div>}
                    <Fields value={r.detail} />
                  </td>
                </tr>
              );
            })}
            {after > 0 && (
              <tr aria-hidden="true" className="spacer-row" style={{ height: after }}>
                <td colSpan={8} className="spacer" />
              </tr>
            )}
            {page.data && rows.length === 0 && (
              <tr>
                <td colSpan={8} className="empty">
                  No records match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

const targetText = (t: { kind: string; namespace: string; name: string }): string =>
  `${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;

/** Humanized field names of a detail object ("commandId" → "command id"). */
const label = (k: string): string => k.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** A record's detail as readable fields, one level deep (deeper values as compact JSON). */
function Fields({ value }: { value: unknown }) {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return <div className="mono">{formatValue(value)}</div>;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
  if (!entries.length) return null;
  return (
    <dl className="kv fields">
      {entries.map(([k, v]) => (
        <div key={k} style={{ display: 'contents' }}>
          <dt>{label(k)}</dt>
          <dd className={typeof v === 'object' ? 'mono' : undefined}>{formatValue(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
