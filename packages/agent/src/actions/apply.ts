// Server-side apply (field manager "wheelhouse") of one or several documents:
// every document is dry-run first, so one the API server refuses stops the
// apply before anything changed.
import type { KubeClientConfig } from '../kube-config.js';
import { parseAllDocuments } from 'yaml';
import {
  messageOf,
  toJson,
  isRecord,
  ACTIONS,
  DEFAULT_WORKLOAD_POLICY,
  checkWorkloadPolicy,
  isResourceKind,
  parseManifest,
  type ActionPreview,
  type CommandEnvelope,
  type FieldChange,
  type JsonValue,
  type ResourceKind,
} from '@wheelhouse/protocol';
import { kubeRequest, ensureOk } from '../kube-http.js';
import type { KubeObject } from '../projections.js';
import { diff } from '../timeline/diff.js';
import { previewResult, type ExecutionResult, type Executor } from './context.js';
import { applyOnce } from './target.js';
import { CHANGE_CAUSE, changeCause, collectionPath, getOrNull } from './util.js';
import { errorText } from '@wheelhouse/exec-guard/kube-errors';

export const FIELD_MANAGER = 'wheelhouse';

interface Doc {
  kind: ResourceKind;
  name: string;
  namespace: string;
  body: Record<string, unknown>;
  path: string;
}

/** The documents (already validated by the params schema, on the hub and again by the agent). */
export function manifestDocuments(text: string, namespace: string): Doc[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [];
  return list
    .map((d) => {
      const js: unknown = d.toJS({ maxAliasCount: 100 });
      return js;
    })
    .filter(isRecord)
    .map((o) => {
      const kind = String(o.kind);
      if (!isResourceKind(kind)) throw new Error(`kind ${kind} cannot be applied`);
      const meta = isRecord(o.metadata) ? o.metadata : {};
      const ns = typeof meta.namespace === 'string' ? meta.namespace : namespace;
      const name = String(meta.name);
      return {
        kind,
        name,
        namespace: ns,
        body: { ...o, metadata: { ...meta, namespace: ns } },
        path: `${collectionPath(kind, ns)}/${encodeURIComponent(name)}`,
      };
    });
}

/** What a diff against the live object should ignore: bookkeeping the server owns. */
function comparable(o: KubeObject | null): JsonValue | undefined {
  if (!o) return undefined;
  const ignored = new Set(['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp']);
  const meta = Object.fromEntries(Object.entries(o.metadata ?? {}).filter(([k]) => !ignored.has(k)));
  const rest = Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'status'));
  return toJson({ ...rest, metadata: meta });
}

async function ssa(kc: KubeClientConfig, doc: Doc, force: boolean, dryRun: boolean): Promise<KubeObject> {
  const q = `fieldManager=${FIELD_MANAGER}${force ? '&force=true' : ''}${dryRun ? '&dryRun=All' : ''}`;
  const res = await kubeRequest<KubeObject>(kc, 'PATCH', `${doc.path}?${q}`, doc.body, 'application/apply-patch+yaml');
  if (res.status === 409) {
    const msg = messageOf(res.body) ?? 'conflict';
    throw new Error(
      `${doc.kind} ${doc.name}: ${msg} — another field manager owns these fields; apply again with force: true to take them over`,
    );
  }
  return ensureOk(res, `apply ${doc.kind} ${doc.name}`);
}

/**
 * Why the command's policy (Pod Security Standards level, Secret references)
 * refuses the manifest, in the hub's words, or null. Defence in depth: the hub
 * checked this too, but the agent's ServiceAccount is what creates the pods.
 */
export function workloadPolicyRefusal(command: CommandEnvelope, manifest: string): string | null {
  const parsed = parseManifest(manifest);
  if (!parsed.ok) return `params.manifest: ${parsed.errors.join('; ')}`;
  const refused = checkWorkloadPolicy(parsed.objects, command.policy ?? DEFAULT_WORKLOAD_POLICY);
  return refused.length > 0 ? refused.map((i) => `${i.path}: ${i.message}`).join('; ') : null;
}

export const apply: Executor<'apply'> = async ({ kc, command }, params): Promise<ExecutionResult> => {
  const t = command.target;
  const issues = ACTIONS.apply.checkTarget(t, params);
  if (issues.length > 0) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  const refused = workloadPolicyRefusal(command, params.manifest);
  if (refused) throw new Error(refused);
  const docs = manifestDocuments(params.manifest, t.namespace);
  // Dry-run everything first: one refused document means nothing is applied.
  const planned: { doc: Doc; live: KubeObject | null; after: KubeObject }[] = [];
  const errors: string[] = [];
  for (const doc of docs) {
    try {
      const live = await getOrNull(kc, doc.path, `get ${doc.kind} ${doc.name}`);
      planned.push({ doc, live, after: await ssa(kc, doc, params.force, true) });
    } catch (err) {
      errors.push(errorText(err));
    }
  }
  if (errors.length > 0) throw new Error(`nothing applied: ${errors.join('; ')}`);
  const effects = planned.map(({ doc, live, after }) => {
    const changes = diff(comparable(live), comparable(after));
    return { doc, changes, effect: !live ? 'created' : changes.length > 0 ? 'configured' : 'unchanged' };
  });
  if (command.dryRun) {
    const allChanges: FieldChange[] = effects.flatMap(({ doc, changes, effect }) =>
      effect === 'created'
        ? [{ path: `${doc.kind} ${doc.name}`, to: 'created' }]
        : changes.map((c) => ({ ...c, path: `${doc.kind} ${doc.name}: ${c.path}` })),
    );
    const preview: ActionPreview = {
      summary: `apply ${docs.length} object(s): ${effects.map((e) => `${e.doc.kind} ${e.doc.name} ${e.effect}`).join(', ')}`,
      diff: allChanges,
      warnings: params.force ? ['force: fields owned by other managers are taken over by "wheelhouse"'] : [],
      affected: effects.map((e) => ({
        kind: e.doc.kind,
        namespace: e.doc.namespace,
        name: e.doc.name,
        effect: e.effect,
      })),
    };
    return previewResult(preview);
  }
  for (const { doc } of planned) {
    await ssa(kc, doc, params.force, false);
    // Recorded with a merge patch outside the applied configuration, so the next apply does not conflict over them.
    await applyOnce(kc, { kind: doc.kind, namespace: doc.namespace, name: doc.name }, command.id, () => ({
      metadata: { annotations: { [CHANGE_CAUSE]: changeCause(command, 'apply') } },
    }));
  }
  return {
    message: `applied ${docs.length} object(s) with server-side apply: ${effects.map((e) => `${e.doc.kind} ${e.doc.name} ${e.effect}`).join(', ')}`,
    result: { objects: effects.map((e) => ({ kind: e.doc.kind, name: e.doc.name, effect: e.effect })) },
  };
};
