// What the signed-in user may do where, from GET /me — the same rules the hub
// enforces (roles on cluster × namespace patterns), used to disable controls
// with a reason instead of letting a click end in a 403.
import type { Me } from '../api/types.js';

export interface Scope {
  cluster?: string;
  namespace?: string;
}

function matches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern === value;
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`).test(value);
}

function grants(perms: readonly string[], permission: string): boolean {
  // 'action:*' covers every action id, not finer permissions such as 'action:apply:secrets'.
  return perms.some((p) => p === permission || (p === 'action:*' && /^action:[^:]+$/.test(permission)));
}

/** A namespaced object needs both patterns to match; a cluster-wide scope needs namespace '*'; {} needs '*' × '*'. */
export function can(me: Me | undefined, permission: string, scope: Scope): boolean {
  if (!me) return false;
  return me.permissions.scopes.some((s) => {
    if (!grants(s.permissions, permission)) return false;
    const clusterOk = scope.cluster === undefined ? s.cluster === '*' : matches(s.cluster, scope.cluster);
    if (!clusterOk) return false;
    return scope.namespace === undefined ? s.namespace === '*' : matches(s.namespace, scope.namespace);
  });
}

export function describeScope(scope: Scope): string {
  if (scope.cluster === undefined) return 'the hub';
  return scope.namespace === undefined ? `cluster ${scope.cluster}` : `${scope.cluster}/${scope.namespace}`;
}
