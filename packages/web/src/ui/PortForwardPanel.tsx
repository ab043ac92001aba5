// A pod's HTTP ports, each openable in a new browser tab through the hub
// (POST …/portforward/http, then the answer's /pf/<token>/ URL). The tab's
// content is the pod's, served sandboxed by the hub (docs/security.md); the
// console opens it with noopener so it gets no handle on this window.
import { useId, useState } from 'react';
import { api, errorText } from '../api/client.js';
import type { InventoryItemOf } from '../api/types.js';
import { useClusterView } from '../data/hooks.js';
import { can } from '../data/permissions.js';
import { useMe } from '../data/session.js';

type Pod = InventoryItemOf<'Pod'>;

export function PortForwardPanel({ cluster, pod }: { cluster: string; pod: Pod }) {
  const view = useClusterView(cluster);
  const me = useMe();
  const fieldId = useId();
  const [other, setOther] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ports = pod.summary.containers.flatMap((c) =>
    (c.ports ?? [])
      .filter((p) => (p.protocol ?? 'TCP') === 'TCP')
      .map((p) => ({ container: c.name, port: p.containerPort, name: p.name })),
  );
  let why: string | undefined;
  if (!view?.capabilities.podExec) why = `port-forward (the podExec tier) is not enabled on ${cluster}`;
  else if (!view.connected) why = 'the agent is not connected';
  else if (!can(me, 'pod:port-forward', { cluster, namespace: pod.namespace }))
    why = `you lack pod:port-forward on ${cluster}/${pod.namespace}`;
  else if (pod.summary.phase !== 'Running') why = `the pod is ${pod.summary.phase}`;

  async function openPort(port: number): Promise<void> {
    setError(null);
    setBusy(true);
    try {
      const path = `/api/v1/clusters/${encodeURIComponent(cluster)}/pods/${encodeURIComponent(pod.namespace)}/${encodeURIComponent(pod.name)}/portforward/http`;
      const { url } = await api<{ url: string }>(path, { method: 'POST', body: { port } });
      window.open(url, '_blank', 'noopener,noreferrer');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-label="Ports">
      <h2>Ports</h2>
      <p className="hint">
        Opens an HTTP port of this pod in a new tab through the hub (audited). The page runs sandboxed, apart from this
        console and your session.
        {why ? ` Not available: ${why}.` : ''}
      </p>
      {ports.length > 0 && (
        <ul>
          {ports.map((p) => (
            <li key={`${p.container}/${p.port}`}>
              {p.port}
              {p.name ? ` (${p.name})` : ''} <span className="hint">{p.container}</span>{' '}
              <button
                type="button"
                disabled={why !== undefined || busy}
                aria-label={`Open port ${p.port} in a new tab`}
                onClick={() => void openPort(p.port)}
              >
                Open in new tab
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void openPort(Number(other));
        }}
      >
        <label htmlFor={fieldId}>Another port</label>
        <input
          id={fieldId}
          inputMode="numeric"
          placeholder="1–65535"
          value={other}
          size={7}
          onChange={(e) => setOther(e.target.value.trim())}
        />
        <button type="submit" disabled={why !== undefined || busy || other === ''}>
          Open in new tab
        </button>
      </form>
      {error && (
        <p role="alert" className="error-box">
          {error}
        </p>
      )}
    </section>
  );
}
