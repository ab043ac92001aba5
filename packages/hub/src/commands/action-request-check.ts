// Whether an action request can become a command: the action exists, applies
// to the target's kind and scope, its params parse, checks that need the
// target pass, and the cluster's tier allows it. Answers the parsed params or
// a catalog problem; the route decides how to answer.
import {
  ACTIONS,
  RESOURCE_KINDS,
  isActionId,
  isResourceKind,
  problem,
  type ActionDeclaration,
  type ActionRequest,
  type JsonObject,
} from '@wheelhouse/protocol';
import type { ClusterView } from '../clusters/cluster-store.js';
import { unwrap } from '../http/errors.js';
import { fail, ok, type Result } from '../service-result.js';

const invalid = (message: string, details: Record<string, unknown>): Result<JsonObject> =>
  fail(problem('invalid_request', { message }, details));

/**
 * Checks that the action exists, applies to the kind, its params parse, and
 * the cluster's tier allows it: the parsed params, or the problem.
 */
export function checkActionRequest(cluster: ClusterView, req: ActionRequest): Result<JsonObject> {
  if (!isActionId(req.action)) {
    return invalid(`unknown action "${req.action}"; known actions: ${Object.keys(ACTIONS).join(', ')}`, {
      path: 'action',
    });
  }
  const decl = ACTIONS[req.action];
  const kinds: readonly string[] = decl.targetKinds;
  if (!kinds.includes(req.target.kind)) {
    return invalid(
      `action "${decl.id}" does not apply to kind "${req.target.kind}"; it applies to ${kinds.join(', ')}`,
      { path: 'target.kind' },
    );
  }
  if (isResourceKind(req.target.kind)) {
    const namespaced = RESOURCE_KINDS[req.target.kind].namespaced;
    if (namespaced && req.target.namespace === '') {
      return invalid(`target.namespace is required for ${req.target.kind}`, { path: 'target.namespace' });
    }
    if (!namespaced && req.target.namespace !== '') {
      return invalid(`${req.target.kind} is cluster-scoped: target.namespace must be empty`, {
        path: 'target.namespace',
      });
    }
  }
  const parsed = decl.params.safeParse(req.params);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({
      path: ['params', ...i.path.map(String)].join('.'),
      message: i.message,
    }));
    const first = issues[0];
    return invalid(first ? `${first.path}: ${first.message}` : 'invalid params', { issues });
  }
  // Checks that need the target too (an apply whose manifest would rename or re-kind its target).
  const generic: ActionDeclaration = decl;
  const targetIssues = generic.checkTarget ? generic.checkTarget(req.target, parsed.data) : [];
  if (targetIssues.length > 0) {
    const first = targetIssues[0];
    return invalid(first ? `${first.path}: ${first.message}` : 'invalid request', { issues: targetIssues });
  }
  if (!cluster.capabilities[decl.tier]) {
    return fail(
      problem(
        'tier_disabled',
        {
          message: `action "${decl.id}" needs the ${decl.tier} tier, which is not enabled on cluster "${cluster.name}" (agent value actions.${decl.tier}=true)`,
        },
        { tier: decl.tier, cluster: cluster.name },
      ),
    );
  }
  return ok(parsed.data);
}

/** checkActionRequest for callers outside a route (tests, tools): throws the problem. */
export function validateActionRequest(cluster: ClusterView, req: ActionRequest): { params: JsonObject } {
  return { params: unwrap(checkActionRequest(cluster, req)) };
}
