// Pod Security Standards for actions that re-create pods from a template
// already in the cluster (restart, rollback, trigger-job; issue 13 item 2):
// the template is not in the request, so the hub reads it live through the
// agent and answers 400 naming the field and the rule before a command exists.
// Best effort by design: when the agent is away (a command may wait for it)
// or the template cannot be read here (a StatefulSet's or DaemonSet's old
// revisions are ControllerRevisions, which the hub does not read), the agent
// refuses the command itself before changing anything.
import {
  checkTemplatePolicy,
  isRecord,
  isResourceKind,
  optionalString,
  problem,
  recordOf,
  templateRefusal,
  type ActionRequest,
  type JsonObject,
  type WorkloadPolicy,
} from '@wheelhouse/protocol';
import type { InventoryStore } from '../inventory/inventory-store.js';
import type { ObjectReader } from '../objects/object-reader.js';
import { fail, ok, type Result } from '../service-result.js';

const REVISION = 'deployment.kubernetes.io/revision';

export interface TemplateCheckDeps {
  objects: ObjectReader;
  inventory: InventoryStore;
}

type Source = { name: string; object: Record<string, unknown> };

async function liveObject(
  deps: TemplateCheckDeps,
  cluster: string,
  kind: string,
  namespace: string,
  name: string,
  user: string,
): Promise<Record<string, unknown> | null> {
  if (!isResourceKind(kind)) return null;
  const r = await deps.objects.get({ cluster, kind, namespace, name, user });
  return r.ok && isRecord(r.value.object) ? r.value.object : null;
}

/** The template the action would re-create, when the hub can read it. */
async function sourceOf(
  deps: TemplateCheckDeps,
  cluster: string,
  req: ActionRequest,
  params: JsonObject,
  user: string,
): Promise<Source | null> {
  const t = req.target;
  const current = await liveObject(deps, cluster, t.kind, t.namespace, t.name, user);
  if (!current) return null;
  if (req.action !== 'rollback') {
    return { name: `the pod template of ${t.kind} ${t.name}`, object: { kind: t.kind, spec: current.spec } };
  }
  if (t.kind !== 'Deployment') return null;
  // The ReplicaSet the agent would take the template from (its chooseRevision rule).
  const currentRevision = Number(optionalString(recordOf(recordOf(current.metadata).annotations)[REVISION]) ?? 0);
  const wanted = typeof params.toRevision === 'number' ? params.toRevision : undefined;
  const page = await deps.inventory.query(cluster, { kind: 'ReplicaSet', namespace: t.namespace, limit: 1000 });
  const revisions = page.items.flatMap((rs) =>
    rs.kind === 'ReplicaSet' && rs.ownerRefs.some((o) => o.kind === 'Deployment' && o.name === t.name)
      ? [{ name: rs.name, revision: Number(rs.summary.revision ?? NaN) }]
      : [],
  );
  const chosen =
    wanted !== undefined
      ? revisions.find((r) => r.revision === wanted)
      : revisions.filter((r) => r.revision < currentRevision).sort((a, b) => b.revision - a.revision)[0];
  if (!chosen) return null; // the agent names what exists
  const rs = await liveObject(deps, cluster, 'ReplicaSet', t.namespace, chosen.name, user);
  if (!rs) return null;
  return {
    name: `revision ${chosen.revision} of Deployment ${t.name}`,
    object: { kind: 'Deployment', spec: { template: recordOf(rs.spec).template } },
  };
}

/** 400 invalid_request naming the template's fields that break the level, or ok. */
export async function checkTemplateAtHub(
  deps: TemplateCheckDeps,
  cluster: string,
  req: ActionRequest,
  params: JsonObject,
  policy: WorkloadPolicy,
  user: string,
): Promise<Result<null>> {
  if (policy.podSecurity === 'privileged') return ok(null);
  const source = await sourceOf(deps, cluster, req, params, user);
  if (!source) return ok(null);
  const issues = checkTemplatePolicy(source.object, policy);
  if (issues.length === 0) return ok(null);
  return fail(
    problem(
      'invalid_request',
      { message: templateRefusal(source.name, policy.podSecurity, issues) },
      { issues, podSecurity: policy.podSecurity },
    ),
  );
}
