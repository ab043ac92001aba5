// Whether an action request can become a command: the action exists, applies
// to the target's kind and scope, its params parse, checks that need the
// target pass, what it would create meets the cluster's Pod Security Standards
// level, and the cluster's tier allows it. Answers the parsed params and the
// policy they were checked under, or a catalog problem; the route decides how
// to answer.
import {
  ACTIONS,
  RESOURCE_KINDS,
  isActionId,
  checkWorkloadPolicy,
  isResourceKind,
  parseManifest,
  problem,
  type ActionDeclaration,
  type ActionRequest,
  type JsonObject,
  type TargetIssue,
  type WorkloadPolicy,
} from '@wheelhouse/protocol';
import type { ClusterView } from '../clusters/cluster-store.js';
import { unwrap } from '../http/errors.js';
import { fail, ok, type Result } from '../service-result.js';

export interface CheckedRequest {
  params: JsonObject;
  /** The policy the request was checked under; the agent checks again with it. */
  policy: WorkloadPolicy;
}

/** What the caller may reference besides the action itself (Secret references need action:apply:secrets). */
export interface RequestAccess {
  secretReferences: boolean;
}

const invalid = (message: string, details: Record<string, unknown>): Result<CheckedRequest> =>
  fail(problem('invalid_request', { message }, details));

/**
 * Checks that the action exists, applies to the kind, its params parse, what
 * it would create meets the cluster's Pod Security Standards level (Secret
 * references only with `access.secretReferences`), and the cluster's tier
 * allows it: the parsed params and policy, or the problem.
 */
export function checkActionRequest(
  cluster: ClusterView,
  req: ActionRequest,
  access: RequestAccess = { secretReferences: false },
): Result<CheckedRequest> {
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
  const policy: WorkloadPolicy = { podSecurity: cluster.podSecurity, secretReferences: access.secretReferences };
  const policyIssues = workloadPolicyIssues(req.action, parsed.data, policy);
  if (policyIssues.length > 0) {
    const first = policyIssues[0];
    return invalid(first ? `${first.path}: ${first.message}` : 'invalid request', {
      issues: policyIssues,
      podSecurity: policy.podSecurity,
    });
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
  return ok({ params: parsed.data, policy });
}

/** Pod Security Standards and Secret-reference issues of an action that creates or changes pod templates (apply). */
export function workloadPolicyIssues(action: string, params: unknown, policy: WorkloadPolicy): TargetIssue[] {
  if (action !== 'apply' || typeof params !== 'object' || params === null || !('manifest' in params)) return [];
  const manifest = params.manifest;
  if (typeof manifest !== 'string') return [];
  const r = parseManifest(manifest);
  return r.ok ? checkWorkloadPolicy(r.objects, policy) : [];
}

/** checkActionRequest for callers outside a route (tests, tools): throws the problem. */
export function validateActionRequest(
  cluster: ClusterView,
  req: ActionRequest,
  access?: RequestAccess,
): CheckedRequest {
  return unwrap(checkActionRequest(cluster, req, access));
}
