// The audit log (audit:read on the hub): the chain's verification status, a
// filterable table, export as JSON lines or CSV.
import { useEffect, useState } from 'react';
import { api } from '../api/client.js';
import type { AuditRecord, AuditVerify, Page } from '../api/types.js';
import { useAsync } from '../data/hooks.js';
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

export function AuditPage() {
  const verify = useAsync((signal) => api<AuditVerify>('/api/v1/audit/verify', { signal }), []);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [cursor, setCursor] = useState<string | number | null>(null);
  const [rows, setRows] = useState<AuditRecord[]>([]);
  const page = useAsync(
    (signal) =>
      api<Page<AuditRecord>>('/api/v1/audit', {
        query: {
          ...filters,
          from: filters.from ? new Date(filters.from).getTime() : undefined,
          to: filters.to ? new Date(filters.to).getTime() : undefined,
          cursor,
          limit: 100,
        },
        signal,
      }),
    [filters, cursor],
  );
  useEffect(() => {
    if (page.data) setRows((r) => (cursor === null ? (page.data?.items ?? []) : [...r, ...(page.data?.items ?? [])]));
  }, [page.data, cursor]);

  const v = verify.data;
  return (
    <>
      <div className="toolbar">
        <h1 className="grow" style={{ margin: 0 }}>
          Audit log
        </h1>
        <a className="button" href="/api/v1/audit/export?format=jsonl" download>
          Export JSON lines
        </a>
        <a className="button" href="/api/v1/audit/export?format=csv" download>
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
      </form>
      {page.error && (
        <div className="error-box" role="alert">
          {page.error}
        </div>
      )}
      <table className="data" aria-label="Audit records">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Time</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Cluster</th>
            <th>Target</th>
            <th>Outcome</th>
            <th>Reason / detail</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.seq}>
              <td className="num">{r.seq}</td>
              <td style={{ whiteSpace: 'nowrap' }}>{formatTime(r.at)}</td>
              <td>{r.actor}</td>
              <td>{r.action}</td>
              <td>{r.cluster ?? ''}</td>
              <td>
                {r.target
                  ? `${r.target.kind} ${r.target.namespace ? `${r.target.namespace}/` : ''}${r.target.name}`
                  : ''}
              </td>
              <td>
                <span
                  className={`badge ${r.outcome === 'succeeded' || r.outcome === 'allowed' ? 'ok' : r.outcome === 'denied' || r.outcome === 'failed' ? 'err' : 'info'}`}
                >
                  {r.outcome}
                </span>
              </td>
              <td className="mono" style={{ maxWidth: 380, overflowWrap: 'anywhere' }}>
                {r.reason ?? ''}
                {r.detail ? ` ${formatValue(r.detail)}` : ''}
              </td>
            </tr>
          ))}
          {page.data && rows.length === 0 && (
            <tr>
              <td colSpan={8} className="empty">
                No records match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {page.data?.nextCursor != null && (
        <button type="button" style={{ marginTop: 10 }} onClick={() => setCursor(page.data?.nextCursor ?? null)}>
          Load more
        </button>
      )}
    </>
  );
}
