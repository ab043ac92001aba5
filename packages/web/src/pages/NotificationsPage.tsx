// Settings → Notifications (administrators): the rules that send insights,
// failed actions and access steps to webhooks — list with each rule's last
// delivery, add, delete, and "Send test" answering how the delivery went.
// The URL is write-only: the hub answers it masked (docs/notifications.md).
import { useState, type SyntheticEvent } from 'react';
import type { NotificationDelivery, NotificationRuleView } from '@wheelhouse/protocol';
import { api, errorText } from '../api/client.js';
import { useAsync } from '../data/hooks.js';

const EVENTS = [
  ['insight-opened', 'Insight opened'],
  ['insight-resolved', 'Insight resolved'],
  ['action-failed', 'Action failed'],
  ['access-request', 'Access request'],
] as const;

export function deliveryText(d: NotificationDelivery | null): string {
  if (!d) return 'never sent';
  const when = new Date(d.at).toLocaleString();
  return d.ok
    ? `delivered (HTTP ${d.status ?? '?'}) ${when}`
    : `failed (${d.error ?? 'unknown'}) ${when}, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
}

function RuleRow({ r, changed }: { r: NotificationRuleView; changed: () => void }) {
  const [note, setNote] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function test() {
    setBusy(true);
    setNote(undefined);
    try {
      const { delivery } = await api<{ delivery: NotificationDelivery }>(`/api/v1/notification-rules/${r.id}/test`, {
        method: 'POST',
      });
      setNote(`Test ${deliveryText(delivery)}`);
      changed();
    } catch (err) {
      setNote(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  async function remove() {
    try {
      await api(`/api/v1/notification-rules/${r.id}`, { method: 'DELETE' });
      changed();
    } catch (err) {
      setNote(errorText(err));
    }
  }
  const c = r.counts;
  return (
    <tr data-id={r.id}>
      <td>{r.name}</td>
      <td>
        {r.cluster}/{r.namespace}
      </td>
      <td>{r.minSeverity}+</td>
      <td>{r.events.join(', ')}</td>
      <td>
        {r.format} <code>{r.url}</code>
      </td>
      <td>
        {deliveryText(r.lastDelivery)}
        <br />
        <small>
          delivered {c.delivered}, failed {c.failed}, suppressed {c.suppressed}, dropped {c.dropped}
        </small>
      </td>
      <td>
        <span style={{ display: 'inline-flex', gap: 6, alignItems: 'center' }}>
          <button type="button" disabled={busy} onClick={() => void test()}>
            Send test
          </button>
          <button type="button" className="danger" onClick={() => void remove()}>
            Delete
          </button>
        </span>
        {note && (
          <div role="status" aria-label={`Test of ${r.name}`}>
            {note}
          </div>
        )}
      </td>
    </tr>
  );
}

export function NotificationsPage() {
  const rules = useAsync(
    (signal) => api<{ items: NotificationRuleView[] }>('/api/v1/notification-rules', { signal }),
    [],
  );
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [cluster, setCluster] = useState('*');
  const [namespace, setNamespace] = useState('*');
  const [minSeverity, setMinSeverity] = useState('warning');
  const [format, setFormat] = useState('json');
  const [events, setEvents] = useState<string[]>(['insight-opened', 'insight-resolved', 'action-failed']);
  const [error, setError] = useState<string>();

  async function submit(e: SyntheticEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      await api('/api/v1/notification-rules', {
        method: 'POST',
        body: { name, url, cluster, namespace, minSeverity, format, events },
      });
      setName('');
      setUrl('');
      rules.reload();
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section aria-label="Notifications">
      <h1>Notifications</h1>
      <p className="hint">
        Rules send new and resolved insights, failed actions and access requests of matching clusters and namespaces to
        a webhook: generic JSON or Slack-compatible. Each insight opening and resolution is sent once; bursts are
        rate-limited per rule.
      </p>
      <form onSubmit={(e) => void submit(e)} aria-label="Add a rule" className="panel">
        <h2>Add a rule</h2>
        <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap', alignItems: 'end' }}>
          <label className="field">
            <span>Name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} />
          </label>
          <label className="field" style={{ flex: 1 }}>
            <span>Webhook URL</span>
            <input
              type="url"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              required
              placeholder="https://hooks.slack.com/services/…"
              autoComplete="off"
            />
          </label>
          <label className="field">
            <span>Format</span>
            <select value={format} onChange={(e) => setFormat(e.target.value)}>
              <option value="json">json</option>
              <option value="slack">slack</option>
            </select>
          </label>
          <label className="field">
            <span>Cluster</span>
            <input value={cluster} onChange={(e) => setCluster(e.target.value)} required size={10} />
          </label>
          <label className="field">
            <span>Namespace</span>
            <input value={namespace} onChange={(e) => setNamespace(e.target.value)} required size={10} />
          </label>
          <label className="field">
            <span>Minimum severity</span>
            <select value={minSeverity} onChange={(e) => setMinSeverity(e.target.value)}>
              <option>info</option>
              <option>warning</option>
              <option>error</option>
            </select>
          </label>
        </div>
        <fieldset style={{ display: 'flex', gap: 12, border: 'none', padding: 0, margin: '8px 0' }}>
          <legend>Events</legend>
          {EVENTS.map(([id, label]) => (
            <label key={id}>
              <input
                type="checkbox"
                checked={events.includes(id)}
                onChange={(e) => setEvents(e.target.checked ? [...events, id] : events.filter((x) => x !== id))}
              />{' '}
              {label}
            </label>
          ))}
        </fieldset>
        <button className="primary" type="submit">
          Add rule
        </button>
        {error && (
          <div className="error-box" role="alert">
            {error}
          </div>
        )}
      </form>
      <h2>Rules</h2>
      {rules.error ? (
        <div className="error-box" role="alert">
          {rules.error}
        </div>
      ) : (
        <table aria-label="Notification rules">
          <thead>
            <tr>
              <th>Name</th>
              <th>Scope</th>
              <th>Severity</th>
              <th>Events</th>
              <th>Target</th>
              <th>Last delivery</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(rules.data?.items ?? []).map((r) => (
              <RuleRow key={r.id} r={r} changed={rules.reload} />
            ))}
            {rules.data?.items.length === 0 && (
              <tr>
                <td colSpan={7} className="empty">
                  No rules.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
