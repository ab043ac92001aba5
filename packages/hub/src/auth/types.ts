// The contract between authentication/authorization (src/auth) and the routes
// that rely on it. Permissions are granted by built-in roles on scopes
// (cluster pattern × namespace pattern) through role bindings.

export const BUILTIN_ROLES = ['account-admin', 'operator', 'viewer', 'auditor', 'inventory-viewer'] as const;
export type BuiltinRole = (typeof BUILTIN_ROLES)[number];

/**
 * view | logs:read | object:read | pod:exec | pod:port-forward | audit:read | admin | access:approve | action:<action id>.
 * view: inventory and timelines; logs:read: container logs; object:read: a live object's full
 * contents (a ConfigMap's data, for one) through the agent — apart from view, so an admin can
 * grant the inventory without what containers print or objects hold (role inventory-viewer).
 * pod:port-forward: TCP connections to a pod's ports through the hub (apart from pod:exec: a
 * forwarded port reaches what the pod serves, not a shell in it).
 * node:shell: a node shell, root on the node (a privileged pod in the host's namespaces): account-admins only
 * by default, checked on the whole cluster (scope {cluster}: a binding with namespace pattern '*').
 */
export type Permission =
  | 'view'
  | 'logs:read'
  | 'object:read'
  | 'pod:exec'
  | 'pod:port-forward'
  | 'node:shell'
  | 'audit:read'
  | 'admin'
  | 'access:approve'
  | 'notifications:manage'
  | `action:${string}`;

/** What a permission is asked for. Missing fields mean "any"/"not applicable". */
export interface Scope {
  cluster?: string;
  namespace?: string;
}

export interface RoleBinding {
  id: string;
  role: BuiltinRole;
  clusterPattern: string;
  namespacePattern: string;
}

export interface Principal {
  userId: string;
  username: string;
  /** How this request authenticated. Cookie sessions need a CSRF token on unsafe methods. */
  via: 'session' | 'token';
  bindings: RoleBinding[];
  /** Signed in with a one-time password: only /me, /auth/password and /auth/logout work until it is changed. */
  mustChangePassword: boolean;
  /** sha256 of the session id (via 'session'). */
  sessionIdHash?: string;
  /** The session's CSRF token (via 'session'). */
  csrfToken?: string;
  /** The API token's id (via 'token'). */
  tokenId?: string;
  /** When the credential ends whatever happens (a session's absolute lifetime, a token's expiry); open sockets close then. */
  credentialEndsAt?: number;
}
