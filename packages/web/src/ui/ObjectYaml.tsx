// The live object as YAML, read through the agent (GET /objects), with a link
// to edit it in the resource editor.
import { Link } from 'wouter';
import { api } from '../api/client.js';
import { useAsync } from '../data/hooks.js';
import { can } from '../data/permissions.js';
import { useMe } from '../data/session.js';
import { MissingPermission } from './MissingPermission.js';
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

interface ObjectYamlProps {
  cluster: string;
  kind: string;
  namespace: string;
  name: string;
}

/** The live object, or why it is not offered (an object's whole contents are their own permission, object:read). */
export function ObjectYaml(props: ObjectYamlProps) {
  const me = useMe();
  const scope = props.namespace ? { cluster: props.cluster, namespace: props.namespace } : { cluster: props.cluster };
  if (me && !can(me, 'object:read', scope))
    return <MissingPermission what={`YAML of ${props.kind} ${props.name}`} permission="object:read" scope={scope} />;
  return <LiveObjectYaml {...props} />;
}

function LiveObjectYaml({ cluster, kind, namespace, name }: ObjectYamlProps) {
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
