// Client-side view of a manifest for the editor: parse errors with line
// numbers, the target (first document), and the live object stripped of what
// the server owns, so an edit applies only what the user meant to change.
import { isRecord, optionalString, recordOf } from '@wheelhouse/protocol/core';
import { isMap, isSeq, parseAllDocuments, parseDocument, stringify } from 'yaml';

export interface ManifestTarget {
  kind: string;
  namespace: string;
  name: string;
}

export type ManifestCheck = { ok: true; target: ManifestTarget; documents: number } | { ok: false; errors: string[] };

export function checkManifest(text: string, defaultNamespace = ''): ManifestCheck {
  const docs = parseAllDocuments(text);
  const errors: string[] = [];
  const objects: Record<string, unknown>[] = [];
  for (const [i, d] of docs.entries()) {
    for (const e of d.errors)
      errors.push(`document ${i + 1}, line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0] ?? e.message}`);
    if (d.errors.length) continue;
    const v: unknown = d.toJS();
    if (v === null || v === undefined) continue;
    if (!isRecord(v)) {
      errors.push(`document ${i + 1}: must be a mapping (an object), not ${Array.isArray(v) ? 'a list' : typeof v}`);
      continue;
    }
    objects.push(v);
  }
  if (errors.length) return { ok: false, errors };
  const first = objects[0];
  if (!first) return { ok: false, errors: ['the manifest is empty'] };
  const meta = recordOf(first.metadata);
  const kind = optionalString(first.kind);
  const name = optionalString(meta.name);
  if (typeof first.apiVersion !== 'string') errors.push('document 1: apiVersion is missing');
  if (kind === undefined) errors.push('document 1: kind is missing');
  if (!name) errors.push('document 1: metadata.name is missing');
  if (errors.length || kind === undefined || !name) return { ok: false, errors };
  return {
    ok: true,
    target: {
      kind,
      name,
      namespace: typeof meta.namespace === 'string' ? meta.namespace : defaultNamespace,
    },
    documents: objects.length,
  };
}

const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/** The object as something to edit: no status, no server-set metadata. */
export function editableYaml(object: Record<string, unknown>): string {
  const copy = structuredClone(object);
  delete copy.status;
  const meta = copy.metadata;
  if (isRecord(meta)) for (const k of SERVER_METADATA) Reflect.deleteProperty(meta, k);
  return stringify(copy, { lineWidth: 0 });
}

/** Where a kind keeps its pod spec's containers. */
function containersPath(kind: string): (string | number)[] | null {
  switch (kind) {
    case 'Pod':
      return ['spec', 'containers'];
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return ['spec', 'template', 'spec', 'containers'];
    case 'CronJob':
      return ['spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers'];
    default:
      return null;
  }
}

export interface MemoryRaise {
  text: string;
  container: string;
  from: string | null;
  to: string;
}

/**
 * The manifest with `container`'s memory limit doubled (or set to twice its request when it has
 * none), for the "Edit resources" suggestion after an OOM kill; null when the container or a
 * quantity to start from is missing. Comments and layout elsewhere are kept.
 */
export function raiseMemoryLimit(
  text: string,
  container: string,
  double: (q: string) => string | null,
): MemoryRaise | null {
  const doc = parseDocument(text);
  if (doc.errors.length) return null;
  const kind = optionalString(recordOf(doc.toJS()).kind);
  const path = kind ? containersPath(kind) : null;
  if (!path) return null;
  const list: unknown = doc.getIn(path, false);
  const items = isSeq(list) ? list.items : [];
  const i = items.findIndex((c) => isMap(c) && c.get('name') === container);
  if (i < 0) return null;
  const at = [...path, i, 'resources'];
  const limit = doc.getIn([...at, 'limits', 'memory']);
  const request = doc.getIn([...at, 'requests', 'memory']);
  const from = typeof limit === 'string' || typeof limit === 'number' ? String(limit) : null;
  const base = from ?? (typeof request === 'string' || typeof request === 'number' ? String(request) : null);
  const to = base === null ? null : double(base);
  if (to === null) return null;
  doc.setIn([...at, 'limits', 'memory'], to);
  return { text: doc.toString({ lineWidth: 0 }), container, from, to };
}
