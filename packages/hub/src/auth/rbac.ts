// Role-based authorization: built-in roles grant permissions; a role binding
// grants a role on (cluster pattern × namespace pattern). Pure functions, so
// the rules are testable without a server.
import { BUILTIN_ROLES, type BuiltinRole, type Permission, type RoleBinding, type Scope } from './types.js';

/**
 * 'action:*' stands for every action id ('action:scale'), not for the
 * finer permissions below an action ('action:apply:secrets': an apply that
 * references Secrets or a non-default ServiceAccount), which roles name.
 */
export const ROLE_PERMISSIONS: Readonly<Record<BuiltinRole, readonly Permission[]>> = {
  'account-admin': [
    'admin',
    'audit:read',
    'pod:exec',
    'pod:port-forward',
    'node:shell',
    'view',
    'logs:read',
    'object:read',
    'action:*',
    'action:apply:secrets',
    'access:approve',
    'notifications:manage',
  ],
  // Operators approve their peers' just-in-time requests on their own scope (never their own).
  operator: ['view', 'logs:read', 'object:read', 'action:*', 'pod:exec', 'pod:port-forward', 'access:approve'],
  viewer: ['view', 'logs:read', 'object:read'],
  auditor: ['view', 'logs:read', 'object:read', 'audit:read'],
  'inventory-viewer': ['view'],
};

export const ROLE_DESCRIPTIONS: Readonly<Record<BuiltinRole, string>> = {
  'account-admin':
    'Everything: users, roles and bindings, audit, notification rules, every action (applies that reference Secrets too), pod shells, port-forward and node shells.',
  operator:
    "View, run every action, open pod shells and forward pod ports, approve peers' access requests; an apply may not reference Secrets or a non-default ServiceAccount.",
  viewer: 'Read-only: inventory, timelines, container logs and live objects (YAML).',
  auditor: 'View (logs and objects too) and read, verify and export the audit log.',
  'inventory-viewer':
    'Read-only inventory and timelines, without container logs or live object contents (a viewer minus logs:read and object:read).',
};

export const isBuiltinRole = (role: string): role is BuiltinRole => (BUILTIN_ROLES as readonly string[]).includes(role);

export function roleGrants(role: BuiltinRole, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].some(
    (p) => p === permission || (p === 'action:*' && /^action:[^:]+$/.test(permission)),
  );
}

/** Patterns: '*' for everything, or names with '*' wildcards ('prod-*', '*-staging'). */
export const PATTERN_RE = /^[a-z0-9.*-]{1,253}$/;

const compiled = new Map<string, RegExp>();

export function matchesPattern(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === value;
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`);
    if (compiled.size > 10_000) compiled.clear(); // bounded: patterns come from a small table
    compiled.set(pattern, re);
  }
  return re.test(value);
}

/**
 * Whether a binding's patterns cover the scope. A missing scope field means
 * "all of them": scope {} (global) needs '*' × '*'; a cluster-wide scope
 * {cluster} needs namespace pattern '*'.
 */
export function bindingCovers(
  binding: Pick<RoleBinding, 'clusterPattern' | 'namespacePattern'>,
  scope: Scope,
): boolean {
  const clusterOk =
    scope.cluster === undefined
      ? binding.clusterPattern === '*'
      : matchesPattern(binding.clusterPattern, scope.cluster);
  if (!clusterOk) return false;
  return scope.namespace === undefined
    ? binding.namespacePattern === '*'
    : matchesPattern(binding.namespacePattern, scope.namespace);
}

export function can(bindings: readonly RoleBinding[], permission: Permission, scope: Scope): boolean {
  return bindings.some((b) => roleGrants(b.role, permission) && bindingCovers(b, scope));
}

/**
 * Whether the permission is held on at least some namespace of the scope's
 * cluster (any cluster when none is given) — for listing and filtering
 * ("show this cluster if the user may view anything in it"), never for
 * authorizing an operation on a specific scope.
 */
export function canSomewhere(
  bindings: readonly RoleBinding[],
  permission: Permission,
  scope: Pick<Scope, 'cluster'> = {},
): boolean {
  return bindings.some(
    (b) =>
      roleGrants(b.role, permission) &&
      (scope.cluster === undefined || matchesPattern(b.clusterPattern, scope.cluster)),
  );
}

/**
 * Which namespaces of one cluster the permission reaches, for filtering lists
 * in the store: 'all' (some binding's namespace pattern is '*', which also
 * covers cluster-scoped objects), or the namespace patterns of the bindings
 * that grant it there (possibly none). Read with `matchesPattern`.
 */
export function namespacePatterns(
  bindings: readonly RoleBinding[],
  permission: Permission,
  cluster: string,
): 'all' | string[] {
  const patterns = new Set<string>();
  for (const b of bindings) {
    if (!roleGrants(b.role, permission) || !matchesPattern(b.clusterPattern, cluster)) continue;
    if (b.namespacePattern === '*') return 'all';
    patterns.add(b.namespacePattern);
  }
  return [...patterns];
}

export interface EffectivePermissions {
  /** Permissions held on every cluster and namespace (scope {}). */
  global: Permission[];
  /** Permissions per (cluster pattern, namespace pattern), merged across roles. */
  scopes: { cluster: string; namespace: string; permissions: Permission[] }[];
}

const PERMISSION_ORDER: readonly Permission[] = [
  'admin',
  'audit:read',
  'view',
  'logs:read',
  'object:read',
  'pod:exec',
  'pod:port-forward',
  'node:shell',
  'action:*',
  'action:apply:secrets',
  'access:approve',
  'notifications:manage',
];
const sortPermissions = (perms: Iterable<Permission>): Permission[] =>
  [...new Set(perms)].sort((a, b) => PERMISSION_ORDER.indexOf(a) - PERMISSION_ORDER.indexOf(b));

export function effectivePermissions(bindings: readonly RoleBinding[]): EffectivePermissions {
  const byScope = new Map<string, { cluster: string; namespace: string; permissions: Set<Permission> }>();
  for (const b of bindings) {
    const key = `${b.clusterPattern}\u0000${b.namespacePattern}`;
    let entry = byScope.get(key);
    if (!entry) {
      entry = { cluster: b.clusterPattern, namespace: b.namespacePattern, permissions: new Set() };
      byScope.set(key, entry);
    }
    for (const p of ROLE_PERMISSIONS[b.role]) entry.permissions.add(p);
  }
  const global = byScope.get('*\u0000*')?.permissions ?? new Set<Permission>();
  return {
    global: sortPermissions(global),
    scopes: [...byScope.values()].map((s) => ({
      cluster: s.cluster,
      namespace: s.namespace,
      permissions: sortPermissions(s.permissions),
    })),
  };
}

/** Human wording of a scope for error messages: "cluster 'prod', namespace 'web'". */
export function describeScope(scope: Scope): string {
  if (scope.cluster === undefined && scope.namespace === undefined) return 'every cluster (global scope)';
  const cluster = scope.cluster === undefined ? 'every cluster' : `cluster '${scope.cluster}'`;
  const namespace = scope.namespace === undefined ? 'all namespaces' : `namespace '${scope.namespace}'`;
  return `${cluster}, ${namespace}`;
}
