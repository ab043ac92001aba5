// Just-in-time access in the console: which role to ask for when a control is
// disabled for a missing permission, and the link to the prefilled request.

/** The smallest built-in role that holds a permission (what "Request access" asks for). */
export function roleFor(permission: string): string {
  if (permission === 'view') return 'viewer';
  if (permission === 'audit:read') return 'auditor';
  if (permission === 'admin' || permission === 'action:apply:secrets') return 'account-admin';
  return 'operator'; // pod:exec, action:<id>, access:approve
}

/** /access prefilled for asking `permission` on (cluster, namespace). */
export function requestAccessHref(permission: string, cluster: string, namespace?: string): string {
  const q = new URLSearchParams({ permission, role: roleFor(permission), cluster, namespace: namespace ?? '*' });
  return `/access?${q.toString()}`;
}
