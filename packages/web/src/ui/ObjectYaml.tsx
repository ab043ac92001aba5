// The live object as YAML, read through the agent (GET /objects), with a link
// to edit it in the resource editor.
import { Link } from 'wouter';
import { api } from '../api/client.js';
import { useAsync } from '../data/hooks.js';
import { LazyYamlEditor } from './LazyYamlEditor.js';

export interface ObjectAnswer {
  object: Record<string, unknown>;
  yaml: string;
}

export function fetchObject(
  cluster: string,
  kind: string,
  namespace: string,
  name: string,
  signal?: AbortSignal,
): Promise<ObjectAnswer> {
  return api<ObjectAnswer>(`/api/v1/clusters/${encodeURIComponent(cluster)}/objects`, {
    query: { kind, namespace: namespace || undefined, name },
    signal,
  });
}

export function editHref(cluster: string, kind: string, namespace: string, name: string): string {
  const q = new URLSearchParams({ kind, name });
  if (namespace) q.set('namespace', namespace);
  return `/c/${encodeURIComponent(cluster)}/edit?${q.toString()}`;
}

export function ObjectYaml({
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
  const obj = useAsync(
    (signal) => fetchObject(cluster, kind, namespace, name, signal),
    [cluster, kind, namespace, name],
  );
  return (
    <section aria-label="YAML">
      <div className="toolbar">
        <span className="grow hint">The live object, read from the cluster by the agent (managedFields left out).</span>
        <button type="button" onClick={obj.reload}>
          Reload
        </button>
        <Link className="button" href={editHref(cluster, kind, namespace, name)}>
          Edit YAML
        </Link>
      </div>
      {obj.error && (
        <div className="error-box" role="alert">
          {obj.error}
        </div>
      )}
      {obj.data && <LazyYamlEditor value={obj.data.yaml} readOnly label={`YAML of ${kind} ${name}`} />}
      {obj.loading && !obj.data && <p className="hint">Loading…</p>}
    </section>
  );
}
