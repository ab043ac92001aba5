// Just-in-time access: ask for a role on a scope for a time (prefilled when
// the person came from a control they may not use), decide peers' requests
// with a comment, and see the grants that are running and when they end.
import { useState, type SyntheticEvent } from 'react';
import { api, errorText } from '../api/client.js';
import type { AccessRequest } from '../api/types.js';
import { useAsync } from '../data/hooks.js';
import { useMe } from '../data/session.js';

const ROLES = ['operator', 'viewer', 'auditor', 'account-admin'];

function when(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toLocaleString();
}

function RequestTable({
  label,
  items,
  actions,
}: {
  label: string;
  items: AccessRequest[] | undefined;
  actions?: (r: AccessRequest) => React.ReactNode;
}) {
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          <th>Requester</th>
          <th>Role</th>
          <th>Scope</th>
          <th>For</th>
          <th>Reason</th>
          <th>State</th>
          <th>Decided</th>
          <th>Ends</th>
          {actions && <th />}
        </tr>
      </thead>
      <tbody>
        {(items ?? []).map((r) => (
          <tr key={r.id} data-id={r.id}>
            <td>{r.requester}</td>
            <td>{r.role}</td>
            <td>
              {r.cluster}/{r.namespace}
            </td>
            <td>{Math.round(r.durationMs / 60_000)} min</td>
            <td>{r.reason}</td>
            <td>{r.state === 'lapsed' ? 'expired unanswered' : r.state}</td>
            <td>{r.decidedBy ? `${r.decidedBy}${r.comment ? `: “${r.comment}”` : ''}` : ''}</td>
            <td>
              {r.state === 'pending' && r.pendingUntil !== null ? `lapses ${when(r.pendingUntil)}` : when(r.expiresAt)}
            </td>
            {actions && <td>{actions(r)}</td>}
          </tr>
        ))}
        {items?.length === 0 && (
          <tr>
            <td colSpan={actions ? 9 : 8} className="empty">
              None.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function Decide({ r, done }: { r: AccessRequest; done: () => void }) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string>();
  async function send(decision: 'approve' | 'deny') {
    setError(undefined);
    try {
      await api(`/api/v1/access-requests/${r.id}/${decision}`, {
        method: 'POST',
        body: comment.trim() ? { comment: comment.trim() } : {},
      });
      done();
    } catch (err) {
      setError(errorText(err));
    }
  }
  return (
    <span style={{ display: 'inline-flex', gap: 6, alignItems: 'center' }}>
      <input
        aria-label={`Comment on ${r.requester}'s request`}
        placeholder="comment"
        value={comment}
        onChange={(e) => setComment(e.target.value)}
      />
      <button type="button" className="primary" onClick={() => void send('approve')}>
        Approve
      </button>
      <button type="button" className="danger" onClick={() => void send('deny')}>
        Deny
      </button>
      {error && <small role="alert">{error}</small>}
    </span>
  );
}

export function AccessPage() {
  const me = useMe();
  const q = new URLSearchParams(window.location.search);
  const [role, setRole] = useState(q.get('role') ?? 'operator');
  const [cluster, setCluster] = useState(q.get('cluster') ?? '');
  const [namespace, setNamespace] = useState(q.get('namespace') ?? '*');
  const [duration, setDuration] = useState('1h');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [sent, setSent] = useState<string>();
  const mine = useAsync(
    (signal) => api<{ items: AccessRequest[] }>('/api/v1/access-requests?view=mine', { signal }),
    [],
  );
  const toApprove = useAsync(
    (signal) => api<{ items: AccessRequest[] }>('/api/v1/access-requests?view=to-approve', { signal }),
    [],
  );
  const active = useAsync(
    (signal) => api<{ items: AccessRequest[] }>('/api/v1/access-requests?view=active', { signal }),
    [],
  );
  const permission = q.get('permission');

  async function submit(e: SyntheticEvent) {
    e.preventDefault();
    setError(undefined);
    setSent(undefined);
    try {
      await api('/api/v1/access-requests', { method: 'POST', body: { role, cluster, namespace, duration, reason } });
      setSent(`Asked for ${role} on ${cluster}/${namespace}: a peer who may approve it will see it.`);
      setReason('');
      mine.reload();
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section aria-label="Access">
      <h1>Access</h1>
      <form onSubmit={(e) => void submit(e)} aria-label="Request access" className="panel">
        <h2>Request access</h2>
        {permission && (
          <p className="hint">
            You lack <code>{permission}</code> there; {role} holds it.
          </p>
        )}
        <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap', alignItems: 'end' }}>
          <label className="field">
            <span>Role</span>
            <select value={role} onChange={(e) => setRole(e.target.value)}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Cluster</span>
            <input value={cluster} onChange={(e) => setCluster(e.target.value)} required />
          </label>
          <label className="field">
            <span>Namespace</span>
            <input value={namespace} onChange={(e) => setNamespace(e.target.value)} required />
          </label>
          <label className="field">
            <span>For</span>
            <input value={duration} onChange={(e) => setDuration(e.target.value)} required size={6} />
          </label>
          <label className="field" style={{ flex: 1 }}>
            <span>Reason</span>
            <input value={reason} onChange={(e) => setReason(e.target.value)} required />
          </label>
          <button className="primary" type="submit">
            Ask a peer
          </button>
        </div>
        {error && (
          <div className="error-box" role="alert">
            {error}
          </div>
        )}
        {sent && <p role="status">{sent}</p>}
      </form>
      <h2>To approve</h2>
      <RequestTable
        label="To approve"
        items={toApprove.data?.items}
        actions={(r) => (
          <Decide
            r={r}
            done={() => {
              toApprove.reload();
              active.reload();
            }}
          />
        )}
      />
      <h2>Active grants</h2>
      <RequestTable label="Active grants" items={active.data?.items} />
      <h2>My requests</h2>
      <RequestTable label="My requests" items={mine.data?.items} />
      {me && <p className="hint">Signed in as {me.user.username}. Nobody decides their own request.</p>}
    </section>
  );
}
