// Parsing the YAML/JSON manifests of the apply action. Pure, so the hub can
// reject a manifest with one bad document (400) before anything is applied,
// and the agent applies exactly what was validated.
import { parseAllDocuments } from 'yaml';
import { apiVersionOf } from '../kinds.js';
import { isRecord } from '../values.js';
import { EDITABLE_KINDS, type EditableKind } from './common.js';

export const MAX_MANIFEST_BYTES = 1024 * 1024;
export const MAX_DOCUMENTS = 50;

export interface ManifestObject {
  apiVersion: string;
  kind: EditableKind;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export type ManifestParse = { ok: true; objects: ManifestObject[] } | { ok: false; errors: string[] };

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const editableKind = (k: string): EditableKind | undefined => EDITABLE_KINDS.find((e) => e === k);

function checkObject(doc: unknown, n: number): ManifestObject | string {
  const at = `document ${n}`;
  if (!isRecord(doc)) return `${at}: must be a mapping with apiVersion, kind and metadata`;
  const { apiVersion, kind, metadata } = doc;
  if (typeof kind !== 'string' || kind === '') return `${at}: kind is missing`;
  const editable = editableKind(kind);
  if (editable === undefined)
    return `${at}: kind ${kind} cannot be applied; supported kinds: ${EDITABLE_KINDS.join(', ')}`;
  if (apiVersion !== apiVersionOf(editable))
    return `${at}: apiVersion of a ${kind} must be ${apiVersionOf(editable)}, got ${JSON.stringify(apiVersion)}`;
  if (!isRecord(metadata)) return `${at}: metadata is missing`;
  const { name, namespace, generateName } = metadata;
  if (generateName !== undefined)
    return `${at}: metadata.generateName is not supported by server-side apply; set metadata.name`;
  if (typeof name !== 'string' || name.length > 253 || !NAME.test(name)) {
    return `${at}: metadata.name must be a Kubernetes object name (lowercase letters, digits, "-" and "."), got ${JSON.stringify(name)}`;
  }
  if (namespace !== undefined && (typeof namespace !== 'string' || !NAME.test(namespace) || namespace.length > 63)) {
    return `${at}: metadata.namespace must be a namespace name, got ${JSON.stringify(namespace)}`;
  }
  return {
    ...doc,
    apiVersion,
    kind: editable,
    metadata: { ...metadata, name, ...(namespace !== undefined ? { namespace } : {}) },
  };
}

/** Every document of a manifest, or every problem found (all documents are checked). */
export function parseManifest(text: string): ManifestParse {
  if (Buffer.byteLength(text, 'utf8') > MAX_MANIFEST_BYTES)
    return { ok: false, errors: [`larger than ${MAX_MANIFEST_BYTES} bytes`] };
  const errors: string[] = [];
  const objects: ManifestObject[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: false });
  // parseAllDocuments returns an EmptyStream (no documents) for blank input
  const list = Array.isArray(docs) ? docs : [];
  let n = 0;
  for (const d of list) {
    n++;
    if (d.errors.length > 0) {
      errors.push(`document ${n}: invalid YAML: ${d.errors.map((e) => e.message.split('\n')[0]).join('; ')}`);
      continue;
    }
    let value: unknown;
    try {
      value = d.toJS({ maxAliasCount: 100 }); // throws on an unresolved alias or an alias bomb
    } catch (err) {
      errors.push(`document ${n}: invalid YAML: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (value === null || value === undefined) {
      n--; // "---" separators around nothing are not documents
      continue;
    }
    const checked = checkObject(value, n);
    if (typeof checked === 'string') errors.push(checked);
    else objects.push(checked);
  }
  if (errors.length > 0) return { ok: false, errors };
  if (objects.length === 0) return { ok: false, errors: ['contains no document'] };
  if (objects.length > MAX_DOCUMENTS)
    return { ok: false, errors: [`has ${objects.length} documents; at most ${MAX_DOCUMENTS}`] };
  const seen = new Set<string>();
  for (const [i, o] of objects.entries()) {
    const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(key)) return { ok: false, errors: [`document ${i + 1}: ${o.kind} ${o.metadata.name} appears twice`] };
    seen.add(key);
  }
  return { ok: true, objects };
}

/** "Deployment web" (for messages). */
export const describeObject = (o: ManifestObject): string => `${o.kind} ${o.metadata.name}`;
