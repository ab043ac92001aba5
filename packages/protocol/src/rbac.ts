// The agent's Kubernetes RBAC, derived from the action catalog: read-only
// watching (always on) plus the writes of every action whose tier is enabled.
// The Helm chart renders exactly these rules (deploy/helm/wheelhouse-agent/files/rbac.json,
// written by gen-helm-rbac.ts), and the agent's self-check asks for the same ones.
import { actionList } from './actions/catalog.js';
import type { ActionDeclaration } from './actions/declaration.js';
import { RESOURCE_KINDS } from './kinds.js';
import type { ActionTier } from './tiers.js';

/** A Kubernetes ClusterRole rule (rbac.authorization.k8s.io/v1 PolicyRule, the fields we use). */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export type TierSwitches = Record<ActionTier, boolean>;

/** One permission: a verb on a resource (with optional "/subresource") in an API group. */
export interface Permission {
  apiGroup: string;
  resource: string;
  verb: string;
}

const READ_VERBS = ['get', 'list', 'watch'] as const;

/**
 * What the agent always needs: get/list/watch of the inventory kinds and core
 * Events (get also serves the live object view), pod logs, and its self-checks.
 */
export function readOnlyPermissions(): Permission[] {
  const out: Permission[] = [];
  const kinds = [...Object.values(RESOURCE_KINDS), { group: '', plural: 'events' }];
  for (const k of kinds) for (const verb of READ_VERBS) out.push({ apiGroup: k.group, resource: k.plural, verb });
  // Pod logs (GET /api/v1/clusters/{c}/pods/{ns}/{pod}/logs): read-only, so always on.
  out.push({ apiGroup: '', resource: 'pods/log', verb: 'get' });
  // Resource usage (metrics.k8s.io, served by metrics-server when installed): read once a minute.
  for (const resource of ['pods', 'nodes']) {
    for (const verb of ['get', 'list'] as const) out.push({ apiGroup: 'metrics.k8s.io', resource, verb });
  }
  // Self-checks at start: who am I (SelfSubjectReview) and what may I do (access/rules reviews).
  out.push({ apiGroup: 'authentication.k8s.io', resource: 'selfsubjectreviews', verb: 'create' });
  out.push({ apiGroup: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', verb: 'create' });
  out.push({ apiGroup: 'authorization.k8s.io', resource: 'selfsubjectrulesreviews', verb: 'create' });
  return out;
}

/**
 * The pod shell (exec into pods; the pod must be readable to pick a container) and
 * port-forward (pods/portforward, the same WebSocket upgrade, so the same two verbs).
 * The agent's exec is a WebSocket upgrade, a GET: RBAC checks `get` on
 * pods/exec, and (Kubernetes 1.35, AuthorizePodWebsocketUpgradeCreatePermission)
 * `create` as well. With `create` alone every shell was refused 403.
 */
export function podExecPermissions(): Permission[] {
  return [
    { apiGroup: '', resource: 'pods', verb: 'get' },
    { apiGroup: '', resource: 'pods/exec', verb: 'create' },
    { apiGroup: '', resource: 'pods/exec', verb: 'get' },
    { apiGroup: '', resource: 'pods/portforward', verb: 'get' },
    { apiGroup: '', resource: 'pods/portforward', verb: 'create' },
  ];
}

/**
 * Node shells (their own opt-in, chart actions.nodeShell): the agent creates, watches for Running, execs into
 * and deletes its privileged pods — in the node-shell namespace only. The chart renders these as a Role
 * there (never cluster-wide: the agent cannot make a privileged pod anywhere else), with the namespace,
 * whose Pod Security level is `privileged`.
 */
export function nodeShellPermissions(): Permission[] {
  return [
    { apiGroup: '', resource: 'pods', verb: 'create' },
    { apiGroup: '', resource: 'pods', verb: 'delete' },
    { apiGroup: '', resource: 'pods', verb: 'get' },
    { apiGroup: '', resource: 'pods', verb: 'list' },
    { apiGroup: '', resource: 'pods/exec', verb: 'create' },
    { apiGroup: '', resource: 'pods/exec', verb: 'get' },
  ];
}

/** The node-shell namespace's Role rules. */
export function nodeShellRbacRules(): PolicyRule[] {
  return rulesOf(nodeShellPermissions());
}

/** The permissions one action declares, one per verb. */
export function actionPermissions(decl: Pick<ActionDeclaration, 'permissions'>): Permission[] {
  return decl.permissions.flatMap((p) => p.verbs.map((verb) => ({ apiGroup: p.apiGroup, resource: p.resource, verb })));
}

/** Every permission the tiers need, deduplicated and sorted. */
export function agentPermissions(
  tiers: TierSwitches,
  actions: readonly ActionDeclaration[] = actionList(),
): Permission[] {
  const all = [...readOnlyPermissions()];
  for (const a of actions) if (tiers[a.tier]) all.push(...actionPermissions(a));
  if (tiers.podExec) all.push(...podExecPermissions());
  const seen = new Map<string, Permission>();
  for (const p of all) seen.set(`${p.apiGroup}\u0000${p.resource}\u0000${p.verb}`, p);
  return [...seen.values()].sort(comparePermissions);
}

/** "patch apps/deployments/scale", "delete pods": how a permission reads in messages. */
export function describePermission(p: Permission): string {
  return `${p.verb} ${p.apiGroup === '' ? '' : `${p.apiGroup}/`}${p.resource}`;
}

/**
 * The ClusterRole rules for the tiers: permissions grouped per (API group,
 * resource) into verb sets, then resources with the same group and verbs merged
 * into one rule. Sorted, so the output is byte-for-byte stable.
 */
export function agentRbacRules(
  tiers: TierSwitches,
  actions: readonly ActionDeclaration[] = actionList(),
): PolicyRule[] {
  return rulesOf(agentPermissions(tiers, actions));
}

/**
 * Rules for impersonation mode (rendered only when enabled): the agent may act
 * as any user (people are not known in advance); the groups it may impersonate
 * the chart adds as a rule naming exactly `impersonation.groups` and
 * `impersonation.idpGroups` (resourceNames), so an IdP group named
 * `system:masters` could never be borrowed.
 */
export function impersonationRbacRules(): PolicyRule[] {
  return [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'] }];
}

/**
 * Rules for shells with impersonation off (podExec tier): the agent execs as
 * itself and names the person in the `wheelhouse.dev/on-behalf-of` user-info
 * extra, which exec guard shows. The chart adds, in the agent's namespace,
 * `impersonate` on its own ServiceAccount only (resourceNames: its name).
 * Nobody else gets this extra: a person cannot claim to come through Wheelhouse.
 */
export function onBehalfOfRbacRules(): PolicyRule[] {
  return [
    {
      apiGroups: ['authentication.k8s.io'],
      resources: ['userextras/wheelhouse.dev/on-behalf-of'],
      verbs: ['impersonate'],
    },
  ];
}

export function rulesOf(perms: readonly Permission[]): PolicyRule[] {
  const verbsOf = new Map<string, { apiGroup: string; resource: string; verbs: Set<string> }>();
  for (const p of perms) {
    const key = `${p.apiGroup}\u0000${p.resource}`;
    const entry = verbsOf.get(key) ?? { apiGroup: p.apiGroup, resource: p.resource, verbs: new Set<string>() };
    entry.verbs.add(p.verb);
    verbsOf.set(key, entry);
  }
  const merged = new Map<string, PolicyRule>();
  for (const e of verbsOf.values()) {
    const verbs = [...e.verbs].sort();
    const key = `${e.apiGroup}\u0000${verbs.join(',')}`;
    const rule = merged.get(key) ?? { apiGroups: [e.apiGroup], resources: [], verbs };
    rule.resources.push(e.resource);
    merged.set(key, rule);
  }
  const rules = [...merged.values()];
  for (const r of rules) r.resources.sort();
  return rules.sort(
    (a, b) =>
      cmp(a.apiGroups[0] ?? '', b.apiGroups[0] ?? '') ||
      cmp(a.verbs.join(','), b.verbs.join(',')) ||
      cmp(a.resources.join(','), b.resources.join(',')),
  );
}

/** Flattens rules back into single permissions (for comparisons in tests and checks). */
export function permissionsOf(rules: readonly PolicyRule[]): Permission[] {
  const out: Permission[] = [];
  for (const r of rules)
    for (const apiGroup of r.apiGroups)
      for (const resource of r.resources) for (const verb of r.verbs) out.push({ apiGroup, resource, verb });
  return out.sort(comparePermissions);
}

function comparePermissions(a: Permission, b: Permission): number {
  return cmp(a.apiGroup, b.apiGroup) || cmp(a.resource, b.resource) || cmp(a.verb, b.verb);
}

// Code-point order, not locale order: the generated file must not depend on the machine.
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
